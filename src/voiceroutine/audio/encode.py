"""Stream PCM into one ffmpeg process that encodes the output file, in any supported format."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from voiceroutine.audio.ffmpeg import pipe_into_ffmpeg
from voiceroutine.audio.formats import AudioFormat
from voiceroutine.audio.loudness import integrated_from_report
from voiceroutine.audio.truepeak import check_stream, true_peak_dbtp
from voiceroutine.errors import VoiceroutineError
from voiceroutine.timeline import ChapterSpan


@dataclass(frozen=True)
class Measured:
    """What the encoder's meter and the decoded file's check found."""

    integrated_lufs: float
    true_peak_dbtp: float


def encode(
    pcm_blocks: Iterable[bytes],
    destination: Path,
    audio_format: AudioFormat,
    sample_rate: int,
    channels: int,
    bitrate_kbps: int | None = None,
    chapters: Sequence[ChapterSpan] = (),
    name: str | None = None,
) -> Measured:
    """Encode 16-bit PCM blocks into `destination`; measure its loudness and true peak.

    The same ffmpeg process measures what it encodes with its EBU R128 meter
    (ITU-R BS.1770), so the loudness costs no second pass. Where the format
    allows, the encoded stream also goes to a decoder that checks its true
    peak on the other core while encoding goes on; otherwise the file is
    decoded afterwards. Raises VoiceroutineError on failure; `name` is how
    the file is called in messages (the destination may be a temporary file).
    """
    label = name or destination.name
    stream = audio_format.stream_container
    if stream is not None and TEE_RESERVED.search(destination.name):
        stream = None  # such a name would need escaping inside the tee muxer's list
    inputs = ["-f", "s16le", "-ar", str(sample_rate), "-ac", str(channels), "-i", "pipe:0"]
    with tempfile.TemporaryDirectory(prefix="voiceroutine-") as folder:
        outputs = ["-map", "[out]"]
        if audio_format.chapters_by_ffmpeg and chapters:
            metadata = Path(folder) / "chapters.txt"
            metadata.write_text(ffmetadata(chapters), encoding="utf-8")
            # Chapters with their titles come from the file; tags.py writes the rest.
            inputs += ["-i", str(metadata)]
            outputs += ["-map_chapters", "1", "-map_metadata", "1"]
        else:
            outputs += ["-map_metadata", "-1"]
        arguments = [
            "-loglevel", "info", "-nostats", "-y", *inputs,
            "-filter_complex", meter_graph(sample_rate, channels),
            *outputs,
        ]  # fmt: skip
        arguments += ["-c:a", audio_format.codec]
        bitrate = audio_format.bitrate(bitrate_kbps, channels)
        if bitrate is not None:
            arguments += ["-b:a", f"{bitrate}k"]
        if stream is None:
            arguments += [*audio_format.options, "-f", audio_format.muxer, destination.name]
        else:
            arguments += ["-f", "tee", tee_outputs(audio_format, destination.name, stream)]
        arguments += ["-map", "[measured]", "-f", "null", "-"]

        check = None if stream is None else check_stream(stream, channels, sample_rate, label)
        run = pipe_into_ffmpeg(arguments, pcm_blocks, cwd=destination.parent, attach_output=check)
    if run.code != 0:
        raise VoiceroutineError(f"ffmpeg could not encode {label}: {run.reason()}")
    if not destination.exists() or os.path.getsize(destination) == 0:
        raise VoiceroutineError(f"ffmpeg wrote nothing for {label}")
    peak = run.output if run.output is not None else true_peak_dbtp(destination, sample_rate)
    return Measured(integrated_from_report(run.stderr), peak)


TEE_RESERVED = re.compile(r"[|\\\[\]:'\"]")
"""Characters with a meaning in the tee muxer's list of outputs."""


def tee_outputs(audio_format: AudioFormat, file_name: str, stream: str) -> str:
    """The tee muxer's outputs: the file, and the same packets on stdout in `stream`."""
    options = [f"f={audio_format.muxer}"]
    pairs = zip(audio_format.options[::2], audio_format.options[1::2], strict=True)
    options += [f"{key.lstrip('-')}={value}" for key, value in pairs]
    return f"[{':'.join(options)}]{file_name}|[f={stream}]pipe\\:1"


METER_NOISE = 1e-5
"""Noise at -100 dBFS under the meter's copy of the session (never the encoded one): in
exact digital silence the K-weighting filters decay into denormal numbers and slow the
meter ninefold (19 s instead of 2 s for 37 minutes). It is far below the -70 LUFS gate."""


def meter_graph(sample_rate: int, channels: int) -> str:
    """An ffmpeg filter graph that passes the session on as [out] and meters a copy."""
    layout = "mono" if channels == 1 else "stereo"
    return (
        "[0:a]asplit=2[out][copy];"
        f"anoisesrc=a={METER_NOISE}:c=white:r={sample_rate}:seed=1,"
        f"aformat=channel_layouts={layout}[noise];"
        "[copy][noise]amix=inputs=2:normalize=0:duration=first,"
        "ebur128=framelog=quiet[measured]"
    )


def ffmetadata(chapters: Sequence[ChapterSpan]) -> str:
    """Chapters in ffmpeg's metadata file format, times in milliseconds."""
    lines = [";FFMETADATA1"]
    for chapter in chapters:
        lines += [
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={chapter.start_ms}",
            f"END={chapter.end_ms}",
            f"title={_escape(chapter.title)}",
        ]
    return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    """Escape what ffmpeg's metadata format reserves: = ; # \\ and line breaks."""
    for special in ("\\", "=", ";", "#"):
        value = value.replace(special, "\\" + special)
    return value.replace("\n", "\\\n")
