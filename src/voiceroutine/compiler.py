"""Compile a Routine into a Plan: the spoken flow a good instructor would follow."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from voiceroutine.library.phrasebook import Phrasebook
from voiceroutine.plan import Chapter, Gap, Period, Plan, PlanItem, SegmentKind, Speak, TimedCue
from voiceroutine.routine import (
    BreatheStep,
    CountStyle,
    Defaults,
    ExerciseStep,
    PauseStep,
    RepeatStep,
    RestStep,
    Routine,
    SayStep,
    Step,
)

LEAD_IN_MS = 500
LINE_GAP_MS = 700
NAME_GAP_MS = 500
SECTION_GAP_MS = 1000
TAIL_MS = 2000
HEADS_UP_BEFORE_END_MS = 1500
HALFWAY_MIN_HOLD_MS = 10_000
COUNTDOWN_AFTER_HALFWAY = 3
BREATH_COUNT_MIN_MS = 3000


@dataclass(frozen=True)
class Exercise:
    """An exercise with every dosing value resolved."""

    name: str
    instructions: tuple[str, ...]
    caution: str | None
    reps: int
    hold_ms: int | None
    sides: str
    sets: int
    rest_between_ms: int
    rest_between_sets_ms: int
    tempo_ms: int
    count: CountStyle


@dataclass(frozen=True)
class Breathing:
    """A breathing block with its cycle count resolved."""

    name: str | None
    intro: str | None
    phases: tuple[tuple[SegmentKind, int], ...]
    cycles: int
    counts: bool


@dataclass(frozen=True)
class Rest:
    """A rest of `ms` milliseconds (0 means none)."""

    ms: int


@dataclass(frozen=True)
class Announce:
    """A line the compiler adds between flattened steps (such as a round number)."""

    text: str


T = TypeVar("T")
D = TypeVar("D")

Flat = SayStep | PauseStep | Rest | Exercise | Breathing | Announce


def compile_routine(routine: Routine, phrases: Phrasebook) -> Plan:
    """Turn a validated routine into a Plan."""
    return Plan(routine.title, routine.description, tuple(_Compiler(routine, phrases).items()))


class _Compiler:
    def __init__(self, routine: Routine, phrases: Phrasebook) -> None:
        self.routine = routine
        self.defaults = routine.defaults
        self.phrases = phrases

    def items(self) -> Iterator[PlanItem]:
        flat = _flatten(self.routine.steps, self.defaults, self.phrases)
        steps = list(_with_auto_rests(flat, self.defaults))
        yield Gap(LEAD_IN_MS)
        if self.defaults.intro:
            yield Chapter(self.phrases.say("chapter_intro"))
            yield Speak(_sentence(self.routine.title))
            yield Gap(LINE_GAP_MS)
            yield Speak(self.phrases.say("safety"))
            yield Gap(SECTION_GAP_MS)
        for index, step in enumerate(steps):
            yield from self._step(step, steps[index + 1 :])
        if self.defaults.outro:
            yield Chapter(self.phrases.say("chapter_outro"))
            yield Speak(self.phrases.say("outro"))
        yield Gap(TAIL_MS)

    def _step(self, step: Flat, following: Sequence[Flat]) -> Iterator[PlanItem]:
        if isinstance(step, SayStep):
            yield Speak(step.say)
            yield Gap(LINE_GAP_MS)
        elif isinstance(step, Announce):
            yield Speak(step.text)
            yield Gap(LINE_GAP_MS)
        elif isinstance(step, PauseStep):
            if step.pause:
                yield Period("pause", step.pause)
        elif isinstance(step, Rest):
            yield from self._rest(step.ms, _next_name(following, self.phrases))
        elif isinstance(step, Exercise):
            yield from self._exercise(step)
        else:
            yield from self._breathing(step)

    def _rest(self, ms: int, next_name: str | None) -> Iterator[PlanItem]:
        if ms <= 0:
            return
        yield Chapter(self.phrases.say("chapter_rest"))
        yield Speak(self.phrases.say("rest"))
        cues = ()
        if next_name:
            heads_up = self.phrases.say("next", name=next_name)
            cues = (TimedCue((heads_up,), HEADS_UP_BEFORE_END_MS, from_end=True),)
        yield Period("rest", ms, cues)

    def _exercise(self, exercise: Exercise) -> Iterator[PlanItem]:
        say = self.phrases.say
        yield Chapter(exercise.name)
        yield Speak(_sentence(exercise.name))
        yield Gap(NAME_GAP_MS)
        for line in exercise.instructions:
            yield Speak(line)
            yield Gap(LINE_GAP_MS)
        if exercise.caution:
            yield Speak(exercise.caution)
            yield Gap(LINE_GAP_MS)
        for set_number in range(1, exercise.sets + 1):
            if exercise.sets > 1:
                if set_number > 1:
                    yield Speak(say("rest"))
                    yield Period("rest", exercise.rest_between_sets_ms)
                yield Speak(say("set", n=set_number, total=exercise.sets))
                yield Gap(LINE_GAP_MS)
            yield from self._reps(exercise)
        yield Gap(SECTION_GAP_MS)

    def _reps(self, exercise: Exercise) -> Iterator[PlanItem]:
        say = self.phrases.say
        if exercise.sides == "alternate":
            sides = [say("right_side"), say("left_side")]
            labels = [sides[i % 2] for i in range(exercise.reps * 2)]
            yield from self._rep_run(exercise, labels)
        elif exercise.sides == "both":
            yield Speak(say("first_side"))
            yield Gap(LINE_GAP_MS)
            yield from self._rep_run(exercise, [None] * exercise.reps)
            yield Speak(say("switch_sides"))
            yield Gap(LINE_GAP_MS)
            yield from self._rep_run(exercise, [None] * exercise.reps)
        else:
            yield from self._rep_run(exercise, [None] * exercise.reps)

    def _rep_run(self, exercise: Exercise, side_labels: list[str | None]) -> Iterator[PlanItem]:
        """Reps done one after another; a label (a side) may precede each."""
        say = self.phrases.say
        total = len(side_labels)
        for index, label in enumerate(side_labels):
            number = index + 1
            is_last = total > 1 and number == total
            if exercise.hold_ms is None:
                text = say("last_one") if is_last else str(number)
                if label:
                    text = f"{label} {text}" if not is_last else f"{text} {label}"
                yield Period("rep", exercise.tempo_ms, (TimedCue((text,), 0),))
                continue
            if is_last:
                yield Speak(say("last_one"))
            elif number > 1 and label is None:
                yield Speak(say("rep", n=number, total=total))
            if label:
                yield Speak(label)
            yield Speak(say("and_hold"))
            yield Period("hold", exercise.hold_ms, self._counts(exercise.hold_ms, exercise.count))
            yield Speak(say("release"))
            if number < total:
                if exercise.rest_between_ms:
                    yield Period("rest", exercise.rest_between_ms)
                else:
                    yield Gap(LINE_GAP_MS)
            else:
                yield Gap(LINE_GAP_MS)

    def _counts(self, hold_ms: int, style: CountStyle) -> tuple[TimedCue, ...]:
        seconds = hold_ms // 1000
        if style.mode == "every":
            return tuple(TimedCue((str(k),), k * 1000) for k in range(1, seconds))
        if style.mode == "last":
            return _countdown(hold_ms, style.last)
        if style.mode == "halfway":
            cues: tuple[TimedCue, ...] = ()
            if hold_ms >= HALFWAY_MIN_HOLD_MS:
                cues = (TimedCue((self.phrases.say("halfway"),), hold_ms // 2),)
            return cues + _countdown(hold_ms, COUNTDOWN_AFTER_HALFWAY)
        return ()

    def _breathing(self, breathing: Breathing) -> Iterator[PlanItem]:
        say = self.phrases.say
        yield Chapter(breathing.name or say("chapter_breathing"))
        if breathing.name:
            yield Speak(_sentence(breathing.name))
            yield Gap(NAME_GAP_MS)
        if breathing.intro:
            yield Speak(breathing.intro)
            yield Gap(SECTION_GAP_MS)
        phase_cues = {
            "inhale": (say("breathe_in"), say("breathe_in_short")),
            "breath-hold": (say("hold_breath"),),
            "exhale": (say("breathe_out"), say("breathe_out_short")),
        }
        for _ in range(breathing.cycles):
            for kind, ms in breathing.phases:
                cues = [TimedCue(phase_cues[kind], 0)]
                if breathing.counts and ms >= BREATH_COUNT_MIN_MS:
                    cues += [TimedCue((str(k),), (k - 1) * 1000) for k in range(2, ms // 1000 + 1)]
                yield Period(kind, ms, tuple(cues))
        yield Speak(say("breathe_normally"))
        yield Gap(SECTION_GAP_MS)


def _countdown(hold_ms: int, last: int) -> tuple[TimedCue, ...]:
    return tuple(
        TimedCue((str(k),), hold_ms - k * 1000)
        for k in range(last, 0, -1)
        if hold_ms - k * 1000 >= 1000
    )


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in ".!?" else f"{text}."


def _flatten(steps: Sequence[Step], defaults: Defaults, phrases: Phrasebook) -> Iterator[Flat]:
    """Expand repeats (announcing each round) and resolve every exercise and breathing block."""
    for step in steps:
        if isinstance(step, RepeatStep):
            for number in range(1, step.repeat + 1):
                if step.repeat > 1:
                    yield Announce(phrases.say("round", n=number, total=step.repeat))
                yield from _flatten(step.steps, defaults, phrases)
        elif isinstance(step, ExerciseStep):
            yield _resolve_exercise(step, defaults)
        elif isinstance(step, BreatheStep):
            yield _resolve_breathing(step)
        elif isinstance(step, RestStep):
            yield Rest(step.rest)
        else:
            yield step


def _with_auto_rests(steps: Iterator[Flat], defaults: Defaults) -> Iterator[Flat]:
    """Insert the default rest between two exercises that follow each other directly.

    Round announcements between them do not count as a break: the rest comes
    before the announcement.
    """
    previous: Flat | None = None
    announcements: list[Announce] = []
    for step in steps:
        if isinstance(step, Announce):
            announcements.append(step)
            continue
        if (
            isinstance(previous, Exercise)
            and isinstance(step, Exercise)
            and defaults.rest_between_exercises > 0
        ):
            yield Rest(defaults.rest_between_exercises)
        yield from announcements
        announcements.clear()
        yield step
        previous = step
    yield from announcements


def _resolve_exercise(step: ExerciseStep, defaults: Defaults) -> Exercise:
    definition = step.exercise
    return Exercise(
        name=definition.name,
        instructions=tuple(definition.instructions),
        caution=definition.caution,
        reps=_first(step.reps, definition.reps, 1),
        hold_ms=_first(step.hold, definition.hold, None),
        sides=_first(step.sides, definition.sides, "none"),
        sets=_first(step.sets, definition.sets, 1),
        rest_between_ms=_first(
            step.rest_between, definition.rest_between, defaults.rest_between_reps
        ),
        rest_between_sets_ms=_first(
            step.rest_between_sets, definition.rest_between_sets, defaults.rest_between_sets
        ),
        tempo_ms=_first(step.tempo, definition.tempo, defaults.tempo),
        count=_first(step.count, definition.count, defaults.count),
    )


def _first(override: T | None, own: T | None, default: D) -> T | D:
    """The step's override, else the definition's own value, else the default."""
    if override is not None:
        return override
    return own if own is not None else default


def _resolve_breathing(step: BreatheStep) -> Breathing:
    pattern = step.breathe
    phases = tuple(
        (kind, ms)
        for kind, ms in (
            ("inhale", pattern.inhale),
            ("breath-hold", pattern.hold),
            ("exhale", pattern.exhale),
            ("breath-hold", pattern.hold_out),
        )
        if ms > 0
    )
    cycle_ms = sum(ms for _, ms in phases)
    duration = step.duration if step.duration is not None else pattern.duration
    cycles = step.cycles if step.cycles is not None else pattern.cycles
    if cycles is None:
        cycles = max(1, round(duration / cycle_ms)) if duration else 5
    return Breathing(pattern.name, pattern.intro, phases, cycles, pattern.counts)


def _next_name(following: Sequence[Flat], phrases: Phrasebook) -> str | None:
    """What the heads-up at the end of a rest announces: the next exercise or breathing block."""
    for step in following:
        if isinstance(step, Exercise):
            return step.name
        if isinstance(step, Breathing):
            return step.name or phrases.say("breathing")
        if isinstance(step, Rest):
            return None
    return None
