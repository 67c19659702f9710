"""What a session of a course says about its place in it: the week, what changed, and care.

The course adds these lines around the session's usual introduction (the
routine's `intro: {before:, after:}`), so the compiler compiles the
session as any routine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from voiceroutine.program.changes import DURATIONS, Change, Dose, doses, week_changes
from voiceroutine.routine import Intro

if TYPE_CHECKING:
    from voiceroutine.library.phrasebook import Phrasebook
    from voiceroutine.program.course import Course
    from voiceroutine.routine import Routine

FIELDS_SAID = ("hold", "reps", "sets", "rest_between", "cycles", "duration", "pause")
"""The order in which changed doses are said."""


def in_course(
    routine: Routine, course: Course, session: str, week: int, phrases: Phrasebook
) -> Routine:
    """`routine` (the session as it plays in `week`) with its introduction saying where in the
    course it stands and what changed; from week 2 the safety line also says what to do
    when the back feels worse. A session with `intro: false` says nothing of it."""
    intro = routine.intro
    if intro is False:
        return routine
    before = " ".join(week_lines(course, session, week, phrases))
    after = phrases.first("course_safety") if week > 1 else None
    if isinstance(intro, str):
        said = " ".join(line for line in (before, intro, after) if line)
        return routine.model_copy(update={"intro": said})
    own = intro if isinstance(intro, Intro) else Intro()
    joined = Intro(
        before=" ".join(line for line in (before, own.before) if line) or None,
        after=" ".join(line for line in (own.after, after) if line) or None,
    )
    return routine.model_copy(update={"intro": joined})


def week_lines(course: Course, session: str, week: int, phrases: Phrasebook) -> list[str]:
    """The week, then an easy week's note or the doses that moved, then steps joining and ending."""
    weeks = course.plan.weeks
    said = [phrases.first("course_week", week=phrases.number(week), weeks=phrases.number(weeks))]
    found = week_changes(course, session, week)
    if week in course.plan.easy_weeks:
        said.append(phrases.first("course_easy_week"))
    else:
        said += _doses_said(found, doses(course, session, week), phrases)
    for kind, key in (("joins", "course_new"), ("ends", "course_ended")):
        names = list(dict.fromkeys(change.name for change in found if change.kind == kind))
        if names:
            said.append(phrases.first(key, names=_listed(names, phrases)))
    return said


def _doses_said(found: list[Change], now: list[Dose], phrases: Phrasebook) -> list[str]:
    """What moved, dose by dose: one sentence for a dose that every step now plays alike
    ("Holds are now twenty seconds."), else one for each step whose dose moved."""
    said = []
    for field in FIELDS_SAID:
        moved = [change for change in found if change.field == field]
        if not moved:
            continue
        values = sorted({dose.values[field] for dose in now if field in dose.values})
        if len(values) == 1:
            said.append(phrases.first(f"course_{field}", value=_amount(field, values[0], phrases)))
        elif field == "pause":  # pauses have no names to tell them apart: their span
            low, high = (_number(value / 1000, phrases) for value in (values[0], values[-1]))
            span = phrases.first("seconds", n=phrases.first("course_range", low=low, high=high))
            said.append(phrases.first("course_pause", value=span))
        else:
            key = {"hold": "course_step_hold", "rest_between": "course_step_rest_between"}
            for change in moved:
                amount = _amount(field, change.now, phrases)
                said.append(
                    phrases.first(key.get(field, "course_step"), name=change.name, value=amount)
                )
    return said


COUNTED = {"reps": "repetitions", "sets": "sets", "cycles": "cycles"}
"""The phrase that counts each counted dose: `six repetitions`, `one repetition`."""


def _amount(field: str, value: int, phrases: Phrasebook) -> str:
    """A dose as said: a count of its things, a duration in seconds or whole minutes."""
    if field not in DURATIONS:
        noun = COUNTED[field]
        if value == 1:
            return phrases.first(f"{noun}_one")
        return phrases.first(noun, n=phrases.number(value))
    if value == 60_000:
        return phrases.first("minute_one")
    if value > 60_000 and value % 60_000 == 0:
        return phrases.first("minutes", n=phrases.number(value // 60_000))
    if value == 1000:
        return phrases.first("second_one")
    return phrases.first("seconds", n=_number(value / 1000, phrases))


def _number(value: float, phrases: Phrasebook) -> str:
    """A whole number in words; a fraction in digits, with the language's decimal mark."""
    if float(value).is_integer():
        return phrases.number(int(value))
    return f"{value:g}".replace(".", phrases.first("decimal_mark"))


def _listed(names: list[str], phrases: Phrasebook) -> str:
    if len(names) == 1:
        return names[0]
    return phrases.first("course_and", first=", ".join(names[:-1]), last=names[-1])
