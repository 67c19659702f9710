"""Measure a session as players decode it: true peak (4x oversampled) and loudness (BS.1770).

Lossy encoders add peaks of their own and change the loudness a little, so
both are measured on the decoded audio, on a thread of this process while
the file is written: MP3 and Vorbis are decoded by miniaudio, reading the
file as ffmpeg writes it; for Opus and AAC, ffmpeg's tee muxer copies the
packets to a second ffmpeg whose output the thread reads. Either way the
check runs on the other core (formats.py says which way each format takes).
A file can also be decoded once written; lossless formats are metered on
the PCM sent to the encoder, which is what decoding them gives back. Every
path ends in one OutputMeter: soxr oversamples the samples four times, as
the speech limiter does, and the largest magnitude is the true peak; the
same samples are K-weighted and framed for the integrated loudness.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from voiceroutine.audio.ffmpeg import ffmpeg_exe
from voiceroutine.audio.loudness import StreamingLoudness, integrated_loudness
from voiceroutine.errors import VoiceroutineError

OVERSAMPLING = 4
READ_FRAMES = 1 << 16
"""Frames decoded or read at a time: large enough that Python's share of the work is small."""
CHECK_NICENESS = 19
"""The checking thread's niceness: it yields the cores to the encoder, whose threads pass
every frame from one to the next and stall when one of them waits for a core (measured
on 37 minutes of MP3: the encode took 0.5 s longer beside a check at normal priority)."""


@dataclass(frozen=True)
class Measurement:
    """What a player decodes from a file: its true peak and its K-weighted frame powers."""

    true_peak_dbtp: float
    frame_powers: np.ndarray

    @property
    def lufs(self) -> float:
        """The integrated loudness (BS.1770)."""
        return integrated_loudness(self.frame_powers)

    @staticmethod
    def joined(parts: Sequence[Measurement]) -> Measurement:
        """The measurement of parts played one after another (joined where they are silent)."""
        return Measurement(
            max(part.true_peak_dbtp for part in parts),
            np.concatenate([part.frame_powers for part in parts]),
        )


PeakCheck = Callable[[IO[bytes]], Callable[[], Measurement]]
"""Attached to an encoder's output pipe; what it returns waits and gives the measurement."""


STRETCH = 4096
"""Frames judged together: a stretch is oversampled only if it could hold a new peak."""


class PeakMeter:
    """The true peak of interleaved float samples fed to it block by block.

    Most of a session is too quiet to hold its peak, so not all of it is
    oversampled: soxr's interpolation filter can raise no value above its gain
    bound times the loudest input sample within its reach (both measured from
    the filter itself: `_interpolator`). A stretch whose neighbourhood stays
    under the highest peak found so far divided by that bound cannot hold the
    true peak and is skipped; the rest is oversampled with its neighbours as
    context. The result is the same as oversampling everything; on a
    37-minute session about a third of it is.
    """

    def __init__(self, sample_rate: int, channels: int) -> None:
        self.channels = channels
        self._rate = sample_rate
        self._bound, reach = _interpolator(sample_rate)
        self._margin = 2 * reach
        assert self._margin < STRETCH, "a stretch's neighbours must cover the filter's reach"
        self._peak = 0.0
        self._before = np.zeros((0, channels), dtype=np.float32)
        self._pending: np.ndarray | None = None
        """The last block: it is metered when the next one's first frames are known."""

    def add(self, samples: np.ndarray) -> None:
        """Meter the next interleaved float32 samples (a whole number of frames)."""
        frames = samples.reshape(-1, self.channels)
        if len(frames) == 0:
            return
        self._peak = max(self._peak, _magnitude(frames))
        if self._pending is None:
            self._pending = frames
        elif len(frames) < self._margin:  # too short to be the context after the last block
            self._pending = np.concatenate([self._pending, frames])
        else:
            self._meter(self._pending, frames[: self._margin])
            self._pending = frames

    def add_pcm16(self, data: bytes) -> None:
        """Meter little-endian 16-bit PCM, scaled as decoders scale it (1/32768)."""
        self.add(np.frombuffer(data, dtype="<i2").astype(np.float32) * np.float32(1 / 32768))

    def dbtp(self) -> float:
        """The true peak of everything fed so far, in dBTP."""
        if self._pending is not None:
            self._meter(self._pending, np.zeros((0, self.channels), dtype=np.float32))
            self._pending = None
        return 20 * math.log10(self._peak) if self._peak > 0 else -math.inf

    def _meter(self, block: np.ndarray, after: np.ndarray) -> None:
        """Oversample the stretches of `block` that could hold a peak above the highest yet."""
        import soxr

        margin = self._margin
        context = np.concatenate([self._before[-margin:], block, after])
        offset = min(len(self._before), margin)
        self._before = block[-margin:]
        loudest = _stretch_magnitudes(block)
        around = loudest.copy()  # each stretch with its neighbours: the filter reaches into them
        around[1:] = np.maximum(around[1:], loudest[:-1])
        around[:-1] = np.maximum(around[:-1], loudest[1:])
        around[0] = max(around[0], _magnitude(context[:offset]))
        around[-1] = max(around[-1], _magnitude(after))
        for first, last in _runs(around * self._bound > self._peak):
            start, end = first * STRETCH, min(last * STRETCH, len(block))
            lo, hi = max(0, offset + start - margin), offset + end + margin
            piece = context[lo:hi]
            upsampled = soxr.resample(
                piece[:, 0] if self.channels == 1 else piece,
                self._rate, self._rate * OVERSAMPLING, quality="HQ",
            )  # fmt: skip
            inner = upsampled[
                (offset + start - lo) * OVERSAMPLING : (offset + end - lo) * OVERSAMPLING
            ]
            self._peak = max(self._peak, _magnitude(inner))


class OutputMeter:
    """The true peak and the loudness of interleaved float samples fed to it block by block."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        self.channels = channels
        self._peak = PeakMeter(sample_rate, channels)
        self._loudness = StreamingLoudness(sample_rate, channels)

    def add(self, samples: np.ndarray) -> None:
        """Meter the next interleaved float32 samples (a whole number of frames)."""
        self._peak.add(samples)
        self._loudness.add(samples.reshape(-1, self.channels))

    def add_pcm16(self, data: bytes) -> None:
        """Meter little-endian 16-bit PCM, scaled as decoders scale it (1/32768)."""
        self.add(np.frombuffer(data, dtype="<i2").astype(np.float32) * np.float32(1 / 32768))

    def measurement(self) -> Measurement:
        """What everything fed so far measures."""
        return Measurement(self._peak.dbtp(), self._loudness.frame_powers())


def _stretch_magnitudes(frames: np.ndarray) -> np.ndarray:
    """The largest absolute sample of each STRETCH frames (the last one may be shorter)."""
    flat = frames.reshape(-1)
    starts = np.arange(0, len(frames), STRETCH) * frames.shape[1]
    return np.maximum(np.maximum.reduceat(flat, starts), -np.minimum.reduceat(flat, starts))


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """The [first, last) index ranges where `flags` is true."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flags.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


@functools.cache
def _interpolator(sample_rate: int) -> tuple[float, int]:
    """soxr's 4x interpolation filter at this rate: its gain bound and its reach.

    The bound is the largest sum of absolute taps over the four output phases:
    no oversampled value exceeds it times the loudest input sample in reach.
    The reach is how many input samples on each side carry taps above 1e-6
    of the largest.
    """
    import soxr

    size = 4096
    impulse = np.zeros(size, dtype=np.float64)
    impulse[size // 2] = 1.0
    response = np.abs(soxr.resample(impulse, sample_rate, sample_rate * OVERSAMPLING, "HQ"))
    bound = max(float(response[phase::OVERSAMPLING].sum()) for phase in range(OVERSAMPLING))
    taps = np.flatnonzero(response > 1e-6 * response.max())
    reach = int(np.ceil(np.max(np.abs(taps / OVERSAMPLING - size // 2)))) + 1
    return bound, reach


def _magnitude(samples: np.ndarray) -> float:
    """The largest absolute sample, without an absolute-value copy of the block."""
    if samples.size == 0:
        return 0.0
    return max(float(samples.max()), -float(samples.min()))


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
        self._result = _in_thread(
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
        return _in_thread(lambda: _meter_decoder(process, report, meter, name), name)

    return attach


def _in_thread(work: Callable[[], Measurement], name: str) -> Callable[[], Measurement]:
    """Run `work` on a thread; the function returned waits for it and gives its result."""
    results: list[Measurement] = []
    failures: list[BaseException] = []
    done = threading.Event()

    def run() -> None:
        try:
            if sys.platform.startswith("linux"):  # where a thread id names one thread
                with contextlib.suppress(OSError):
                    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), CHECK_NICENESS)
            results.append(work())
        except BaseException as error:  # handed to the waiting thread below
            failures.append(error)
        finally:
            done.set()

    thread = threading.Thread(target=run, name=f"true peak of {name}", daemon=True)
    thread.start()

    def finish() -> Measurement:
        # Not thread.join(): after a join interrupted by a signal, Python 3.11 may let the
        # next join return while the thread still runs. The event says when it is done.
        done.wait()
        if failures:
            error = failures[0]
            if isinstance(error, VoiceroutineError):
                raise error
            raise VoiceroutineError(f"could not decode {name} to check it: {error}") from None
        return results[0]

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
