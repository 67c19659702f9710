"""The K-weighted 100 ms powers of a session without a music bed, one weighted line at a time.

A session is its lines and sounds placed at exact samples, mostly one at a
time. Where a source plays alone, the weighted mix is that source's
weighted samples, so their squares can be summed frame by frame straight
from the source, filtered once for all its placements and let go before the
next. Only where sources overlap (a tone under a line, a bell after it) are
their weighted samples added up first, in small buffers of their own. The
result equals the powers of the whole weighted mix rendered and squared,
while holding one weighted line instead of all of them.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from voiceroutine.audio.render import ms_to_samples
from voiceroutine.plan import Sound
from voiceroutine.threads import map_in_threads
from voiceroutine.timeline import Timeline

Span = tuple[int, int]
"""[start, end) in samples."""


@dataclass
class _Overlap:
    """A stretch where several sources sound at once, and their weighted sum there."""

    start: int
    summed: np.ndarray


def weighted_frame_powers(
    timeline: Timeline,
    speech: Mapping[str, np.ndarray],
    sounds: Mapping[Sound, np.ndarray],
    weighted: Callable[[np.ndarray], np.ndarray],
    ringing: int,
    frame: int,
) -> np.ndarray:
    """The mean square of each whole `frame` of the mono session, every source `weighted`.

    `weighted(samples)` gives a source filtered, `ringing` samples longer than
    it. Frames run from the session's start; a last partial frame and what
    rings on past the session's end are left out, as a render would.
    """
    total = ms_to_samples(timeline.duration_ms, timeline.sample_rate)
    count = total // frame
    limit = count * frame
    placed: dict[tuple[str, Any], list[int]] = {}
    spans: list[Span] = []
    for cue in timeline.cues:
        key = ("line", cue.text) if cue.text is not None else ("sound", cue.sound)
        samples = speech[cue.text] if cue.text is not None else sounds[cue.sound]
        start = ms_to_samples(cue.start_ms, timeline.sample_rate)
        placed.setdefault(key, []).append(start)
        spans.append((start, min(start + len(samples) + ringing, limit)))
    overlaps = [_Overlap(lo, np.zeros(hi - lo)) for lo, hi in _shared(spans)]
    overlap_starts = [overlap.start for overlap in overlaps]

    def measure(item: tuple[tuple[str, Any], list[int]]) -> _Contributions:
        """One source filtered and measured at each of its places: on a thread of its own."""
        (kind, name), starts = item
        signal = weighted(speech[name] if kind == "line" else sounds[name]).astype(np.float64)
        squares = np.concatenate([[0.0], np.cumsum(np.square(signal))])
        found = _Contributions([], [])
        for start in starts:
            end = min(start + len(signal), limit)
            for lo, hi, overlap in _pieces(start, end, overlaps, overlap_starts):
                if overlap is None:
                    found.alone.append(_frame_sums(squares, lo - start, lo, hi, frame))
                else:
                    found.shared.append(
                        (overlap, lo - overlap.start, signal[lo - start : hi - start])
                    )
        return found

    energy = np.zeros(count)
    # Applied in the sources' order, whichever thread finished first: the sums are the same
    # in every run.
    for found in map_in_threads(measure, placed.items()):
        for frames, sums in found.alone:
            np.add.at(energy, frames, sums)
        for overlap, at, piece in found.shared:
            overlap.summed[at : at + len(piece)] += piece
    for overlap in overlaps:
        squares = np.concatenate([[0.0], np.cumsum(np.square(overlap.summed))])
        end = overlap.start + len(overlap.summed)
        np.add.at(energy, *_frame_sums(squares, 0, overlap.start, end, frame))
    return energy / frame


@dataclass
class _Contributions:
    """What one source adds: energy to frames where it plays alone, samples to overlaps."""

    alone: list[tuple[np.ndarray, np.ndarray]]
    shared: list[tuple[_Overlap, int, np.ndarray]]


def _shared(spans: Sequence[Span]) -> list[Span]:
    """The sorted, disjoint stretches that two or more spans cover."""
    events = sorted(
        [(lo, 1) for lo, hi in spans if hi > lo] + [(hi, -1) for lo, hi in spans if hi > lo]
    )
    shared: list[Span] = []
    depth = 0
    opened = 0
    for position, change in events:
        if depth >= 2 and depth + change < 2 and position > opened:
            shared.append((opened, position))
        if depth < 2 <= depth + change:
            opened = position
        depth += change
    return shared


def _pieces(
    start: int, end: int, overlaps: list[_Overlap], starts: list[int]
) -> list[tuple[int, int, _Overlap | None]]:
    """[start, end) cut where it enters and leaves overlaps: each piece with its overlap."""
    pieces: list[tuple[int, int, _Overlap | None]] = []
    index = max(0, bisect.bisect_right(starts, start) - 1)
    position = start
    while position < end:
        while (
            index < len(overlaps)
            and overlaps[index].start + len(overlaps[index].summed) <= position
        ):
            index += 1
        if index < len(overlaps) and overlaps[index].start <= position:
            overlap = overlaps[index]
            stop = min(end, overlap.start + len(overlap.summed))
            pieces.append((position, stop, overlap))
        else:
            stop = min(end, overlaps[index].start) if index < len(overlaps) else end
            pieces.append((position, stop, None))
        position = stop
    return pieces


def _frame_sums(
    squares: np.ndarray, offset: int, lo: int, hi: int, frame: int
) -> tuple[np.ndarray, np.ndarray]:
    """The frames that session samples [lo, hi) fall in, and the energy in each.

    `squares` is the running sum of squared samples, `offset` where session
    sample `lo` falls in it.
    """
    cuts = np.arange((lo // frame + 1) * frame, hi, frame)
    edges = np.concatenate([[lo], cuts, [hi]])
    return edges[:-1] // frame, np.diff(squares[edges - lo + offset])
