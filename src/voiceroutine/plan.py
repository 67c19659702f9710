"""The Plan: what a session says and how long each timed period lasts, before any audio exists.

Speech lengths are still unknown here; the scheduler (timeline.py) places
everything once it knows how long each clip is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from voiceroutine.names import PALETTE_SOUNDS

SegmentKind = Literal[
    "hold", "rest", "pause", "inhale", "exhale", "breath-hold", "rep", "get-ready"
]


@dataclass(frozen=True)
class Speak:
    """Say `text`; the next item starts when the speech ends."""

    text: str


TONES = ("inhale", "exhale", "hold")
"""Breathing tones: a rising tone across an inhale, a falling one across an exhale, a marker."""


@dataclass(frozen=True, repr=False)
class PaletteSound:
    """A built-in sound synthesized in code: one of PALETTE_SOUNDS (bell, chime, tick)."""

    name: str

    @property
    def label(self) -> str:
        """How the sound is named in the timeline."""
        return self.name

    def __repr__(self) -> str:
        return _as_built_before(self)


@dataclass(frozen=True, repr=False)
class Tone:
    """A breathing tone (one of TONES) that fills `length_ms`."""

    name: str
    length_ms: int

    @property
    def label(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return _as_built_before(self)


@dataclass(frozen=True, repr=False)
class SoundFile:
    """A user's sound file, by its absolute path (the loader resolved and allowed it)."""

    path: Path

    @property
    def label(self) -> str:
        return self.path.name

    def __repr__(self) -> str:
        return _as_built_before(self)


Sound = PaletteSound | Tone | SoundFile
"""A sound that is not speech."""


def _as_built_before(sound: Sound) -> str:
    """How a sound was written in the plan's repr, which the build id hashes (fingerprint.py),
    before sounds were three types: kept, so that what was built is still up to date and a
    published episode keeps its id."""
    if isinstance(sound, SoundFile):
        return f"Sound(name={str(sound.path)!r}, length_ms=None)"
    length = sound.length_ms if isinstance(sound, Tone) else None
    return f"Sound(name={sound.name!r}, length_ms={length!r})"


def sound_named(name: str) -> PaletteSound | SoundFile:
    """What a routine's sound value names: a palette sound, else the file at that path."""
    return PaletteSound(name) if name in PALETTE_SOUNDS else SoundFile(Path(name))


@dataclass(frozen=True)
class Play:
    """Play `sound`; the next item starts when it ends."""

    sound: Sound


@dataclass(frozen=True)
class Gap:
    """A short breathing space between spoken lines; not a timed period of the routine."""

    ms: int


@dataclass(frozen=True)
class TimedCue:
    """A line spoken (or a sound played) inside a Period at a fixed offset.

    `texts` are alternatives, longest first: the scheduler speaks the first
    that fits and drops the cue (with a warning) when none does. With
    `from_end`, the cue is placed so that it *ends* `offset_ms` before the
    period does; otherwise it *starts* `offset_ms` after the period starts.
    A cue with a `sound` plays it instead of speaking; sounds may overlap
    speech, so they do not wait for the lines before them.
    """

    texts: tuple[str, ...]
    offset_ms: int
    from_end: bool = False
    sound: Sound | None = None


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


PlanItem = Speak | Play | Gap | Period | Chapter


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

    def sound_files(self) -> list[Path]:
        """The user's sound files the plan plays, in order of first use."""
        return [sound.path for sound in self.sounds() if isinstance(sound, SoundFile)]

    def sounds(self) -> list[Sound]:
        """Every distinct sound the plan may play, in order of first use."""
        seen: dict[Sound, None] = {}
        for item in self.items:
            if isinstance(item, Play):
                seen.setdefault(item.sound)
            elif isinstance(item, Period):
                for cue in item.cues:
                    if cue.sound is not None:
                        seen.setdefault(cue.sound)
        return list(seen)
