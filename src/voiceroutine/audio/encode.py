"""Stream PCM into ffmpeg to encode the output file, in any supported format.

One ffmpeg encodes a session in one piece; a long MP3 may instead be encoded
in parts at once, one ffmpeg each, and joined (mp3join.py).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, wait
from functools import partial
from pathlib import Path

from voiceroutine.audio.ffmpeg import FfmpegRun, pipe_into_ffmpeg
from voiceroutine.audio.formats import AudioFormat
from voiceroutine.audio.meter import Measurement, OutputMeter
from voiceroutine.audio.mp3join import Mp3JoinError, join_mp3
from voiceroutine.audio.truepeak import GrowingFileCheck, PeakCheck, measure_file, stream_check
from voiceroutine.errors import VoiceroutineError
from voiceroutine.interrupts import release_signals, signals_held
from voiceroutine.threads import in_thread, settled
from voiceroutine.timeline import ChapterSpan


def encode(
    pcm_blocks: Iterable[bytes],
    destination: Path,
    audio_format: AudioFormat,
    sample_rate: int,
    channels: int,
    bitrate_kbps: int | None = None,
    chapters: Sequence[ChapterSpan] = (),
    name: str | None = None,
) -> Measurement:
    """Encode 16-bit PCM blocks into `destination` and measure it as players decode it.

    The true peak and loudness are of the decoded audio (truepeak.py): the
    encoded stream goes to a decoder while it is written, so the check runs on
    the other core (MP3 and Vorbis are decoded here as the file grows; Opus and
    AAC by a second ffmpeg, fed by the tee muxer); lossless formats are
    metered on their PCM. Raises
    VoiceroutineError on failure; `name` is how the file is called in
    messages (the destination may be a temporary file).
    """
    label = name or destination.name
    stream = audio_format.stream_container
    if stream is not None and TEE_RESERVED.search(destination.name):
        stream = None  # such a name would need escaping inside the tee muxer's list
    lossless_meter = OutputMeter(sample_rate, channels) if audio_format.lossless else None
    if lossless_meter is not None:
        pcm_blocks = _metered(pcm_blocks, lossless_meter)
    growing = None
    if audio_format.growing_decoder is not None:
        destination.write_bytes(b"")  # the check reads the file as it grows: nothing stale
        growing = GrowingFileCheck(
            destination, audio_format.growing_decoder, sample_rate, channels, label
        )
    with tempfile.TemporaryDirectory(prefix="voiceroutine-") as folder:
        chapter_file = None
        if audio_format.chapters_by_ffmpeg and chapters:
            chapter_file = Path(folder) / "chapters.txt"
            chapter_file.write_text(ffmetadata(chapters), encoding="utf-8")
        check = None
        if stream is not None:
            demuxer = audio_format.stream_demuxer or stream
            check = stream_check(demuxer, sample_rate, channels, label)
        if stream is not None and chapter_file is not None:
            # The tee muxer passes no chapters on: encode with the check into the temporary
            # folder, then copy the stream beside the chapters into the destination.
            encoded = Path(folder) / f"encoded.{audio_format.extension}"
            tee = tee_outputs(audio_format, encoded.name, stream, with_options=False)
            arguments = _encode_arguments(audio_format, bitrate_kbps, sample_rate, channels)
            arguments += ["-f", "tee", tee]
            run = _run_encoder(arguments, pcm_blocks, Path(folder), check, growing)
            if run.code == 0:
                _remux_with_chapters(encoded, chapter_file, destination, audio_format, label)
        else:
            arguments = _encode_arguments(
                audio_format, bitrate_kbps, sample_rate, channels, chapter_file
            )
            if stream is None:
                arguments += [*audio_format.options, "-f", audio_format.muxer, destination.name]
            else:
                arguments += ["-f", "tee", tee_outputs(audio_format, destination.name, stream)]
            run = _run_encoder(arguments, pcm_blocks, destination.parent, check, growing)
    if run.code != 0:
        if growing is not None:
            growing.cancel()
        raise VoiceroutineError(f"ffmpeg could not encode {label}: {run.reason()}")
    if not destination.exists() or os.path.getsize(destination) == 0:
        raise VoiceroutineError(f"ffmpeg wrote nothing for {label}")
    if lossless_meter is not None:
        return lossless_meter.measurement()
    if growing is not None:
        return growing.finish()
    if run.output is not None:
        return run.output
    return measure_file(destination, sample_rate, channels)


def _encode_arguments(
    audio_format: AudioFormat,
    bitrate_kbps: int | None,
    sample_rate: int,
    channels: int,
    chapter_file: Path | None = None,
) -> list[str]:
    """ffmpeg's arguments up to the output: PCM on stdin in the format's codec, no tags.

    With `chapter_file` (ffmpeg's metadata format), its chapters and their titles
    are written too; tags.py writes the other tags.
    """
    arguments = ["-loglevel", "error", "-nostats", "-y", *_pcm_input(sample_rate, channels)]
    if chapter_file is not None:
        arguments += ["-i", str(chapter_file), "-map", "0:a"]
        arguments += ["-map_chapters", "1", "-map_metadata", "1"]
    else:
        arguments += ["-map", "0:a", "-map_metadata", "-1"]
    return [*arguments, *_codec(audio_format, bitrate_kbps, channels)]


def _run_encoder(
    arguments: list[str],
    pcm_blocks: Iterable[bytes],
    cwd: Path,
    check: PeakCheck | None,
    growing: GrowingFileCheck | None,
) -> FfmpegRun[Measurement]:
    """Run the encoder; a check of the file as it grows is cancelled if it cannot finish."""
    try:
        return pipe_into_ffmpeg(arguments, pcm_blocks, cwd=cwd, attach_output=check)
    except BaseException:
        if growing is not None:
            growing.cancel()
        raise


def _remux_with_chapters(
    encoded: Path, chapter_file: Path, destination: Path, audio_format: AudioFormat, label: str
) -> None:
    """Copy the encoded stream into `destination` with the chapters and the format's options."""
    arguments = ["-loglevel", "error", "-nostats", "-y", "-i", str(encoded)]
    arguments += ["-i", str(chapter_file), "-map", "0:a", "-map_chapters", "1"]
    arguments += ["-map_metadata", "1", "-c", "copy", *audio_format.options]
    arguments += ["-f", audio_format.muxer, destination.name]
    run = pipe_into_ffmpeg(arguments, (), cwd=destination.parent)
    if run.code != 0:
        raise VoiceroutineError(f"ffmpeg could not write the chapters of {label}: {run.reason()}")


def encode_in_parts(
    render: Callable[[int, int], Iterable[bytes]],
    bounds: Sequence[tuple[int, int]],
    destination: Path,
    audio_format: AudioFormat,
    sample_rate: int,
    channels: int,
    bitrate_kbps: int | None = None,
    name: str | None = None,
) -> Measurement:
    """Encode an MP3 in parts at once, one ffmpeg per part, join them and measure the whole.

    `render(start, stop)` gives the PCM of samples [start, stop); `bounds`
    are the parts' ranges from mp3join.part_bounds, cut where the session is
    silent, so the joined file decodes to the same session as one encode
    would. Each part is decoded and measured as it is written; the joins being
    silent, the whole's peak is the largest of theirs and its loudness that of
    their frames in order. When one part fails or the
    build is interrupted, every part stops and no part file is left behind;
    ffmpeg's failures raise VoiceroutineError, an error from `render` is
    raised as it is.
    """
    label = name or destination.name
    decoder = audio_format.growing_decoder
    if not audio_format.in_parts or decoder is None:
        raise ValueError(f"{audio_format.name} is not encoded in parts")
    paths = [destination] + [
        destination.with_name(f"{destination.name}.part{index}") for index in range(1, len(bounds))
    ]
    stop = threading.Event()
    checks: list[GrowingFileCheck] = []

    def encode_part(index: int) -> FfmpegRun[Measurement]:
        if index > 0:
            release_signals()  # started while the main thread held them (below)
        start, end = bounds[index]
        # Parts after the first lose their Info frame in the join and need no ID3 tag.
        options = audio_format.options if index == 0 else ("-id3v2_version", "0")
        arguments = ["-loglevel", "error", "-nostats", "-y", *_pcm_input(sample_rate, channels)]
        arguments += ["-map", "0:a", "-map_metadata", "-1"]
        arguments += [*_codec(audio_format, bitrate_kbps, channels), *options]
        arguments += ["-f", audio_format.muxer, paths[index].name]
        try:
            run = pipe_into_ffmpeg(
                arguments, _until(stop, render(start, end)), cwd=destination.parent
            )
        except BaseException:
            stop.set()  # the other parts stop at their next block
            raise
        if run.code != 0:
            stop.set()
        return run

    try:
        for path in paths:
            path.write_bytes(b"")  # each check reads its file as it grows: nothing stale
            checks.append(GrowingFileCheck(path, decoder, sample_rate, channels, label))
        others: list[Future[FfmpegRun[Measurement]]] = []
        try:
            with signals_held():  # an interrupt now could not tell which parts are running
                for index in range(1, len(bounds)):
                    others.append(
                        in_thread(partial(encode_part, index), f"part {index}", daemon=False)
                    )
            parts = [settled(partial(encode_part, 0)), *others]
            wait(others)
        except BaseException:  # interrupted while starting or waiting: stop every part
            stop.set()
            wait(others)
            raise
        errors = [part.exception() for part in parts]
        causes = [error for error in errors if error and not isinstance(error, _Stopped)]
        if causes:
            raise causes[0]
        runs = [part.result() for part, error in zip(parts, errors, strict=True) if not error]
        failed = next((run for run in runs if run.code != 0), None)
        if failed is not None or any(errors):
            reason = failed.reason() if failed is not None else "it was stopped"
            raise VoiceroutineError(f"ffmpeg could not encode {label}: {reason}")
        measured = Measurement.joined([check.finish() for check in checks])
        try:
            join_mp3(destination, paths[1:])
        except (Mp3JoinError, OSError) as error:
            raise VoiceroutineError(f"could not join the parts of {label}: {error}") from None
        return measured
    except BaseException:
        for check in checks:
            check.cancel()
        raise
    finally:
        for path in paths[1:]:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


class _Stopped(Exception):
    """Another part failed: this one stops too."""


def _until(stop: threading.Event, blocks: Iterable[bytes]) -> Iterator[bytes]:
    """The blocks, until `stop` is set."""
    for block in blocks:
        if stop.is_set():
            raise _Stopped
        yield block


def _pcm_input(sample_rate: int, channels: int) -> list[str]:
    """ffmpeg's input: 16-bit PCM on its standard input."""
    return ["-f", "s16le", "-ar", str(sample_rate), "-ac", str(channels), "-i", "pipe:0"]


def _codec(audio_format: AudioFormat, bitrate_kbps: int | None, channels: int) -> list[str]:
    """The encoder and its bitrate."""
    arguments = ["-c:a", audio_format.codec]
    bitrate = audio_format.bitrate(bitrate_kbps, channels)
    if bitrate is not None:
        arguments += ["-b:a", f"{bitrate}k"]
    return arguments


def _metered(blocks: Iterable[bytes], meter: OutputMeter) -> Iterator[bytes]:
    """The blocks unchanged, each metered on its way to the encoder."""
    for block in blocks:
        meter.add_pcm16(block)
        yield block


TEE_RESERVED = re.compile(r"[|\\\[\]:'\"]")
"""Characters with a meaning in the tee muxer's list of outputs."""


def tee_outputs(
    audio_format: AudioFormat, file_name: str, stream: str, with_options: bool = True
) -> str:
    """The tee muxer's outputs: the file, and the same packets on stdout in `stream`.

    Without `with_options`, the file is written without the format's muxer options
    (a file that is remuxed afterwards needs none).
    """
    options = [f"f={audio_format.muxer}"]
    written = audio_format.options if with_options else ()
    pairs = zip(written[::2], written[1::2], strict=True)
    options += [f"{key.lstrip('-')}={value}" for key, value in pairs]
    return f"[{':'.join(options)}]{file_name}|[f={stream}]pipe\\:1"


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
