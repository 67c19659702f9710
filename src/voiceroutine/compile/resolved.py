"""Each step resolved into what it plays: every dosing value decided, defaults applied."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from voiceroutine.plan import SegmentKind, Sound, sound_named
from voiceroutine.routine import (
    BreatheStep,
    BreathGuide,
    CountStyle,
    ExerciseStep,
    Guidance,
    Marks,
    PauseStep,
    RepeatStep,
    RestStep,
    Routine,
    SayStep,
    SoundStep,
    Step,
)


@dataclass(frozen=True)
class Exercise:
    """An exercise with every dosing value resolved."""

    name: str
    setup: tuple[str, ...]
    instructions: tuple[str, ...]
    caution: str | None
    cues: tuple[str, ...]
    reps: int
    hold_ms: int | None
    sides: str
    start_side: str
    sets: int
    rest_between_ms: int
    rest_between_sets_ms: int
    tempo_ms: int
    count: CountStyle
    guidance: Guidance
    get_ready_ms: int
    start_sound: Sound | None = None
    end_sound: Sound | None = None
    preface: str | None = None
    """A line said after the name, such as the round number of a repeat."""
    round: tuple[int, int] | None = None
    """Which round of an announced repeat this is, and of how many: the chapter says so."""


@dataclass(frozen=True)
class Phase:
    """One phase of a breath: its segment kind, length, and the phrase key that cues it."""

    kind: SegmentKind
    ms: int
    cue: str


@dataclass(frozen=True)
class Breathing:
    """A breathing block with its cycle count resolved."""

    name: str | None
    intro: tuple[str, ...]
    phases: tuple[Phase, ...]
    cycles: int
    counts: bool
    guidance: Guidance
    guide: BreathGuide = "voice"
    preface: str | None = None
    round: tuple[int, int] | None = None


@dataclass(frozen=True)
class Rest:
    """A rest of `ms` milliseconds (0 means none)."""

    ms: int
    start_sound: Sound | None = None
    end_sound: Sound | None = None


@dataclass(frozen=True)
class Announce:
    """A line the compiler adds between flattened steps (such as a round number)."""

    text: str


T = TypeVar("T")
D = TypeVar("D")

Flat = SayStep | PauseStep | SoundStep | Rest | Exercise | Breathing | Announce
"""A step as the session plays it, once repeats are expanded."""


def resolved(step: Step, routine: Routine) -> Flat:
    """A step that is not a repeat, with its dosing and sounds decided."""
    if isinstance(step, ExerciseStep):
        return resolve_exercise(step, routine)
    if isinstance(step, BreatheStep):
        return resolve_breathing(step, routine)
    if isinstance(step, RestStep):
        marks = step.sounds or Marks()
        sounds = routine.defaults.sounds
        return Rest(
            step.rest, mark(marks.start, sounds.rest_start), mark(marks.end, sounds.rest_end)
        )
    if isinstance(step, RepeatStep):
        raise TypeError("a repeat is expanded by steps.py, not resolved")
    return step


def resolve_exercise(step: ExerciseStep, routine: Routine) -> Exercise:
    definition = step.exercise
    defaults = routine.defaults
    return Exercise(
        name=definition.name,
        setup=tuple(definition.setup),
        instructions=tuple(definition.instructions),
        caution=definition.caution,
        cues=tuple(definition.cues),
        reps=_first(step.reps, definition.reps, 1),
        hold_ms=_first(step.hold, definition.hold, None),
        sides=_first(step.sides, definition.sides, "none"),
        start_side=_first(step.start_side, definition.start_side, "right"),
        sets=_first(step.sets, definition.sets, 1),
        rest_between_ms=_first(
            step.rest_between, definition.rest_between, defaults.rest_between_reps
        ),
        rest_between_sets_ms=_first(
            step.rest_between_sets, definition.rest_between_sets, defaults.rest_between_sets
        ),
        tempo_ms=_first(step.tempo, definition.tempo, defaults.tempo),
        count=_first(step.count, definition.count, defaults.count),
        guidance=step.guidance or routine.guidance,
        get_ready_ms=_first(step.get_ready, None, defaults.get_ready),
        start_sound=mark((step.sounds or Marks()).start, defaults.sounds.exercise_start),
        end_sound=mark((step.sounds or Marks()).end, defaults.sounds.exercise_end),
    )


def _first(override: T | None, own: T | None, default: D) -> T | D:
    """The step's override, else the definition's own value, else the default."""
    if override is not None:
        return override
    return own if own is not None else default


def resolve_breathing(step: BreatheStep, routine: Routine) -> Breathing:
    pattern = step.breathe
    guide = step.guide or routine.defaults.guide
    phases = tuple(
        Phase(kind, ms, cue)
        for kind, ms, cue in (
            ("inhale", pattern.inhale, "breathe_in"),
            ("inhale", pattern.top_up, "top_up"),
            ("breath-hold", pattern.hold, "hold_breath"),
            ("exhale", pattern.exhale, "breathe_out"),
            ("breath-hold", pattern.hold_out, "hold_breath"),
        )
        if ms > 0
    )
    cycle_ms = sum(phase.ms for phase in phases)
    if step.cycles is not None:
        cycles = step.cycles
    elif step.duration is not None:
        cycles = max(1, round(step.duration / cycle_ms))
    elif pattern.cycles is not None:
        cycles = pattern.cycles
    elif pattern.duration is not None:
        cycles = max(1, round(pattern.duration / cycle_ms))
    else:
        cycles = 5
    return Breathing(
        pattern.name,
        tuple(pattern.intro),
        phases,
        cycles,
        guide != "tones" if pattern.counts is None else pattern.counts,
        step.guidance or routine.guidance,
        guide,
    )


def mark(chosen: str | bool | None, default: str | None) -> Sound | None:
    """A step's own start or end sound (False: none), else the routine's default."""
    if chosen is False:
        return None
    name = chosen if isinstance(chosen, str) else default
    return sound_named(name) if name else None
