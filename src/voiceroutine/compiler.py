"""Compile a Routine into a Plan: the spoken flow a good instructor would follow."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from voiceroutine.errors import VoiceroutineError
from voiceroutine.library.phrasebook import Phrasebook, Rotation
from voiceroutine.plan import (
    Chapter,
    Gap,
    Period,
    Plan,
    PlanItem,
    Play,
    SegmentKind,
    Sound,
    Speak,
    TimedCue,
)
from voiceroutine.routine import (
    BreatheStep,
    BreathGuide,
    CountStyle,
    Defaults,
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
from voiceroutine.tts.estimate import estimate_clip_ms

LEAD_IN_MS = 500
WORD_GAP_MS = 350
"""Between short lines said together, such as "Last one." and "And hold."."""
LINE_GAP_MS = 700
SECTION_GAP_MS = 1000
SETTLE_MS = 4000
"""The quiet after a breathing block, before the next line."""
TAIL_MS = 2000
HEADS_UP_BEFORE_END_MS = 1500
HALFWAY_MIN_HOLD_MS = 10_000
COUNTDOWN_AFTER_HALFWAY = 3
BREATH_COUNT_MIN_MS = 3000
MID_HOLD_CUE_MIN_MS = 15_000
TONE_MARGIN_MS = 200
"""A breathing tone ends this long before its phase does, so phases stay distinct."""
HOLD_TONE_MS = 400
MAX_SESSION_MS = 12 * 3_600_000
MAX_PLAN_ITEMS = 200_000
MAX_REPEAT_DEPTH = 8
"""How many repeats may be nested inside each other."""


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

SHORT_CUES = {
    "breathe_in": "breathe_in_short",
    "breathe_out": "breathe_out_short",
    "top_up": "top_up_short",
}


@dataclass(frozen=True)
class SizeProblem:
    """Why a routine is too big to compile, and the step where that shows."""

    message: str
    step_path: tuple[int, ...]
    """The step's index in `steps`, preceded by the indexes of the repeats around it."""


@dataclass(frozen=True)
class _Size:
    """At least how long some steps last and how many plan items they make.

    `opens` and `closes` say whether the steps begin and end with an exercise,
    between which the compiler inserts the default rest.
    """

    ms: int
    items: int
    opens: bool = False
    closes: bool = False


class _TooBig(Exception):
    def __init__(self, problem: SizeProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


LeafSize = Callable[[Step], _Size]


def size_problem(
    routine: Routine, phrases: Phrasebook | None = None, max_ms: int = MAX_SESSION_MS
) -> SizeProblem | None:
    """Find a routine too deep, too long or too big to compile, without expanding its repeats.

    First with bounds computed from each step's dosing alone; then, with
    `phrases`, with every step compiled once, so that what is refused here is
    what compiling it would refuse (short of a few first-time introductions).
    """
    try:
        _measure(routine.steps, routine, lambda step: _step_size(step, routine), max_ms)
        if phrases is not None:
            compiler = _Compiler(routine, phrases, None)
            measure = _CompiledSize(compiler, max_ms).of
            _measure(routine.steps, routine, measure, max_ms, compiler.frame())
    except _TooBig as too_big:
        return too_big.problem
    return None


def _measure(
    steps: Sequence[Step],
    routine: Routine,
    leaf: LeafSize,
    max_ms: int,
    start: _Size = _Size(0, 0),
    path: tuple[int, ...] = (),
    depth: int = 1,
    announce_rounds: bool = True,
) -> _Size:
    """The size of `steps` (inside `depth - 1` repeats); raise _TooBig where a limit is crossed."""
    ms, items = start.ms, start.items
    opens = closes = False
    auto_rest = routine.defaults.rest_between_exercises
    for index, step in enumerate(steps):
        where = (*path, index)
        if isinstance(step, RepeatStep):
            if depth > MAX_REPEAT_DEPTH:
                raise _TooBig(
                    SizeProblem(
                        f"repeats are nested more than {MAX_REPEAT_DEPTH} deep; "
                        "move the inner steps out or repeat them fewer times",
                        where,
                    )
                )
            announce = announce_rounds and step.repeat > 1
            inner = _measure(
                step.steps,
                routine,
                leaf,
                max_ms,
                _Size(0, 0),
                where,
                depth + 1,
                announce_rounds and not announce,
            )
            between = auto_rest if inner.opens and inner.closes and auto_rest > 0 else 0
            round_ms = LINE_GAP_MS if announce else 0  # "Round 2 of 3." and its gap
            size = _Size(
                inner.ms * step.repeat + between * (step.repeat - 1) + round_ms * step.repeat,
                (inner.items + 1) * step.repeat,
                inner.opens,
                inner.closes,
            )
        else:
            size = leaf(step)
        if index == 0:
            opens = size.opens
        elif closes and size.opens and auto_rest > 0:
            ms += auto_rest
            items += 1
        closes = size.closes
        ms += size.ms
        items += size.items
        if ms > max_ms:
            raise _TooBig(
                SizeProblem(
                    f"the routine is too long: with this step it lasts more than "
                    f"{_hours(max_ms)}, the limit for a session (see max_hours)",
                    where,
                )
            )
        if items > MAX_PLAN_ITEMS:
            raise _TooBig(
                SizeProblem(
                    f"the routine is too long: with this step it has more than {MAX_PLAN_ITEMS} "
                    "steps, spoken lines and periods, the limit for a session",
                    where,
                )
            )
    return _Size(ms, items, opens, closes)


def _step_size(step: Step, routine: Routine) -> _Size:
    """At least how long one step (not a repeat) lasts, and how many items it makes."""
    if isinstance(step, SayStep):  # the line as long as it is estimated to be spoken
        return _Size(LINE_GAP_MS + estimate_clip_ms(step.say, routine.voice.rate), 2)
    if isinstance(step, SoundStep):
        return _Size(LINE_GAP_MS, 2)
    if isinstance(step, PauseStep):
        return _Size(step.pause, 1)
    if isinstance(step, RestStep):
        return _Size(step.rest, 1)
    if isinstance(step, ExerciseStep):
        exercise = _resolve_exercise(step, routine)
        sides = 2 if exercise.sides in ("both", "alternate") else 1
        reps = exercise.sets * exercise.reps * sides
        return _Size(reps * (exercise.hold_ms or exercise.tempo_ms), reps + 1, True, True)
    if isinstance(step, BreatheStep):
        breathing = _resolve_breathing(step, routine)
        cycle_ms = sum(phase.ms for phase in breathing.phases)
        return _Size(breathing.cycles * cycle_ms, breathing.cycles * len(breathing.phases) + 1)
    return _Size(0, 1)


class _CompiledSize:
    """The exact time and items of a step (not a repeat) as the compiler makes it.

    Each step is compiled once, as if its exercise had been introduced before
    (the shorter introduction), whatever number of times repeats play it.
    """

    def __init__(self, compiler: _Compiler, max_ms: int) -> None:
        self.compiler = compiler
        self.max_ms = max_ms
        self.sizes: dict[int, tuple[Step, _Size]] = {}

    def of(self, step: Step) -> _Size:
        known = self.sizes.get(id(step))
        if known is not None:
            return known[1]
        compiler = self.compiler
        (flat,) = _flatten([step], compiler.routine, compiler.phrases, announce_rounds=False)
        if isinstance(flat, (Exercise, Breathing)):
            compiler.introduced.add(flat.name or compiler.phrases.first("chapter_breathing"))
        size = _size_of(
            compiler._step(flat, ()),
            self.max_ms,
            opens=isinstance(flat, Exercise),
            rate=compiler.routine.voice.rate,
        )
        self.sizes[id(step)] = (step, size)
        return size


def _size_of(
    items: Iterable[PlanItem], max_ms: int, opens: bool = False, rate: int | None = None
) -> _Size:
    """How long the items last, their speech as long as it is estimated to be at `rate`."""
    ms = count = 0
    for item in items:
        count += 1
        if isinstance(item, (Gap, Period)):
            ms += item.ms
        elif isinstance(item, Speak):
            ms += estimate_clip_ms(item.text, rate)
        if ms > max_ms or count > MAX_PLAN_ITEMS:
            break  # too big already: the caller says so
    return _Size(ms, count, opens, opens)


def compile_routine(
    routine: Routine,
    phrases: Phrasebook,
    minutes: int | None = None,
    max_ms: int = MAX_SESSION_MS,
) -> Plan:
    """Turn a validated routine into a Plan; `minutes` is the length announced in the intro.

    A routine that would last longer than `max_ms` is refused.
    """
    problem = size_problem(routine, phrases, max_ms)
    if problem is not None:
        raise VoiceroutineError(problem.message)
    items: list[PlanItem] = []
    total_ms = 0
    for item in _Compiler(routine, phrases, minutes).items():
        items.append(item)
        if isinstance(item, (Gap, Period)):
            total_ms += item.ms
        if total_ms > max_ms or len(items) > MAX_PLAN_ITEMS:
            raise VoiceroutineError(
                f"the routine is too long: sessions are limited to {_hours(max_ms)} "
                f"and {MAX_PLAN_ITEMS} spoken lines and periods (see max_hours)"
            )
    return Plan(routine.title, routine.description, tuple(items))


def _hours(ms: int) -> str:
    hours = ms / 3_600_000
    return f"{hours:g} hour" if hours == 1 else f"{hours:g} hours"


class _Compiler:
    def __init__(self, routine: Routine, phrases: Phrasebook, minutes: int | None) -> None:
        self.routine = routine
        self.defaults = routine.defaults
        self.phrases = phrases
        self.say = Rotation(phrases).say
        self.minutes = minutes
        self.introduced: set[str] = set()
        self.cue_turns: Counter[str] = Counter()

    def frame(self) -> _Size:
        """The size of what surrounds the steps: lead-in, intro, outro, bells, tail."""
        return _size_of(self.items(with_steps=False), MAX_SESSION_MS)  # minutes, at most

    def items(self, with_steps: bool = True) -> Iterator[PlanItem]:
        flat = _flatten(self.routine.steps, self.routine, self.phrases, announce_rounds=True)
        steps = (
            list(_attach_prefaces(_joined_rests(_with_auto_rests(flat, self.defaults))))
            if with_steps
            else []
        )
        bell = _bell(self.routine)
        yield Gap(LEAD_IN_MS)
        if self.routine.intro is not False:
            yield Chapter(self.phrases.first("chapter_intro"))
        if bell:
            yield Play(bell)
            yield Gap(LINE_GAP_MS)
        yield from self._intro()
        for index, step in enumerate(steps):
            yield from self._step(step, steps[index + 1 :])
        if self.routine.outro is not False:
            yield Chapter(self.phrases.first("chapter_outro"))
            outro = self.routine.outro
            yield Speak(outro if isinstance(outro, str) else self.say("outro"))
        if bell:
            yield Gap(SECTION_GAP_MS)
            yield Play(bell)
        yield Gap(TAIL_MS)

    def _intro(self) -> Iterator[PlanItem]:
        intro = self.routine.intro
        if intro is False:
            return
        lines = [_sentence(self.routine.title)]
        if isinstance(intro, str):
            lines.append(intro)
        else:
            if self.minutes:
                key = "intro_length_one" if self.minutes == 1 else "intro_length"
                lines.append(self.phrases.first(key, minutes=self.minutes))
            # A session of breathing alone gets a line about breathing, not about stretching.
            steps = self.routine.steps
            breathing_only = _has(steps, BreatheStep) and not _has(steps, ExerciseStep)
            lines.append(self.say("safety_breathing" if breathing_only else "safety"))
        yield from _lines(lines, LINE_GAP_MS)
        yield Gap(SECTION_GAP_MS)

    def _step(self, step: Flat, following: Sequence[Flat]) -> Iterator[PlanItem]:
        if isinstance(step, (SayStep, Announce)):
            yield Speak(step.say if isinstance(step, SayStep) else step.text)
            yield Gap(LINE_GAP_MS)
        elif isinstance(step, PauseStep):
            if step.pause:
                yield Period("pause", step.pause)
        elif isinstance(step, SoundStep):
            yield Play(Sound(step.sound))
            yield Gap(LINE_GAP_MS)
        elif isinstance(step, Rest):
            yield from self._rest(step, _next_name(following, self.phrases))
        elif isinstance(step, Exercise):
            yield from self._exercise(step)
        else:
            yield from self._breathing(step)

    def _chapter_title(self, name: str, round_of: tuple[int, int] | None) -> str:
        """An exercise's or breathing block's chapter: its name, and its round if it has one."""
        if round_of is None:
            return name
        number, total = round_of
        return self.phrases.first("chapter_round", name=_bare(name), n=number, total=total)

    def _rest(self, rest: Rest, next_name: str | None) -> Iterator[PlanItem]:
        """A rest, in the chapter of what came before it (a chapter of its own would list
        every short breather)."""
        if rest.ms <= 0:
            return
        if rest.start_sound:
            yield Play(rest.start_sound)
            yield Gap(WORD_GAP_MS)
        yield Speak(self.say("rest"))
        cues: list[TimedCue] = []
        if next_name:
            heads_up = self.say("next", name=_bare(next_name))
            cues.append(TimedCue((heads_up,), HEADS_UP_BEFORE_END_MS, from_end=True))
        if rest.end_sound:
            cues.append(TimedCue((), 0, from_end=True, sound=rest.end_sound))
        yield Period("rest", rest.ms, tuple(cues))

    def _exercise(self, exercise: Exercise) -> Iterator[PlanItem]:
        yield Chapter(self._chapter_title(exercise.name, exercise.round))
        if exercise.start_sound:
            yield Play(exercise.start_sound)
            yield Gap(WORD_GAP_MS)
        yield from _lines(self._introduction(exercise), LINE_GAP_MS)
        yield Gap(LINE_GAP_MS)
        for set_number in range(1, exercise.sets + 1):
            if set_number > 1 and exercise.rest_between_sets_ms:
                yield Speak(self.say("rest"))
                yield Period("rest", exercise.rest_between_sets_ms)
            if exercise.sets > 1 and exercise.guidance != "minimal":
                yield Speak(self.say("set", n=set_number, total=exercise.sets))
                yield Gap(LINE_GAP_MS)
            # The listener hears which side before getting into position.
            yield from self._get_ready(exercise, self._first_side(exercise))
            yield from self._sides(exercise)
        if exercise.guidance == "full":
            yield Speak(self.say("done_exercise"))
        if exercise.end_sound:
            yield Gap(WORD_GAP_MS)
            yield Play(exercise.end_sound)
        yield Gap(SECTION_GAP_MS)

    def _introduction(self, exercise: Exercise) -> list[str]:
        """What is said before the first rep, by guidance level and whether it was heard before."""
        lines = [_sentence(exercise.name)]
        if exercise.preface:
            lines.append(exercise.preface)
        first_time = exercise.name not in self.introduced
        self.introduced.add(exercise.name)
        if exercise.guidance == "full" and first_time:
            lines += [*exercise.setup, *exercise.instructions]
        elif exercise.guidance != "minimal" and exercise.instructions:
            lines.append(exercise.instructions[0])
        if exercise.caution and first_time and exercise.guidance != "minimal":
            lines.append(exercise.caution)
        return lines

    def _get_ready(self, exercise: Exercise, cue: str | None) -> Iterator[PlanItem]:
        """A period to get into position; `cue` (or "Get into position.") opens it."""
        if exercise.get_ready_ms <= 0:
            if cue:
                yield Speak(cue)
                yield Gap(LINE_GAP_MS)
            return
        text = cue or (self.say("get_ready") if exercise.guidance != "minimal" else None)
        cues = (TimedCue((text,), 0),) if text else ()
        yield Period("get-ready", exercise.get_ready_ms, cues)

    def _first_side(self, exercise: Exercise) -> str | None:
        """The line that opens the get-ready period: which side comes first, or None."""
        if exercise.sides == "both":
            left_first = exercise.start_side == "left"
            return self.phrases.first("first_side_left" if left_first else "first_side")
        if exercise.sides in ("left", "right"):  # one side only
            return self.phrases.first(f"{exercise.sides}_side")
        return None

    def _sides(self, exercise: Exercise) -> Iterator[PlanItem]:
        if exercise.sides == "alternate":
            sides = [self.phrases.first("right_side"), self.phrases.first("left_side")]
            if exercise.start_side == "left":
                sides.reverse()
            yield from self._rep_run(exercise, [sides[i % 2] for i in range(exercise.reps * 2)])
        elif exercise.sides == "both":
            yield from self._rep_run(exercise, [None] * exercise.reps)
            yield from self._rest_between_reps(exercise)
            yield from self._get_ready(exercise, self.say("switch_sides"))
            yield from self._rep_run(exercise, [None] * exercise.reps)
        else:
            yield from self._rep_run(exercise, [None] * exercise.reps)

    def _rep_run(self, exercise: Exercise, side_labels: list[str | None]) -> Iterator[PlanItem]:
        """Reps done one after another; a label (a side) may precede each."""
        total = len(side_labels)
        for index, label in enumerate(side_labels):
            number = index + 1
            is_last = total > 1 and number == total
            if exercise.hold_ms is None:
                yield self._moving_rep(exercise, number, label, is_last)
                continue
            lines = []
            if is_last and exercise.guidance != "minimal":
                lines.append(self.say("last_one"))
            elif number > 1 and label is None and exercise.guidance == "full":
                lines.append(self.phrases.first("rep", n=number, total=total))
            if label:
                lines.append(label)
            lines.append(self.say("and_hold"))
            yield from _lines(lines, WORD_GAP_MS)
            yield Period("hold", exercise.hold_ms, self._hold_cues(exercise))
            yield Speak(self.say("release"))
            if number < total:
                yield from self._rest_between_reps(exercise)
            else:
                yield Gap(LINE_GAP_MS)

    def _moving_rep(
        self, exercise: Exercise, number: int, label: str | None, is_last: bool
    ) -> Period:
        """One rep at the tempo, opened by its number or side ("Begin." first, "Last one." last)."""
        if is_last and exercise.guidance != "minimal":
            text = self.say("last_one")
        elif label:
            text = label
        elif number == 1:
            text = self.say("begin")
        else:
            text = self.phrases.number(number)
        texts = (text, label) if label and text != label else (text,)
        return Period("rep", exercise.tempo_ms, (TimedCue(texts, 0),))

    def _rest_between_reps(self, exercise: Exercise) -> Iterator[PlanItem]:
        if exercise.rest_between_ms:
            yield Period("rest", exercise.rest_between_ms)
        else:
            yield Gap(LINE_GAP_MS)

    def _hold_cues(self, exercise: Exercise) -> tuple[TimedCue, ...]:
        hold_ms = exercise.hold_ms or 0
        style = exercise.count
        number = self.phrases.number
        if style.mode == "every":
            return tuple(TimedCue((number(k),), k * 1000) for k in range(1, hold_ms // 1000))
        cues: list[TimedCue] = []
        if exercise.guidance == "full" and exercise.cues and hold_ms >= MID_HOLD_CUE_MIN_MS:
            spots = (0.25, 0.75) if hold_ms >= 2 * MID_HOLD_CUE_MIN_MS else (0.3,)
            for spot in spots:
                turn = self.cue_turns[exercise.name]
                self.cue_turns[exercise.name] += 1
                line = exercise.cues[turn % len(exercise.cues)]
                cues.append(TimedCue((line,), round(hold_ms * spot)))
        if style.mode == "last":
            cues += _countdown(hold_ms, style.last, number)
        elif style.mode == "halfway":
            if hold_ms >= HALFWAY_MIN_HOLD_MS:
                cues.append(TimedCue((self.say("halfway"),), hold_ms // 2))
            cues += _countdown(hold_ms, COUNTDOWN_AFTER_HALFWAY, number)
        return tuple(cues)

    def _breathing(self, breathing: Breathing) -> Iterator[PlanItem]:
        title = breathing.name or self.phrases.first("chapter_breathing")
        yield Chapter(self._chapter_title(title, breathing.round))
        lines = [_sentence(breathing.name)] if breathing.name else []
        if breathing.preface:
            lines.append(breathing.preface)
        first_time = title not in self.introduced
        self.introduced.add(title)
        if breathing.guidance == "full" and first_time:
            lines += list(breathing.intro)
        if lines:
            yield from _lines(lines, LINE_GAP_MS)
            yield Gap(SECTION_GAP_MS)
        for cycle in range(breathing.cycles):
            # With tones only, the first cycle still names each phase, to teach the tones.
            voice = breathing.guide != "tones" or cycle == 0
            for phase in breathing.phases:
                cues: list[TimedCue] = []
                if breathing.guide != "voice":
                    cues.append(TimedCue((), 0, sound=_breath_tone(phase)))
                if voice:
                    texts = (self.phrases.first(phase.cue),)
                    if phase.cue in SHORT_CUES:
                        texts += (self.phrases.first(SHORT_CUES[phase.cue]),)
                    cues.append(TimedCue(texts, 0))
                if breathing.counts and phase.ms >= BREATH_COUNT_MIN_MS:
                    cues += [
                        TimedCue((self.phrases.number(k),), (k - 1) * 1000)
                        for k in range(2, phase.ms // 1000 + 1)
                    ]
                yield Period(phase.kind, phase.ms, tuple(cues))
        yield Speak(self.say("breathe_normally"))
        yield Gap(SETTLE_MS)  # time for the breath to settle before the next instruction


def _has(steps: Sequence[Step], kind: type) -> bool:
    """Whether any step, inside repeats too, is of `kind`."""
    return any(
        isinstance(step, kind) or (isinstance(step, RepeatStep) and _has(step.steps, kind))
        for step in steps
    )


def _bell(routine: Routine) -> Sound | None:
    """The sound that opens and closes the session, if any."""
    bell = routine.audio.bell
    if bell is False:
        return None
    return Sound("bell" if bell is True else bell)


def _breath_tone(phase: Phase) -> Sound:
    """A rising tone across an inhale, a falling one across an exhale, a marker on a hold."""
    if phase.kind == "breath-hold":
        return Sound("hold", min(HOLD_TONE_MS, max(phase.ms - TONE_MARGIN_MS, 100)))
    name = "inhale" if phase.kind == "inhale" else "exhale"
    return Sound(name, max(phase.ms - TONE_MARGIN_MS, 100))


def _mark(chosen: str | bool | None, default: str | None) -> Sound | None:
    """A step's own start or end sound (False: none), else the routine's default."""
    if chosen is False:
        return None
    name = chosen if isinstance(chosen, str) else default
    return Sound(name) if name else None


def _lines(texts: Sequence[str], gap_ms: int) -> Iterator[PlanItem]:
    """Lines said one after another, with a gap between them (none after the last)."""
    for index, text in enumerate(texts):
        if index:
            yield Gap(gap_ms)
        yield Speak(text)


def _countdown(hold_ms: int, last: int, number: Callable[[int], str]) -> list[TimedCue]:
    """The last `last` seconds of a hold counted down; only the seconds the hold has."""
    return [
        TimedCue((number(k),), hold_ms - k * 1000)
        for k in range(min(last, hold_ms // 1000), 0, -1)
        if hold_ms - k * 1000 >= 1000
    ]


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in ".!?" else f"{text}."


def _bare(name: str) -> str:
    """A name without closing punctuation, to sit inside a sentence."""
    return name.strip().rstrip(".!?")


def _flatten(
    steps: Sequence[Step], routine: Routine, phrases: Phrasebook, announce_rounds: bool
) -> Iterator[Flat]:
    """Expand repeats and resolve every exercise and breathing block.

    Only the outermost repeat of more than one round announces its rounds;
    nested ones are quiet so that "Round 1 of 2." is never said twice in a row.
    """
    for step in steps:
        if isinstance(step, RepeatStep):
            announce = announce_rounds and step.repeat > 1
            for number in range(1, step.repeat + 1):
                inner = _flatten(step.steps, routine, phrases, announce_rounds and not announce)
                if not announce:
                    yield from inner
                    continue
                yield Announce(phrases.first("round", n=number, total=step.repeat))
                for flat in inner:  # each round's chapters say which round they are
                    if isinstance(flat, (Exercise, Breathing)):
                        flat = replace(flat, round=(number, step.repeat))
                    yield flat
        elif isinstance(step, ExerciseStep):
            yield _resolve_exercise(step, routine)
        elif isinstance(step, BreatheStep):
            yield _resolve_breathing(step, routine)
        elif isinstance(step, RestStep):
            marks = step.sounds or Marks()
            sounds = routine.defaults.sounds
            yield Rest(
                step.rest,
                _mark(marks.start, sounds.rest_start),
                _mark(marks.end, sounds.rest_end),
            )
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
            yield Rest(
                defaults.rest_between_exercises,
                _mark(None, defaults.sounds.rest_start),
                _mark(None, defaults.sounds.rest_end),
            )
        yield from announcements
        announcements.clear()
        yield step
        previous = step
    yield from announcements


def _joined_rests(steps: Iterator[Flat]) -> Iterator[Flat]:
    """Rests that follow each other become one rest as long as both ("Rest." once, not
    "Rest." and then "Take a rest.")."""
    pending: Rest | None = None
    for step in steps:
        if isinstance(step, Rest) and step.ms > 0:
            if pending is None:
                pending = step
            else:
                pending = Rest(pending.ms + step.ms, pending.start_sound, step.end_sound)
            continue
        if pending is not None:
            yield pending
            pending = None
        yield step
    if pending is not None:
        yield pending


def _attach_prefaces(steps: Iterator[Flat]) -> Iterator[Flat]:
    """Move a round announcement into the exercise or breathing block it introduces."""
    pending: Announce | None = None
    for step in steps:
        if pending and isinstance(step, (Exercise, Breathing)):
            step = replace(step, preface=pending.text)
            pending = None
        elif pending:
            yield pending
            pending = None
        if isinstance(step, Announce):
            pending = step
            continue
        yield step
    if pending:
        yield pending


def _resolve_exercise(step: ExerciseStep, routine: Routine) -> Exercise:
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
        start_sound=_mark((step.sounds or Marks()).start, defaults.sounds.exercise_start),
        end_sound=_mark((step.sounds or Marks()).end, defaults.sounds.exercise_end),
    )


def _first(override: T | None, own: T | None, default: D) -> T | D:
    """The step's override, else the definition's own value, else the default."""
    if override is not None:
        return override
    return own if own is not None else default


def _resolve_breathing(step: BreatheStep, routine: Routine) -> Breathing:
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


def _next_name(following: Sequence[Flat], phrases: Phrasebook) -> str | None:
    """What the heads-up at the end of a rest announces: the next exercise or breathing block."""
    for step in following:
        if isinstance(step, Exercise):
            return step.name
        if isinstance(step, Breathing):
            return step.name or phrases.first("breathing")
        if isinstance(step, Rest):
            return None
    return None
