"""What a session plays in a week, dose by dose, and what changed since the week before."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from voiceroutine.program.progression import written_doses
from voiceroutine.routine import BreatheStep, ExerciseStep

if TYPE_CHECKING:
    from voiceroutine.program.course import Course

DURATIONS = ("hold", "rest_between", "duration", "pause")


@dataclass(frozen=True)
class Dose:
    """One step's doses in one week: which step, what it is, and its doses by field."""

    step: str
    """Where the step is in its session: `2`, or `3.1` inside a repeat."""
    kind: str
    """exercise, breathe or pause."""
    name: str
    values: dict[str, int]
    catalogue_id: str | None = None
    """The catalogue id of an exercise or breathing pattern named by one."""
    sides: str | None = None
    """An exercise's sides: none, both, alternate, left or right."""


def doses(course: Course, session: str, week: int) -> list[Dose]:
    """Every dosed step `session` plays in `week` (steps inside repeats too), in order."""
    routine, played = course.week(session, week)
    found: list[Dose] = []
    for path, step in played:
        values = written_doses(step, routine.defaults)
        if not values:
            continue
        label = ".".join(str(i + 1) for i in path)
        if isinstance(step, ExerciseStep):
            sides = step.sides or step.exercise.sides or "none"
            exercise_id = getattr(step.exercise, "id", None)
            found.append(Dose(label, "exercise", step.exercise.name, values, exercise_id, sides))
        elif isinstance(step, BreatheStep):
            name = step.breathe.name or "breathing"
            found.append(Dose(label, "breathe", name, values, getattr(step.breathe, "id", None)))
        else:
            found.append(Dose(label, "pause", f"pause {label}", values))
    return found


@dataclass(frozen=True)
class Change:
    """One way a session differs from the week before: a step joins or ends, or a dose moves."""

    kind: Literal["joins", "ends", "dose"]
    name: str
    field: str = ""
    was: int = 0
    now: int = 0


def week_changes(course: Course, session: str, week: int) -> list[Change]:
    """What is new in `session` in `week` against the week before: doses, steps joining
    or leaving. Week 1, and a week that plays as the one before, have none."""
    if week == 1:
        return []
    before = {dose.step: dose for dose in doses(course, session, week - 1)}
    now = {dose.step: dose for dose in doses(course, session, week)}
    found: list[Change] = []
    for step, dose in now.items():
        old = before.get(step)
        if old is None:
            found.append(Change("joins", dose.name))
            continue
        for field, value in dose.values.items():
            was = old.values.get(field)
            if was is not None and was != value:
                found.append(Change("dose", dose.name, field, was, value))
    found += [Change("ends", dose.name) for step, dose in before.items() if step not in now]
    return found


def changes(course: Course, session: str, week: int) -> list[str]:
    """What changed in `session` in `week`, each as a short line for a table."""
    return [_described(change) for change in week_changes(course, session, week)]


def _described(change: Change) -> str:
    if change.kind != "dose":
        return f"{change.name} {change.kind}"
    shown = f"{_shown(change.field, change.was)} → {_shown(change.field, change.now)}"
    return f"{change.name} {change.field.replace('_', ' ')} {shown}"


def _shown(field: str, value: int) -> str:
    return f"{value / 1000:g} s" if field in DURATIONS else str(value)
