"""The course's index, program.json: every scheduled day, the file it plays and its doses.

The shape is a contract (docs/programs.md): players, calendars and
trackers read it, so its keys never change meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from voiceroutine.program.changes import doses

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
    return [
        {
            "step": dose.step,
            "exercise": (dose.catalogue_id or dose.name) if dose.kind == "exercise" else None,
            "breathing": dose.catalogue_id if dose.kind == "breathe" else None,
            "hold_ms": dose.values.get("hold"),
            "reps": dose.values.get("reps"),
            "sets": dose.values.get("sets"),
            "sides": dose.sides,
            "cycles": dose.values.get("cycles"),
            "duration_ms": dose.values.get("duration", dose.values.get("pause")),
        }
        for dose in doses(course, session, week)
    ]


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
