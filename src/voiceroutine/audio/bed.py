"""A music bed: a loop under the whole session, ducked under speech, rendered block by block.

The loop comes from ambience.py (built in) or loops.py (a music file).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Ducking:
    """How loud the bed is, and how it gets out of the way of speech."""

    level_db: float = -24.0
    """Bed level in gaps, dB relative to the speech reference level."""
    duck_db: float = 15.0
    """How much lower the bed is under speech."""
    attack_ms: int = 300
    """The bed starts going down this long before a spoken cue..."""
    release_ms: int = 600
    """...and comes back up over this long after it ends."""
    fade_in_ms: int = 3000
    fade_out_ms: int = 5000


def merge_spans(spans: Sequence[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends of the spans' union, sorted, overlapping and touching ones merged."""
    ordered = sorted((start, end) for start, end in spans if end > start)
    starts: list[int] = []
    ends: list[int] = []
    for start, end in ordered:
        if ends and start <= ends[-1]:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return np.array(starts, dtype=np.float64), np.array(ends, dtype=np.float64)


class MusicBed:
    """The bed's samples for any stretch of the session, computed on demand in O(length)."""

    def __init__(
        self,
        loop: np.ndarray,
        total_samples: int,
        speech_spans: Sequence[tuple[int, int]],
        ducking: Ducking,
        reference_rms: float,
        sample_rate: int,
    ) -> None:
        """`loop`: (n, channels) unit-RMS loop; `speech_spans`: (start, end) sample of every
        spoken cue, in any order, overlapping or not; `reference_rms`: the mix level of 0 dB."""
        if loop.ndim != 2 or len(loop) == 0:
            raise ValueError("the loop must be a non-empty (samples, channels) array")
        self._loop = np.asarray(loop, dtype=np.float32)
        self.channels: int = loop.shape[1]
        self._total = total_samples
        self._starts, self._ends = merge_spans(speech_spans)
        self._level = reference_rms * 10 ** (ducking.level_db / 20)
        self._ducked = 10 ** (-ducking.duck_db / 20)
        self._attack = max(1, round(ducking.attack_ms * sample_rate / 1000))
        self._release = max(1, round(ducking.release_ms * sample_rate / 1000))
        self._fade_in = max(1, round(ducking.fade_in_ms * sample_rate / 1000))
        self._fade_out = max(1, round(ducking.fade_out_ms * sample_rate / 1000))
        self._corners: tuple[np.ndarray, np.ndarray] | None = None
        """The duck envelope's corners, found on first use."""

    def filtered(self, circular_filter: Callable[[np.ndarray], np.ndarray]) -> MusicBed:
        """This bed with its loop passed through `circular_filter`, under the same envelopes.

        For a linear, time-invariant filter applied to the loop as one period
        of a periodic signal (its steady state), this is the bed that filter
        would give, to a tiny error: the envelopes ramp over hundreds of
        milliseconds, slowly next to the few milliseconds a filter remembers.
        """
        loop = np.asarray(circular_filter(self._loop), dtype=np.float32)
        if loop.shape != self._loop.shape:
            raise ValueError("a circular filter must keep the loop's shape")
        twin = copy.copy(self)
        twin._loop = loop
        return twin

    def block(self, start: int, length: int) -> np.ndarray:
        """The bed's samples [start, start + length) as (length, channels) float32."""
        t = np.arange(start, start + length, dtype=np.int64)
        gain = self.duck_envelope(t) * self.fade_envelope(t)
        gain *= self._level
        samples = self._looped(start, length)
        samples *= gain[:, None].astype(np.float32)
        return samples

    def _looped(self, start: int, length: int) -> np.ndarray:
        """The loop repeated over [start, start + length): copied in whole runs, not gathered."""
        out = np.empty((length, self.channels), dtype=np.float32)
        size = len(self._loop)
        at, done = start % size, 0
        while done < length:
            run = min(size - at, length - done)
            out[done : done + run] = self._loop[at : at + run]
            done += run
            at = 0
        return out

    def duck_envelope(self, t: np.ndarray) -> np.ndarray:
        """1 in gaps, the ducked gain under speech, linear ramps around each span.

        The envelope is piecewise linear, so it is interpolated between its
        corners (found once, `_duck_corners`) instead of worked out sample by
        sample.
        """
        if not len(self._starts):
            return np.ones(len(t))
        if self._corners is None:
            self._corners = self._duck_corners()
        times, gains = self._corners
        return np.interp(t.astype(np.float64), times, gains)

    def _duck_corners(self) -> tuple[np.ndarray, np.ndarray]:
        """Where the duck envelope changes slope, and its value there.

        Around each gap the release ramp of the span before and the attack
        ramp of the one after meet; the lower wins, so besides the ramps'
        ends a corner can lie where they cross.
        """
        attack, release = float(self._attack), float(self._release)
        corners = [self._starts - attack, self._starts, self._ends, self._ends + release]
        gap_ends, gap_starts = self._starts[1:], self._ends[:-1]
        crossing = (attack * gap_starts + release * gap_ends) / (attack + release)
        corners.append(crossing[(crossing > gap_starts) & (crossing < gap_ends)])
        times = np.unique(np.concatenate(corners))
        return times, self._duck_at(times)

    def _duck_at(self, time: np.ndarray) -> np.ndarray:
        """The duck envelope at `time` (float samples), from its definition.

        Spans are merged and sorted, so only the span at or before each
        sample and the one after it can pull the gain down there: the
        lower of its release ramp and the next one's attack ramp wins.
        """
        after = np.searchsorted(self._starts, time, side="right")
        far = np.float64(np.inf)
        previous_end = np.where(after > 0, self._ends[np.maximum(after - 1, 0)], -far)
        next_start = np.where(
            after < len(self._starts), self._starts[np.minimum(after, len(self._starts) - 1)], far
        )
        released = np.clip((time - previous_end) / self._release, 0.0, 1.0)
        approached = np.clip((next_start - time) / self._attack, 0.0, 1.0)
        depth = 1.0 - self._ducked
        return 1.0 - depth * (1.0 - np.minimum(released, approached))

    def fade_envelope(self, t: np.ndarray) -> np.ndarray:
        """Raised-cosine fade in from 0 at the first sample and out to 0 at the last."""
        gain = np.ones(len(t))
        # Cosines only where a fade is: the first and last seconds of the session.
        for fading, position in (
            (t < self._fade_in, lambda x: x / self._fade_in),
            (
                t > self._total - 1 - self._fade_out,
                lambda x: (self._total - 1 - x) / self._fade_out,
            ),
        ):
            if fading.any():
                into = np.clip(position(t[fading]), 0.0, 1.0)
                gain[fading] *= 0.5 - 0.5 * np.cos(np.pi * into)
        return gain
