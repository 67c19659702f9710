"""A whole session: lead-in, introduction, every step in order, closing and bells; its limits."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from voiceroutine.compile.breathing import breathing_items
from voiceroutine.compile.exercise import ExerciseSpeech
from voiceroutine.compile.limits import (
    MAX_PLAN_ITEMS,
    MAX_SESSION_MS,
    Size,
    SizeProblem,
    TooBig,
    dosing_size,
    measure,
    size_of,
    too_long,
)
from voiceroutine.compile.pacing import (
    HEADS_UP_BEFORE_END_MS,
    LEAD_IN_MS,
    LINE_GAP_MS,
    SECTION_GAP_MS,
    TAIL_MS,
    WORD_GAP_MS,
)
from voiceroutine.compile.resolved import Announce, Breathing, Exercise, Flat, Rest
from voiceroutine.compile.speech import Speech, bare, lines, sentence
from voiceroutine.compile.steps import Leaf, session_steps, step_tree
from voiceroutine.errors import VoiceroutineError
from voiceroutine.library.phrasebook import Phrasebook
from voiceroutine.plan import (
    Chapter,
    Gap,
    Period,
    Plan,
    PlanItem,
    Play,
    Sound,
    Speak,
    TimedCue,
    sound_named,
)
from voiceroutine.routine import (
    BreatheStep,
    ExerciseStep,
    Intro,
    PauseStep,
    RepeatStep,
    Routine,
    SayStep,
    SoundStep,
    Step,
)


def compile_routine(
    routine: Routine,
    phrases: Phrasebook,
    minutes: int | None = None,
    max_ms: int = MAX_SESSION_MS,
    checked: bool = False,
) -> Plan:
    """Turn a validated routine into a Plan; `minutes` is the length announced in the intro.

    A routine that would last longer than `max_ms` is refused, measured before
    anything is expanded; `checked` says it was measured already (loader.py
    does so as it loads a routine, once per build).
    """
    if not checked:
        problem = size_problem(routine, phrases, max_ms)
        if problem is not None:
            raise VoiceroutineError(problem.message)
    items: list[PlanItem] = []
    total_ms = 0
    for item in _Session(routine, phrases, minutes).items(session_steps(routine, phrases)):
        items.append(item)
        if isinstance(item, (Gap, Period)):
            total_ms += item.ms
        if total_ms > max_ms or len(items) > MAX_PLAN_ITEMS:  # what measuring cannot foresee
            raise VoiceroutineError(too_long(max_ms))
    return Plan(routine.title, routine.description, tuple(items))


def size_problem(
    routine: Routine, phrases: Phrasebook | None = None, max_ms: int = MAX_SESSION_MS
) -> SizeProblem | None:
    """Find a routine too deep, too long or too big to compile, without expanding its repeats.

    First with bounds from each step's dosing alone; then, with `phrases`, with
    every step compiled once, so that what is refused here is what compiling
    it would refuse (short of a few first-time introductions).
    """
    tree = step_tree(routine)
    rate = routine.voice.rate
    try:
        measure(tree, lambda leaf: dosing_size(leaf, rate), max_ms)
        if phrases is not None:
            compiled = _CompiledSizes(routine, phrases, max_ms)
            measure(tree, compiled.of, max_ms, compiled.frame())
    except TooBig as too_big:
        return too_big.problem
    return None


class _CompiledSizes:
    """The time and items of each step as the session says it, each step compiled once as if
    its exercise had been introduced before (the shorter introduction), however many rounds
    play it. It speaks with a session of its own, used only for measuring."""

    def __init__(self, routine: Routine, phrases: Phrasebook, max_ms: int) -> None:
        self.session = _Session(routine, phrases, None)
        self.max_ms = max_ms
        self.rate = routine.voice.rate
        self.sizes: dict[int, Size] = {}

    def frame(self) -> Size:
        """What surrounds the steps: lead-in, intro, outro, bells, tail."""
        return size_of(self.session.items(()), MAX_SESSION_MS, self.rate)

    def of(self, leaf: Leaf) -> Size:
        known = self.sizes.get(id(leaf))
        if known is None:
            step = leaf.step
            if isinstance(step, (Exercise, Breathing)):
                title = step.name or self.session.phrases.first("chapter_breathing")
                self.session.speech.introduced.add(title)
            known = size_of(self.session.step(step, ()), self.max_ms, self.rate)
            self.sizes[id(leaf)] = known
        return known


class _Session:
    """Says one session, step after step, in one voice."""

    def __init__(self, routine: Routine, phrases: Phrasebook, minutes: int | None) -> None:
        self.routine = routine
        self.phrases = phrases
        self.minutes = minutes
        self.speech = Speech(phrases)
        self.exercises = ExerciseSpeech(self.speech)

    def items(self, steps: Sequence[Flat]) -> Iterator[PlanItem]:
        """The whole session around `steps`."""
        bell = _bell(self.routine)
        yield Gap(LEAD_IN_MS)
        if self.routine.intro is not False:
            yield Chapter(self.phrases.first("chapter_intro"))
        if bell:
            yield Play(bell)
            yield Gap(LINE_GAP_MS)
        yield from self._intro()
        for index, step in enumerate(steps):
            yield from self.step(step, steps[index + 1 :])
        if self.routine.outro is not False:
            yield Chapter(self.phrases.first("chapter_outro"))
            outro = self.routine.outro
            yield Speak(outro if isinstance(outro, str) else self.speech.say("outro"))
        if bell:
            yield Gap(SECTION_GAP_MS)
            yield Play(bell)
        yield Gap(TAIL_MS)

    def _intro(self) -> Iterator[PlanItem]:
        intro = self.routine.intro
        if intro is False:
            return
        said = [sentence(self.routine.title)]
        around = intro if isinstance(intro, Intro) else Intro()
        if around.before:
            said.append(around.before)
        if isinstance(intro, str):
            said.append(intro)
        else:
            if self.minutes:
                key = "intro_length_one" if self.minutes == 1 else "intro_length"
                said.append(self.phrases.first(key, minutes=self.minutes))
            # A session of breathing alone gets a line about breathing, not about stretching.
            steps = self.routine.steps
            breathing_only = _has(steps, BreatheStep) and not _has(steps, ExerciseStep)
            said.append(self.speech.say("safety_breathing" if breathing_only else "safety"))
        if around.after:
            said.append(around.after)
        yield from lines(said, LINE_GAP_MS)
        yield Gap(SECTION_GAP_MS)

    def step(self, step: Flat, following: Sequence[Flat]) -> Iterator[PlanItem]:
        """What one step says and plays; `following` are the steps after it."""
        if isinstance(step, (SayStep, Announce)):
            yield Speak(step.say if isinstance(step, SayStep) else step.text)
            yield Gap(LINE_GAP_MS)
        elif isinstance(step, PauseStep):
            if step.pause:
                yield Period("pause", step.pause)
        elif isinstance(step, SoundStep):
            yield Play(sound_named(step.sound))
            yield Gap(LINE_GAP_MS)
        elif isinstance(step, Rest):
            yield from self._rest(step, _next_name(following, self.phrases))
        elif isinstance(step, Exercise):
            yield from self.exercises.items(step)
        else:
            yield from breathing_items(step, self.speech)

    def _rest(self, rest: Rest, next_name: str | None) -> Iterator[PlanItem]:
        """A rest, in the chapter of what came before it (a chapter of its own would list
        every short breather)."""
        if rest.ms <= 0:
            return
        if rest.start_sound:
            yield Play(rest.start_sound)
            yield Gap(WORD_GAP_MS)
        yield Speak(self.speech.say("rest"))
        cues: list[TimedCue] = []
        if next_name:
            heads_up = self.speech.say("next", name=bare(next_name))
            cues.append(TimedCue((heads_up,), HEADS_UP_BEFORE_END_MS, from_end=True))
        if rest.end_sound:
            cues.append(TimedCue((), 0, from_end=True, sound=rest.end_sound))
        yield Period("rest", rest.ms, tuple(cues))


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
    return sound_named("bell" if bell is True else bell)


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
