"""Measure a session as players decode it: true peak (4x oversampled) and loudness (BS.1770).

Lossy encoders add peaks of their own and change the loudness a little, so
both are measured on the decoded audio, on a thread of this process while
the file is written: MP3 and Vorbis are decoded by miniaudio, reading the
file as ffmpeg writes it; for Opus and AAC, ffmpeg's tee muxer copies the
packets to a second ffmpeg whose output the thread reads. Either way the
check runs on the other core (formats.py says which way each format takes).
A file can also be decoded once written; lossless formats are metered on
the PCM sent to the encoder, which is what decoding them gives back. Every
path ends in one OutputMeter (meter.py).
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

import numpy as np

from voiceroutine.audio.ffmpeg import ffmpeg_exe
from voiceroutine.audio.meter import Measurement, OutputMeter
from voiceroutine.errors import VoiceroutineError
from voiceroutine.threads import in_thread

READ_FRAMES = 1 << 16
"""Frames decoded or read at a time: large enough that Python's share of the work is small."""
CHECK_NICENESS = 19
"""The checking thread's niceness: it yields the cores to the encoder, whose threads pass
every frame from one to the next and stall when one of them waits for a core (measured
on 37 minutes of MP3: the encode took 0.5 s longer beside a check at normal priority)."""


PeakCheck = Callable[[IO[bytes]], Callable[[], Measurement]]
"""Attached to an encoder's output pipe; what it returns waits and gives the measurement."""


def measure_file(path: Path, sample_rate: int, channels: int) -> Measurement:
    """The true peak and loudness of the file as ffmpeg decodes it."""
    process, report = _start_decoder(["-i", str(path)], None, sample_rate, channels)
    return _meter_decoder(process, report, OutputMeter(sample_rate, channels), path.name)


class GrowingFileCheck:
    """Decode and meter a file in this process, on a thread, while an encoder writes it.

    A read that reaches the end of what is written so far waits for more,
    until `finish` says the writer is done. The file must exist and be empty
    when the check starts, so nothing stale is read.
    """

    def __init__(
        self, path: Path, miniaudio_format: str, rate: int, channels: int, name: str
    ) -> None:
        self._path = path
        self._written = threading.Event()
        self._cancelled = False
        meter = OutputMeter(rate, channels)
        self._result = _checking(
            lambda: _decode_here(self._read_growing(), miniaudio_format, meter, rate),
            name,
        )  # fmt: skip

    def finish(self) -> Measurement:
        """Once the writer is done: the file's measurement, or VoiceroutineError."""
        self._written.set()
        return self._result()

    def cancel(self) -> None:
        """Stop reading (the writer failed or was stopped) and wait for the thread."""
        self._cancelled = True
        self._written.set()
        with contextlib.suppress(VoiceroutineError):
            self._result()

    def _read_growing(self) -> IO[bytes]:
        return _GrowingReader(self._path.open("rb"), self._written, lambda: self._cancelled)


POLL_SECONDS = 0.005
"""How long a read at the end of a growing file waits before it looks again."""


class _GrowingReader(io.RawIOBase):
    """A file being written, read as a stream that ends when its writer is done."""

    def __init__(
        self, file: IO[bytes], written: threading.Event, cancelled: Callable[[], bool]
    ) -> None:
        self._file = file
        self._written = written
        self._cancelled = cancelled

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        """`size` bytes, fewer only at the end of the finished file."""
        parts: list[bytes] = []
        wanted = size
        while wanted > 0 and not self._cancelled():
            done = self._written.is_set()  # checked before reading: no data is missed
            data = self._file.read(wanted)
            if data:
                parts.append(data)
                wanted -= len(data)
            elif done:
                break
            else:
                self._written.wait(POLL_SECONDS)
        return b"".join(parts)

    def close(self) -> None:
        self._file.close()
        super().close()


def stream_check(demuxer: str, sample_rate: int, channels: int, name: str) -> PeakCheck:
    """A check of an encoder's output as it is written, on the encoder's stdout.

    `demuxer` is ffmpeg's name for the stream's container as it reads it.

    A second ffmpeg decodes it; a thread here meters what that decoder writes.
    """
    meter = OutputMeter(sample_rate, channels)

    def attach(encoded: IO[bytes]) -> Callable[[], Measurement]:
        with encoded:  # the decoder holds the pipe now: the encoder sees it end
            process, report = _start_decoder(
                ["-f", demuxer, "-i", "pipe:0"], encoded, sample_rate, channels
            )
        return _checking(lambda: _meter_decoder(process, report, meter, name), name)

    return attach


def _checking(work: Callable[[], Measurement], name: str) -> Callable[[], Measurement]:
    """Run a check on a thread; the function returned waits for it and gives its measurement."""
    future = in_thread(work, f"true peak of {name}", CHECK_NICENESS)

    def finish() -> Measurement:
        try:
            return future.result()
        except VoiceroutineError:
            raise
        except Exception as error:
            raise VoiceroutineError(f"could not decode {name} to check it: {error}") from None

    return finish


def _decode_here(
    encoded: IO[bytes], miniaudio_format: str, meter: OutputMeter, rate: int
) -> Measurement:
    """Decode the stream in this process with miniaudio and meter it."""
    import miniaudio

    class Pipe(miniaudio.StreamableSource):  # type: ignore[misc]
        def read(self, num_bytes: int) -> bytes:
            return encoded.read(num_bytes)  # blocks until that much arrives or the stream ends

    frames = miniaudio.stream_any(
        Pipe(),
        source_format=getattr(miniaudio.FileFormat, miniaudio_format),
        output_format=miniaudio.SampleFormat.FLOAT32,
        nchannels=meter.channels,
        sample_rate=rate,
        frames_to_read=READ_FRAMES,
    )
    with encoded:
        for block in frames:
            meter.add(np.frombuffer(block, dtype=np.float32))
    return meter.measurement()


def _start_decoder(
    source: list[str], stdin: IO[bytes] | None, sample_rate: int, channels: int
) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
    command = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", *source,
        "-f", "f32le", "-ar", str(sample_rate), "-ac", str(channels), "pipe:1",
    ]  # fmt: skip
    report = tempfile.TemporaryFile()  # noqa: SIM115 (read and closed by _meter_decoder)
    try:
        process = subprocess.Popen(  # its own session, as the encoder's (ffmpeg.py)
            command, stdin=stdin, stdout=subprocess.PIPE, stderr=report, start_new_session=True
        )
    except OSError as error:
        report.close()
        raise VoiceroutineError(f"cannot run ffmpeg ({command[0]}): {error.strerror}") from None
    return process, report


def _meter_decoder(
    process: subprocess.Popen[bytes], report: IO[bytes], meter: OutputMeter, name: str
) -> Measurement:
    """Meter what the ffmpeg decoder writes, to its end; raise if it failed."""
    assert process.stdout is not None
    frame_bytes = 4 * meter.channels
    with report, process.stdout:
        # A buffered read returns all it asks for until the end: whole frames, bar a torn end.
        while chunk := process.stdout.read(READ_FRAMES * frame_bytes):
            meter.add(
                np.frombuffer(chunk, dtype="<f4", count=len(chunk) // 4)[
                    : len(chunk) // frame_bytes * meter.channels
                ]
            )
        code = process.wait()
        report.seek(0)
        text = report.read().decode("utf-8", "replace").strip()
    if code != 0:
        last = text.splitlines()[-1:] or [f"exit status {code}"]
        raise VoiceroutineError(f"ffmpeg could not decode {name} to check it: {last[0]}")
    return meter.measurement()
