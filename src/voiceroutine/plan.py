"""The Plan: what a session says and how long each timed period lasts, before any audio exists.

Speech lengths are still unknown here; the scheduler (timeline.py) places
everything once it knows how long each clip is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SegmentKind = Literal[
    "hold", "rest", "pause", "inhale", "exhale", "breath-hold", "rep", "get-ready"
]


@dataclass(frozen=True)
class Speak:
    """Say `text`; the next item starts when the speech ends."""

    text: str


@dataclass(frozen=True)
class Gap:
    """A short breathing space between spoken lines; not a timed period of the routine."""

    ms: int


@dataclass(frozen=True)
class TimedCue:
    """A line spoken inside a Period at a fixed offset.

    `texts` are alternatives, longest first: the scheduler speaks the first
    that fits and drops the cue (with a warning) when none does. With
    `from_end`, the cue is placed so that it *ends* `offset_ms` before the
    period does; otherwise it *starts* `offset_ms` after the period starts.
    """

    texts: tuple[str, ...]
    offset_ms: int
    from_end: bool = False


@dataclass(frozen=True)
class Period:
    """A timed period that lasts exactly `ms`, whatever is said inside it."""

    kind: SegmentKind
    ms: int
    cues: tuple[TimedCue, ...] = ()


@dataclass(frozen=True)
class Chapter:
    """Everything from here to the next Chapter belongs to a chapter named `title`."""

    title: str


PlanItem = Speak | Gap | Period | Chapter


@dataclass(frozen=True)
class Plan:
    """A routine compiled to an ordered list of items."""

    title: str
    description: str | None
    items: tuple[PlanItem, ...]

    def texts(self) -> list[str]:
        """Every distinct line the plan may speak, in order of first use."""
        seen: dict[str, None] = {}
        for item in self.items:
            if isinstance(item, Speak):
                seen.setdefault(item.text)
            elif isinstance(item, Period):
                for cue in item.cues:
                    for text in cue.texts:
                        seen.setdefault(text)
        return list(seen)
