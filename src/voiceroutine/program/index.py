"""The course's index, program.json: every scheduled day, the file it plays and its doses.

The shape is a contract (docs/programs.md): players, calendars and
trackers read it, so its keys never change meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from voiceroutine.program.progression import written_doses
from voiceroutine.routine import BreatheStep, ExerciseStep, PauseStep

if TYPE_CHECKING:
    from voiceroutine.program.course import Course, Day


@dataclass(frozen=True)
class IndexedDay:
    """A scheduled day with what it plays: the audio file's name and its length."""

    day: Day
    file: str
    duration_ms: int


def day_doses(course: Course, session: str, week: int) -> list[dict[str, Any]]:
    """Each dosed step the session plays in `week`, in order, as program.json lists it."""
    routine, played = course.week(session, week)
    found = []
    for path, step in played:
        values = written_doses(step, routine.defaults)
        if not values:
            continue
        exercise = breathing = sides = None
        if isinstance(step, ExerciseStep):
            exercise = getattr(step.exercise, "id", None) or step.exercise.name
            sides = step.sides or step.exercise.sides or "none"
        elif isinstance(step, BreatheStep):
            breathing = getattr(step.breathe, "id", None)
        found.append(
            {
                "step": ".".join(str(index + 1) for index in path),
                "exercise": exercise,
                "breathing": breathing,
                "hold_ms": values.get("hold"),
                "reps": values.get("reps"),
                "sets": values.get("sets"),
                "sides": sides,
                "cycles": values.get("cycles"),
                "duration_ms": values.get("duration", values.get("pause"))
                if isinstance(step, (BreatheStep, PauseStep))
                else None,
            }
        )
    return found


def program_index(course: Course, days: list[IndexedDay]) -> dict[str, Any]:
    """program.json's content: the course and every scheduled day in order."""
    start = course.plan.start
    return {
        "title": course.title,
        "weeks": course.plan.weeks,
        "start": start.isoformat() if start else None,
        "days": [
            {
                "week": indexed.day.week,
                "weekday": indexed.day.weekday,
                "date": indexed.day.date.isoformat() if indexed.day.date else None,
                "session": indexed.day.session,
                "file": indexed.file,
                "duration_ms": indexed.duration_ms,
                "doses": day_doses(course, indexed.day.session, indexed.day.week),
            }
            for indexed in days
        ],
    }
