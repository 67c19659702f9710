"""How a step's dose grows over a course: pure arithmetic on validated steps, no files.

Week 1 of a step (its `from_week`, else the course's first) plays the dose
written; a rule adds its amount every `every` weeks from then, never beyond
its limit, and an easy week plays the written dose again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from voiceroutine.routine import BreatheStep, ExerciseStep, PauseStep, Step

if TYPE_CHECKING:
    from voiceroutine.program.model import Rule, Rules
    from voiceroutine.routine import Defaults


def dose_in_week(written: int, rule: Rule | None, week: int, first_week: int, easy: bool) -> int:
    """The dose in `week` of a step first played in `first_week`, written as `written`."""
    if rule is None or easy or week <= first_week:
        return written
    grown = written + (week - first_week) // rule.every * rule.add
    return min(grown, rule.limit) if rule.add > 0 else max(grown, rule.limit)


def written_doses(step: Step, defaults: Defaults) -> dict[str, int]:
    """The doses a step has, as written (or as its catalogue entry and the defaults give them).

    A hold exercise has a hold; every exercise has reps, sets and a rest
    between reps; a breathing block has cycles or a duration; a pause its length.
    """
    if isinstance(step, ExerciseStep):
        exercise = step.exercise
        doses = {
            "reps": _first(step.reps, exercise.reps, 1),
            "sets": _first(step.sets, exercise.sets, 1),
            "rest_between": _first(
                step.rest_between, exercise.rest_between, defaults.rest_between_reps
            ),
        }
        hold = _first(step.hold, exercise.hold, 0)
        if hold:
            doses["hold"] = hold
        return doses
    if isinstance(step, BreatheStep):
        if step.duration is not None or (step.cycles is None and step.breathe.duration):
            return {"duration": _first(step.duration, step.breathe.duration, 0)}
        return {"cycles": _first(step.cycles, step.breathe.cycles, 5)}
    if isinstance(step, PauseStep):
        return {"pause": step.pause}
    return {}


def with_doses(step: Step, doses: dict[str, int]) -> Step:
    """`step` playing `doses` (a subset of its written doses) instead of what it wrote."""
    if not doses:
        return step
    return step.model_copy(update=doses)


def rule_for(
    step_rules: Rules | Literal["none"] | None, program_rules: Rules, field: str
) -> Rule | None:
    """The rule a step's `field` follows: its own rule for it, else the program's; with
    `progress: none` the step follows none."""
    if step_rules == "none":
        return None
    own = step_rules.of(field) if step_rules is not None else None
    return own if own is not None else program_rules.of(field)


def _first(*values: int | None) -> int:
    return next(value for value in values if value is not None)
