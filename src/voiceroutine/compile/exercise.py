"""What is said for an exercise: its introduction, getting ready, each side and rep, the holds."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from voiceroutine.compile.pacing import (
    COUNTDOWN_AFTER_HALFWAY,
    HALFWAY_MIN_HOLD_MS,
    LINE_GAP_MS,
    MID_HOLD_CUE_MIN_MS,
    SECTION_GAP_MS,
    WORD_GAP_MS,
)
from voiceroutine.compile.resolved import Exercise
from voiceroutine.compile.speech import Speech, lines, sentence
from voiceroutine.plan import Chapter, Gap, Period, PlanItem, Play, Speak, TimedCue


class ExerciseSpeech:
    """Says exercises in one session's voice."""

    def __init__(self, speech: Speech) -> None:
        self.speech = speech

    def items(self, exercise: Exercise) -> Iterator[PlanItem]:
        """The exercise from its chapter to "Well done."."""
        yield Chapter(self.speech.chapter_title(exercise.name, exercise.round))
        if exercise.start_sound:
            yield Play(exercise.start_sound)
            yield Gap(WORD_GAP_MS)
        yield from lines(self._introduction(exercise), LINE_GAP_MS)
        yield Gap(LINE_GAP_MS)
        for set_number in range(1, exercise.sets + 1):
            if set_number > 1 and exercise.rest_between_sets_ms:
                yield Speak(self.speech.say("rest"))
                yield Period("rest", exercise.rest_between_sets_ms)
            if exercise.sets > 1 and exercise.guidance != "minimal":
                yield Speak(self.speech.say("set", n=set_number, total=exercise.sets))
                yield Gap(LINE_GAP_MS)
            # The listener hears which side before getting into position.
            yield from self._get_ready(exercise, self._first_side(exercise))
            yield from self._sides(exercise)
        if exercise.guidance == "full":
            yield Speak(self.speech.say("done_exercise"))
        if exercise.end_sound:
            yield Gap(WORD_GAP_MS)
            yield Play(exercise.end_sound)
        yield Gap(SECTION_GAP_MS)

    def _introduction(self, exercise: Exercise) -> list[str]:
        """What is said before the first rep, by guidance level and whether it was heard before."""
        said = [sentence(exercise.name)]
        if exercise.preface:
            said.append(exercise.preface)
        first_time = self.speech.first_time(exercise.name)
        if exercise.guidance == "full" and first_time:
            said += [*exercise.setup, *exercise.instructions]
        elif exercise.guidance != "minimal" and exercise.instructions:
            said.append(exercise.instructions[0])
        if exercise.caution and first_time and exercise.guidance != "minimal":
            said.append(exercise.caution)
        return said

    def _get_ready(self, exercise: Exercise, cue: str | None) -> Iterator[PlanItem]:
        """A period to get into position; `cue` (or "Get into position.") opens it."""
        if exercise.get_ready_ms <= 0:
            if cue:
                yield Speak(cue)
                yield Gap(LINE_GAP_MS)
            return
        text = cue or (self.speech.say("get_ready") if exercise.guidance != "minimal" else None)
        cues = (TimedCue((text,), 0),) if text else ()
        yield Period("get-ready", exercise.get_ready_ms, cues)

    def _first_side(self, exercise: Exercise) -> str | None:
        """The line that opens the get-ready period: which side comes first, or None."""
        if exercise.sides == "both":
            left_first = exercise.start_side == "left"
            return self.speech.phrases.first("first_side_left" if left_first else "first_side")
        if exercise.sides in ("left", "right"):  # one side only
            return self.speech.phrases.first(f"{exercise.sides}_side")
        return None

    def _sides(self, exercise: Exercise) -> Iterator[PlanItem]:
        if exercise.sides == "alternate":
            sides = [
                self.speech.phrases.first("right_side"),
                self.speech.phrases.first("left_side"),
            ]
            if exercise.start_side == "left":
                sides.reverse()
            yield from self._rep_run(exercise, [sides[i % 2] for i in range(exercise.reps * 2)])
        elif exercise.sides == "both":
            yield from self._rep_run(exercise, [None] * exercise.reps)
            yield from self._rest_between_reps(exercise)
            yield from self._get_ready(exercise, self.speech.say("switch_sides"))
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
            said = []
            if is_last and exercise.guidance != "minimal":
                said.append(self.speech.say("last_one"))
            elif number > 1 and label is None and exercise.guidance == "full":
                said.append(self.speech.phrases.first("rep", n=number, total=total))
            if label:
                said.append(label)
            said.append(self.speech.say("and_hold"))
            yield from lines(said, WORD_GAP_MS)
            yield Period("hold", exercise.hold_ms, self._hold_cues(exercise))
            yield Speak(self.speech.say("release"))
            if number < total:
                yield from self._rest_between_reps(exercise)
            else:
                yield Gap(LINE_GAP_MS)

    def _moving_rep(
        self, exercise: Exercise, number: int, label: str | None, is_last: bool
    ) -> Period:
        """One rep at the tempo, opened by its number or side ("Begin." first, "Last one." last)."""
        if is_last and exercise.guidance != "minimal":
            text = self.speech.say("last_one")
        elif label:
            text = label
        elif number == 1:
            text = self.speech.say("begin")
        else:
            text = self.speech.phrases.number(number)
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
        number = self.speech.phrases.number
        if style.mode == "every":
            return tuple(TimedCue((number(k),), k * 1000) for k in range(1, hold_ms // 1000))
        cues: list[TimedCue] = []
        if exercise.guidance == "full" and exercise.cues and hold_ms >= MID_HOLD_CUE_MIN_MS:
            spots = (0.25, 0.75) if hold_ms >= 2 * MID_HOLD_CUE_MIN_MS else (0.3,)
            for spot in spots:
                turn = self.speech.cue_turns[exercise.name]
                self.speech.cue_turns[exercise.name] += 1
                line = exercise.cues[turn % len(exercise.cues)]
                cues.append(TimedCue((line,), round(hold_ms * spot)))
        if style.mode == "last":
            cues += countdown(hold_ms, style.last, number)
        elif style.mode == "halfway":
            if hold_ms >= HALFWAY_MIN_HOLD_MS:
                cues.append(TimedCue((self.speech.say("halfway"),), hold_ms // 2))
            cues += countdown(hold_ms, COUNTDOWN_AFTER_HALFWAY, number)
        return tuple(cues)


def countdown(hold_ms: int, last: int, number: Callable[[int], str]) -> list[TimedCue]:
    """The last `last` seconds of a hold counted down; only the seconds the hold has."""
    return [
        TimedCue((number(k),), hold_ms - k * 1000)
        for k in range(min(last, hold_ms // 1000), 0, -1)
        if hold_ms - k * 1000 >= 1000
    ]
