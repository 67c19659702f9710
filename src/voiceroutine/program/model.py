"""The program format: a course of sessions over weeks, its schedule and how its doses grow.

A program file is a routine file's top level (title, voice, defaults, ...)
shared by its sessions, with a `program:` block and `sessions:`, each an
ordinary routine body. Steps in a session may add `from_week`, `until_week`
and their own `progress`. Durations are whole milliseconds, as in routines.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from voiceroutine.durations import parse_duration_ms
from voiceroutine.names import WEEKDAYS
from voiceroutine.routine import DURATION_PATTERN, Duration, StrictModel, Whole

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
assert Weekday.__args__ == WEEKDAYS  # type: ignore[attr-defined]
MAX_WEEKS = 52
MAX_SESSIONS = 366
"""The most scheduled days a course may have."""

RULE_FIELDS = ("hold", "reps", "sets", "rest_between", "cycles", "duration", "pause")
"""The doses a rule can grow."""


def _signed_duration(value: object) -> int:
    """A duration that may be negative (`-1s`): how much a rule adds each time."""
    try:
        if isinstance(value, str) and value.strip().startswith("-"):
            return -parse_duration_ms(value.strip()[1:])
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            return -parse_duration_ms(-value)
        return parse_duration_ms(value)
    except ValueError as error:
        raise PydanticCustomError("duration", str(error)) from None


SignedDuration = Annotated[
    int,
    BeforeValidator(_signed_duration),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number"},
                {"type": "string", "pattern": "^\\s*-?" + DURATION_PATTERN.removeprefix("^\\s*")},
            ],
            "description": "how much to add each time: 5s, or -1s to shrink",
        }
    ),
]
"""How much a duration rule adds each time: `5s`, or `-1s` to shrink."""


class _Rule(StrictModel):
    """Add `add` every `every` weeks, counted from the first week the step plays, to a limit.

    A growing rule (add above 0) stops at `up_to`; a shrinking one (below 0) at `down_to`.
    """

    add: int
    every: Annotated[Whole, Field(ge=1, le=MAX_WEEKS)] = 1
    up_to: int | None = None
    down_to: int | None = None

    @model_validator(mode="after")
    def _one_limit(self) -> _Rule:
        if self.add == 0:
            raise PydanticCustomError("rule_add", "add must grow (above 0) or shrink (below 0)")
        if self.add > 0 and (self.up_to is None or self.down_to is not None):
            raise PydanticCustomError(
                "rule_limit", "a growing rule (add above 0) needs up_to, and no down_to"
            )
        if self.add < 0 and (self.down_to is None or self.up_to is not None):
            raise PydanticCustomError(
                "rule_limit", "a shrinking rule (add below 0) needs down_to, and no up_to"
            )
        return self

    @property
    def limit(self) -> int:
        """`up_to` for a growing rule, `down_to` for a shrinking one."""
        limit = self.up_to if self.add > 0 else self.down_to
        assert limit is not None  # validated
        return limit


class DurationRule(_Rule):
    """A rule for a duration: hold, rest_between, duration, pause."""

    add: SignedDuration
    up_to: Duration | None = None
    down_to: Duration | None = None


class CountRule(_Rule):
    """A rule for a count: reps, sets, cycles."""

    add: Annotated[int, Field(strict=True, ge=-1000, le=1000)]
    up_to: Annotated[Whole, Field(ge=1, le=1000)] | None = None
    down_to: Annotated[Whole, Field(ge=1, le=1000)] | None = None


Rule = DurationRule | CountRule


class Rules(StrictModel):
    """How each dose grows; week 1 is the dose written."""

    hold: DurationRule | None = None
    reps: CountRule | None = None
    sets: CountRule | None = None
    rest_between: DurationRule | None = None
    cycles: CountRule | None = None
    duration: DurationRule | None = None
    pause: DurationRule | None = None

    def of(self, field: str) -> Rule | None:
        rule: Rule | None = getattr(self, field)
        return rule


def _quoted_time(value: object) -> object:
    """YAML reads an unquoted 19:00 as a number (sexagesimal: 1140): say to quote it."""
    if isinstance(value, int) and not isinstance(value, bool):
        raise PydanticCustomError("time_quotes", 'write the time in quotes, as time: "19:00"')
    return value


class Schedule(StrictModel):
    """The course's calendar: how many weeks, which session on which weekday."""

    weeks: Annotated[Whole, Field(ge=1, le=MAX_WEEKS)]
    start: datetime.date | None = None
    time: (
        Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$"), BeforeValidator(_quoted_time)]
        | None
    ) = None
    schedule: Annotated[dict[Weekday, str], Field(min_length=1)]
    progress: Rules = Rules()
    easy_weeks: tuple[Annotated[Whole, Field(ge=1, le=MAX_WEEKS)], ...] = ()


class StepSchedule(StrictModel):
    """What a step in a session may say besides the routine's keys."""

    from_week: Annotated[Whole, Field(ge=1, le=MAX_WEEKS)] | None = None
    until_week: Annotated[Whole, Field(ge=1, le=MAX_WEEKS)] | None = None
    progress: Rules | Literal["none"] | None = None


STEP_SCHEDULE_KEYS = tuple(StepSchedule.model_fields)
