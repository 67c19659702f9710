"""The output formats: extension, ffmpeg muxer and encoder, bitrates and peak headroom of each.

Kept apart from the encoder so that checking whether a build is up to date
imports no audio libraries.
"""

from __future__ import annotations

from dataclasses import dataclass

LOSSLESS_HEADROOM_DB = 0.5
"""How far below the true-peak limit the mix's sample peak stays before a lossless encoder:
room for the peaks between samples. Lossy encoders need more (each format says how much)."""


@dataclass(frozen=True)
class AudioFormat:
    """An output format: its file extension, ffmpeg muxer and encoder, and its defaults."""

    name: str
    extension: str
    muxer: str
    codec: str
    mono_kbps: int | None
    """The bitrate for mono (twice this for stereo); None for lossless formats."""
    sample_rates: tuple[int, ...] = (22_050, 24_000, 32_000, 44_100, 48_000)
    default_rate: int = 44_100
    options: tuple[str, ...] = ()
    chapters_by_ffmpeg: bool = False
    """MP4 chapters are written by ffmpeg; the other formats' by tags.py (mutagen)."""
    peak_headroom_db: float = LOSSLESS_HEADROOM_DB
    """How far under the true-peak limit the mix's peaks stay before encoding: lossy
    encoders add peaks of their own (measured on eSpeak speech: MP3 1.6 dB, AAC and Opus
    up to 3 dB). The encoded file is checked, and encoded again quieter if need be."""
    stream_container: str | None = None
    """A container in which the encoder's output is streamed to a second ffmpeg, so the true
    peak is checked while encoding (Opus in Ogg, AAC in ADTS; MP3 and Vorbis are decoded
    here as the file grows, truepeak.py). None checks the file after it is written or, if
    lossless, its PCM. MP4 with chapters is encoded beside the check into a temporary file
    and then copied with its chapters, which the tee muxer does not pass on (encode.py)."""
    loudness_loss_lu: float = 0.0
    """How much quieter the decoded file typically is than the PCM encoded: the first encode
    aims this much louder (level.py measures the result and corrects what remains)."""

    @property
    def lossless(self) -> bool:
        """Decoding gives back the PCM encoded: its true peak is the PCM's."""
        return self.mono_kbps is None

    def bitrate(self, kbps: int | None, channels: int) -> int | None:
        if self.mono_kbps is None:
            return None
        return kbps if kbps is not None else self.mono_kbps * channels


FORMATS: dict[str, AudioFormat] = {
    # 64 kbps mono at 44.1 kHz: clear speech, about 29 MB an hour, and the lowest rate
    # the podcast directories accept. The Xing/LAME header stays (never -write_xing 0):
    # players need it to remove the encoder delay, or every cue would be late.
    "mp3": AudioFormat(
        "mp3", "mp3", "mp3", "libmp3lame", 64,
        options=("-id3v2_version", "3"),
        peak_headroom_db=2.0, loudness_loss_lu=0.6,
    ),
    # AAC in MP4: m4b is the audiobook flavour that podcast apps and phones bookmark. At 96
    # kbit/s ffmpeg's AAC encoder added 0.8 dB of peaks to eSpeak speech; at 64, up to 3.5 dB,
    # and so erratically that a session could not reach both -16 LUFS and -1 dBTP.
    "m4a": AudioFormat(
        "m4a", "m4a", "ipod", "aac", 96, options=("-movflags", "+faststart"),
        chapters_by_ffmpeg=True, peak_headroom_db=2.0, stream_container="adts",
        loudness_loss_lu=0.1,
    ),
    "m4b": AudioFormat(
        "m4b", "m4b", "ipod", "aac", 96, options=("-movflags", "+faststart"),
        chapters_by_ffmpeg=True, peak_headroom_db=2.0, stream_container="adts",
        loudness_loss_lu=0.1,
    ),
    # Opus runs at 48 kHz inside. At 32 kbit/s (voip) it added up to 3.8 dB of peaks to
    # eSpeak speech; at 48 kbit/s in its general mode, 0.6 dB.
    "opus": AudioFormat(
        "opus", "opus", "opus", "libopus", 48, sample_rates=(48_000,), default_rate=48_000,
        peak_headroom_db=2.0, stream_container="ogg", loudness_loss_lu=0.2,
    ),
    "ogg": AudioFormat(
        "ogg", "ogg", "ogg", "libvorbis", 64, peak_headroom_db=2.0, loudness_loss_lu=0.2
    ),
    "flac": AudioFormat("flac", "flac", "flac", "flac", None),
    "wav": AudioFormat("wav", "wav", "wav", "pcm_s16le", None),
}  # fmt: skip
