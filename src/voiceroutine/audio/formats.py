"""The output formats, one registry entry each: all that encoder, tagger, check and feed need.

Adding a format is one entry in FORMATS: its ffmpeg muxer and encoder, its
bitrate and rates, how tags and chapters are written (`tag_style`, one of
TAG_STYLES), how its true peak is checked while it is written, and its media
type. The command line's choices, the JSON Schema, the feed and the local
server read their lists from here. Kept apart from the encoder, and importing
nothing else of the package, so that the command line and the check of
whether a build is up to date import no audio libraries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LOSSLESS_HEADROOM_DB = 0.5
"""How far below the true-peak limit the mix's sample peak stays before a lossless encoder:
room for the peaks between samples. Lossy encoders need more (each format says how much)."""

TagStyle = Literal["id3", "id3-chunk", "mp4", "vorbis-comments"]
TAG_STYLES: tuple[TagStyle, ...] = ("id3", "id3-chunk", "mp4", "vorbis-comments")
"""How tags.py tags a file: ID3 v2.3 with CHAP frames (MP3), an ID3 chunk without chapters
(WAV), MP4 atoms beside the chapters ffmpeg wrote, or Vorbis comments with CHAPTERnnn."""


@dataclass(frozen=True)
class AudioFormat:
    """An output format: its file, its encoder and defaults, its tags and its check."""

    name: str
    extension: str
    muxer: str
    codec: str
    mono_kbps: int | None
    """The bitrate for mono (twice this for stereo); None for lossless formats."""
    media_type: str
    """The MIME type a feed's enclosure and a browser expect."""
    tag_style: TagStyle
    mutagen_type: tuple[str, str]
    """The mutagen class that reads and tags the file, by module and name."""
    sample_rates: tuple[int, ...] = (22_050, 24_000, 32_000, 44_100, 48_000)
    default_rate: int = 44_100
    options: tuple[str, ...] = ()
    """The muxer's options, as ffmpeg arguments."""
    peak_headroom_db: float = LOSSLESS_HEADROOM_DB
    """How far under the true-peak limit the mix's peaks stay before encoding: lossy
    encoders add peaks of their own (AAC and Opus up to 3 dB on eSpeak speech). MP3 at 64
    kbit/s, on the seven bundled sessions at a 1.2 dB headroom, decoded 0.2-1.1 dB above the
    limiter's ceiling with eSpeak NG and 0.4-0.9 dB with Piper, once 2.0 dB: at 2.0 dB of
    headroom every Piper session was held 0.8 LU under its target and encoded twice. The
    encoded file is checked, and encoded again quieter if need be."""
    growing_decoder: str | None = None
    """miniaudio's name for the format, if the check decodes the file in this process as it
    grows (truepeak.py)."""
    stream_container: str | None = None
    """Otherwise, the container in which the tee muxer streams the encoder's output to a
    second ffmpeg that decodes it while it is written. With neither, a lossy file is checked
    after it is written; a lossless one is metered on its PCM."""
    stream_demuxer: str | None = None
    """The second ffmpeg's demuxer for that stream, where ffmpeg names it otherwise."""
    in_parts: bool = False
    """A long session may be encoded in parts at once, one per core, and the parts joined where
    it is silent (mp3join.py: MP3 frames at the MPEG-1 rates)."""
    loudness_loss_lu: float = 0.0
    """How much quieter the decoded file typically is than the PCM encoded: the first encode
    aims this much louder (level.py measures the result and corrects what remains)."""

    @property
    def lossless(self) -> bool:
        """Decoding gives back the PCM encoded: its true peak is the PCM's."""
        return self.mono_kbps is None

    @property
    def chapters_by_ffmpeg(self) -> bool:
        """MP4 chapters are written by ffmpeg while encoding; the other formats' by tags.py."""
        return self.tag_style == "mp4"

    def bitrate(self, kbps: int | None, channels: int) -> int | None:
        if self.mono_kbps is None:
            return None
        return kbps if kbps is not None else self.mono_kbps * channels


FORMATS: dict[str, AudioFormat] = {
    # 64 kbps mono at 44.1 kHz: clear speech, about 29 MB an hour, and the lowest rate
    # the podcast directories accept. The Xing/LAME header stays (never -write_xing 0):
    # players need it to remove the encoder delay, or every cue would be late.
    "mp3": AudioFormat(
        "mp3", "mp3", "mp3", "libmp3lame", 64, "audio/mpeg", "id3", ("mutagen.mp3", "MP3"),
        options=("-id3v2_version", "3"), peak_headroom_db=1.2, growing_decoder="MP3",
        in_parts=True, loudness_loss_lu=0.6,
    ),
    # AAC in MP4: m4b is the audiobook flavour that podcast apps and phones bookmark. At 96
    # kbit/s ffmpeg's AAC encoder added 0.8 dB of peaks to eSpeak speech; at 64, up to 3.5 dB,
    # and so erratically that a session could not reach both -16 LUFS and -1 dBTP. The tee
    # muxer passes no chapters on: a file with chapters is encoded beside the check into a
    # temporary file and then copied with them (encode.py).
    "m4a": AudioFormat(
        "m4a", "m4a", "ipod", "aac", 96, "audio/mp4", "mp4", ("mutagen.mp4", "MP4"),
        options=("-movflags", "+faststart"), peak_headroom_db=2.0,
        stream_container="adts", stream_demuxer="aac", loudness_loss_lu=0.1,
    ),
    "m4b": AudioFormat(
        "m4b", "m4b", "ipod", "aac", 96, "audio/mp4", "mp4", ("mutagen.mp4", "MP4"),
        options=("-movflags", "+faststart"), peak_headroom_db=2.0,
        stream_container="adts", stream_demuxer="aac", loudness_loss_lu=0.1,
    ),
    # Opus runs at 48 kHz inside. At 32 kbit/s (voip) it added up to 3.8 dB of peaks to
    # eSpeak speech; at 48 kbit/s in its general mode, 0.6 dB.
    "opus": AudioFormat(
        "opus", "opus", "opus", "libopus", 48, "audio/ogg", "vorbis-comments",
        ("mutagen.oggopus", "OggOpus"), sample_rates=(48_000,), default_rate=48_000,
        peak_headroom_db=2.0, stream_container="ogg", loudness_loss_lu=0.2,
    ),
    "ogg": AudioFormat(
        "ogg", "ogg", "ogg", "libvorbis", 64, "audio/ogg", "vorbis-comments",
        ("mutagen.oggvorbis", "OggVorbis"), peak_headroom_db=2.0, growing_decoder="VORBIS",
        loudness_loss_lu=0.2,
    ),
    "flac": AudioFormat(
        "flac", "flac", "flac", "flac", None, "audio/flac", "vorbis-comments",
        ("mutagen.flac", "FLAC"),
    ),
    "wav": AudioFormat(
        "wav", "wav", "wav", "pcm_s16le", None, "audio/wav", "id3-chunk",
        ("mutagen.wave", "WAVE"),
    ),
}  # fmt: skip

FORMAT_NAMES: tuple[str, ...] = tuple(FORMATS)
SAMPLE_RATES: tuple[int, ...] = tuple(
    sorted({rate for audio_format in FORMATS.values() for rate in audio_format.sample_rates})
)
"""Every rate some format is written at."""


def format_of_suffix(suffix: str) -> AudioFormat | None:
    """The format whose files end in `suffix` (".mp3", case-insensitive), if any."""
    wanted = suffix.lower().lstrip(".")
    return next((f for f in FORMATS.values() if f.extension == wanted), None)
