"""The routine language: pydantic models that validate a routine once, at the boundary.

Durations are stored as whole milliseconds. Unknown keys are errors everywhere.
A step is a mapping with exactly one kind key (`say`, `pause`, `rest`,
`exercise`, `breathe`, `repeat`); the kind key holds *what* to do and the keys
beside it may say *how much* (for an exercise, any dosing key overrides the
one in its definition).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    Tag,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from voiceroutine.durations import parse_duration_ms

STEP_KINDS = ("say", "pause", "rest", "exercise", "breathe", "repeat")
MAX_TEXT_LENGTH = 2000


def _duration(value: object) -> int:
    try:
        return parse_duration_ms(value)
    except ValueError as error:
        raise PydanticCustomError("duration", str(error)) from None


Duration = Annotated[
    int,
    BeforeValidator(_duration),
    PlainSerializer(lambda ms: f"{ms / 1000:g}s", return_type=str),
]
"""A duration in whole milliseconds, written in YAML as `20`, `20s`, `1m30s`, ..."""

PositiveDuration = Annotated[Duration, Field(gt=0)]
SpokenText = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_LENGTH)]


@dataclass(frozen=True)
class CountStyle:
    """How a hold is counted aloud: every second, the last N seconds, halfway, or not at all."""

    mode: Literal["every", "last", "halfway", "none"]
    last: int = 3

    def __str__(self) -> str:
        return f"last {self.last}" if self.mode == "last" else self.mode


_LAST_N = re.compile(r"^last\s*(\d+)$")
COUNT_HELP = "one of: every, halfway, last N (such as last 5), none"


def _count_style(value: object) -> CountStyle:
    if isinstance(value, CountStyle):
        return value
    if value is False or value is None:
        return CountStyle("none")
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("every", "halfway", "none"):
            return CountStyle(text)  # type: ignore[arg-type]
        match = _LAST_N.match(text)
        if match and int(match.group(1)) >= 1:
            return CountStyle("last", int(match.group(1)))
    raise PydanticCustomError(
        "count_style",
        "count must be {help}, got {value}",
        {"help": COUNT_HELP, "value": repr(value)},
    )


Count = Annotated[CountStyle, BeforeValidator(_count_style), PlainSerializer(str, return_type=str)]


class StrictModel(BaseModel):
    """A model that rejects unknown keys, naming the closest valid one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = set(cls.model_fields)
            for key in data:
                if key not in known:
                    close = difflib.get_close_matches(str(key), sorted(known), n=1)
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                    raise PydanticCustomError(
                        "unknown_key",
                        "unknown key '{key}'{hint}; expected one of: {known}",
                        {"key": str(key), "hint": hint, "known": ", ".join(sorted(known))},
                    )
        return data


class Voice(StrictModel):
    """Which text-to-speech engine speaks, and how."""

    engine: str = "pyttsx3"
    name: str | None = None
    rate: Annotated[int, Field(ge=40, le=500)] | None = None
    language: str = "en"

    @field_validator("language")
    @classmethod
    def _has_phrasebook(cls, language: str) -> str:
        from voiceroutine.library.phrasebook import available_languages

        languages = available_languages()
        if language.lower().replace("_", "-").split("-")[0] not in languages:
            raise PydanticCustomError(
                "language",
                "no phrasebook for language '{language}'; available: {languages}",
                {"language": language, "languages": ", ".join(languages)},
            )
        return language


class Defaults(StrictModel):
    """Values every step uses unless it says otherwise."""

    rest_between_exercises: Duration = 10_000
    rest_between_reps: Duration = 5_000
    rest_between_sets: Duration = 20_000
    count: Count = CountStyle("halfway")
    tempo: PositiveDuration = 3_000
    intro: bool = True
    outro: bool = True


Sides = Literal["none", "both", "alternate"]


class Dosing(StrictModel):
    """How much of an exercise to do; every field may be left to the defaults."""

    reps: Annotated[int, Field(ge=1, le=1000)] | None = None
    hold: PositiveDuration | None = None
    sides: Sides | None = None
    sets: Annotated[int, Field(ge=1, le=100)] | None = None
    rest_between: Duration | None = None
    rest_between_sets: Duration | None = None
    tempo: PositiveDuration | None = None
    count: Count | None = None


class ExerciseDefinition(Dosing):
    """An exercise written inline: its name, how to set it up, and its default dosing."""

    name: SpokenText
    instructions: list[SpokenText] = []
    caution: SpokenText | None = None


class SayStep(StrictModel):
    say: SpokenText


class PauseStep(StrictModel):
    pause: Duration


class RestStep(StrictModel):
    rest: Duration


class ExerciseStep(Dosing):
    exercise: ExerciseDefinition


class BreathAmount(StrictModel):
    """How long to keep a breathing pattern up: a number of cycles or a duration, not both."""

    cycles: Annotated[int, Field(ge=1, le=1000)] | None = None
    duration: PositiveDuration | None = None

    @model_validator(mode="after")
    def _cycles_or_duration(self) -> BreathAmount:
        if self.cycles is not None and self.duration is not None:
            raise PydanticCustomError("breath_amount", "give either cycles or duration, not both")
        return self


class BreathPattern(BreathAmount):
    """A breathing pattern: phase lengths and, by default, how long to keep it up."""

    name: SpokenText | None = None
    intro: SpokenText | None = None
    inhale: PositiveDuration
    hold: Duration = 0
    exhale: PositiveDuration
    hold_out: Duration = 0
    counts: bool = True


class BreatheStep(BreathAmount):
    breathe: BreathPattern


class RepeatStep(StrictModel):
    repeat: Annotated[int, Field(ge=1, le=1000)]
    steps: Annotated[list[Step], Field(min_length=1)]


def step_kind(value: Any) -> str | None:
    """The kind of a step: the one kind key its mapping holds, or None."""
    if isinstance(value, BaseModel):
        return next(kind for kind in STEP_KINDS if kind in type(value).model_fields)
    if isinstance(value, dict):
        kinds = [kind for kind in STEP_KINDS if kind in value]
        if len(kinds) == 1:
            return kinds[0]
    return None


STEP_HELP = "a step must have exactly one of: " + ", ".join(STEP_KINDS)

Step = Annotated[
    Annotated[SayStep, Tag("say")]
    | Annotated[PauseStep, Tag("pause")]
    | Annotated[RestStep, Tag("rest")]
    | Annotated[ExerciseStep, Tag("exercise")]
    | Annotated[BreatheStep, Tag("breathe")]
    | Annotated[RepeatStep, Tag("repeat")],
    Discriminator(step_kind, custom_error_type="step_kind", custom_error_message=STEP_HELP),
]


class Routine(StrictModel):
    """A whole routine file."""

    title: SpokenText
    description: Annotated[str, Field(max_length=MAX_TEXT_LENGTH)] | None = None
    voice: Voice = Voice()
    defaults: Defaults = Defaults()
    steps: Annotated[list[Step], Field(min_length=1)]


RepeatStep.model_rebuild()
Routine.model_rebuild()
