"""The true peak (4x oversampled) and the loudness (BS.1770) of samples fed block by block.

Pure arithmetic on float samples: where they come from (a decoder, the PCM
sent to an encoder) is truepeak.py's business. soxr oversamples the samples
four times, as the speech limiter does, and the largest magnitude is the
true peak; the same samples are K-weighted and framed for the loudness.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from voiceroutine.audio.loudness import StreamingLoudness, integrated_loudness

OVERSAMPLING = 4


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
