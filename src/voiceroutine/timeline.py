"""Schedule a Plan into a Timeline: every cue at an exact millisecond, plus chapters and segments.

Speech moves the clock by the length of its clip; periods move it by exactly
their length, whatever is said inside them. A line that does not fit inside
its period is shortened (a shorter alternative) or dropped, with a warning,
and never pushes anything later.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from voiceroutine.plan import (
    Chapter,
    Gap,
    Period,
    Plan,
    Play,
    SegmentKind,
    Sound,
    Speak,
    TimedCue,
    Tone,
)

MIN_GAP_MS = 150
"""Silence kept between two lines inside a period, and before the period's end."""

CueKind = Literal["speech", "tone", "sound"]


@dataclass(frozen=True)
class Cue:
    """One sound in the file: it begins at `start_ms` and ends at `end_ms`.

    A speech cue has the `text` it speaks; a tone or sound cue has its `sound`.
    """

    start_ms: int
    end_ms: int
    kind: CueKind
    text: str | None
    chapter: int
    sound: Sound | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "kind": self.kind,
            "text": self.text,
            "chapter": self.chapter,
        }
        if self.sound is not None:
            data["sound"] = self.sound.label
        return data


@dataclass(frozen=True)
class ChapterSpan:
    """A chapter as it is heard: its title and where it starts and ends in the session."""

    title: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Segment:
    """A timed period of the routine (a hold, a rest, a breath phase...)."""

    kind: SegmentKind
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class ScheduleWarning:
    at_ms: int
    message: str


@dataclass(frozen=True)
class SpeakingVoice:
    """Who speaks a session: the engine, its voice's id (as `voices` lists it), the language."""

    engine: str
    voice: str
    language: str

    def __str__(self) -> str:
        return f"{self.engine} {self.voice} ({self.language})"


@dataclass(frozen=True)
class Timeline:
    title: str
    description: str | None
    duration_ms: int
    sample_rate: int
    chapters: tuple[ChapterSpan, ...]
    cues: tuple[Cue, ...]
    segments: tuple[Segment, ...]
    warnings: tuple[ScheduleWarning, ...]
    voice: SpeakingVoice | None = None

    def to_json(self) -> dict[str, Any]:
        """The timeline file's content (the contract other tools read)."""
        data: dict[str, Any] = {
            "title": self.title,
            "duration_ms": self.duration_ms,
            "sample_rate": self.sample_rate,
        }
        if self.voice is not None:
            data["voice"] = asdict(self.voice)
        return data | {
            "chapters": [asdict(chapter) for chapter in self.chapters],
            "cues": [cue.to_json() for cue in self.cues],
            "segments": [asdict(segment) for segment in self.segments],
        }


ClipLength = Callable[[str], int]
"""How long, in milliseconds, the clip for a line of text lasts."""
SoundLength = Callable[[Sound], int]
"""How long, in milliseconds, a sound lasts."""


def clip_ms_from_samples(samples: int, sample_rate: int) -> int:
    """A clip's length rounded up to whole milliseconds, so the next cue never overlaps it."""
    return math.ceil(samples * 1000 / sample_rate)


def schedule(plan: Plan, clip_ms: ClipLength, sample_rate: int, sound_ms: SoundLength) -> Timeline:
    """Place every item of `plan` in time, given each line's clip length and each sound's."""
    clock = 0
    chapter_starts: list[tuple[str, int]] = []
    cues: list[Cue] = []
    segments: list[Segment] = []
    warnings: list[ScheduleWarning] = []

    def chapter_index() -> int:
        return max(len(chapter_starts) - 1, 0)

    for item in plan.items:
        if isinstance(item, Chapter):
            if chapter_starts and chapter_starts[-1][1] == clock:
                chapter_starts[-1] = (item.title, clock)
            else:
                chapter_starts.append((item.title, clock))
        elif isinstance(item, Speak):
            length = clip_ms(item.text)
            cues.append(Cue(clock, clock + length, "speech", item.text, chapter_index()))
            clock += length
        elif isinstance(item, Play):
            length = sound_ms(item.sound)
            cues.append(_sound_cue(clock, length, item.sound, chapter_index()))
            clock += length
        elif isinstance(item, Gap):
            clock += item.ms
        elif isinstance(item, Period):
            placed, dropped = _place_inside(item, clock, clip_ms)
            sounds, unplayed = _place_sounds(item, clock, sound_ms)
            inside = [
                Cue(start, start + clip_ms(text), "speech", text, chapter_index())
                for start, text in placed
            ] + [
                _sound_cue(start, sound_ms(sound), sound, chapter_index())
                for start, sound in sounds
            ]
            cues.extend(sorted(inside, key=lambda cue: cue.start_ms))
            warnings.extend(dropped + unplayed)
            segments.append(Segment(item.kind, clock, clock + item.ms))
            clock += item.ms
    if not chapter_starts:
        chapter_starts.append((plan.title, 0))
    chapter_starts[0] = (chapter_starts[0][0], 0)  # the first chapter covers the lead-in too
    chapters = tuple(
        ChapterSpan(
            title, start, chapter_starts[i + 1][1] if i + 1 < len(chapter_starts) else clock
        )
        for i, (title, start) in enumerate(chapter_starts)
    )
    return Timeline(
        title=plan.title,
        description=plan.description,
        duration_ms=clock,
        sample_rate=sample_rate,
        chapters=chapters,
        cues=tuple(cues),
        segments=tuple(segments),
        warnings=tuple(warnings),
    )


def _sound_cue(start: int, length: int, sound: Sound, chapter: int) -> Cue:
    return Cue(
        start, start + length, "tone" if isinstance(sound, Tone) else "sound", None, chapter, sound
    )


def _place_sounds(
    period: Period, start: int, sound_ms: SoundLength
) -> tuple[list[tuple[int, Sound]], list[ScheduleWarning]]:
    """Place a period's sounds at their offsets; they may overlap speech but not its end."""
    end = start + period.ms
    placed: list[tuple[int, Sound]] = []
    dropped: list[ScheduleWarning] = []
    for cue in period.cues:
        if cue.sound is None:
            continue
        length = sound_ms(cue.sound)
        at = end - cue.offset_ms - length if cue.from_end else start + cue.offset_ms
        if at < start or at + length > end:
            dropped.append(
                ScheduleWarning(
                    max(at, start),
                    f"the sound '{cue.sound.label}' does not fit in the {period.kind} "
                    f"of {period.ms / 1000:g} s and was dropped",
                )
            )
            continue
        placed.append((at, cue.sound))
    return placed, dropped


def _place_inside(
    period: Period, start: int, clip_ms: ClipLength
) -> tuple[list[tuple[int, str]], list[ScheduleWarning]]:
    """Place a period's lines; each must start after the previous one ends and end in time."""
    end = start + period.ms
    placed: list[tuple[int, str]] = []
    dropped: list[ScheduleWarning] = []
    free_from = start
    spoken = [cue for cue in period.cues if cue.sound is None]
    for cue in sorted(spoken, key=lambda cue: _nominal_start(cue, start, end, clip_ms)):
        chosen = _first_fitting(cue, start, end, free_from, clip_ms)
        if chosen is None:
            where = max(start, _nominal_start(cue, start, end, clip_ms))
            dropped.append(
                ScheduleWarning(
                    where,
                    f"'{cue.texts[0]}' does not fit in the {period.kind} "
                    f"of {period.ms / 1000:g} s and was dropped",
                )
            )
            continue
        at, text = chosen
        placed.append((at, text))
        free_from = at + clip_ms(text) + MIN_GAP_MS
    return placed, dropped


def _nominal_start(cue: TimedCue, start: int, end: int, clip_ms: ClipLength) -> int:
    if cue.from_end:
        return end - cue.offset_ms - clip_ms(cue.texts[0])
    return start + cue.offset_ms


def _first_fitting(
    cue: TimedCue, start: int, end: int, free_from: int, clip_ms: ClipLength
) -> tuple[int, str] | None:
    for text in cue.texts:
        length = clip_ms(text)
        at = end - cue.offset_ms - length if cue.from_end else start + cue.offset_ms
        if at >= free_from and at + length + MIN_GAP_MS <= end:
            return at, text
    return None
