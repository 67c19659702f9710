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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    Strict,
    Tag,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from voiceroutine.durations import parse_duration_ms

STEP_KINDS = ("say", "pause", "rest", "exercise", "breathe", "repeat")
MAX_TEXT_LENGTH = 2000


def _text(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _duration(value: object) -> int:
    try:
        return parse_duration_ms(value)
    except ValueError as error:
        raise PydanticCustomError("duration", str(error)) from None


DURATION_PATTERN = (
    r"^\s*((\d+(\.\d+)?|\.\d+)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?"
    r"|h|hrs?|hours?)?\s*)+$"
)
Duration = Annotated[
    int,
    BeforeValidator(_duration),
    PlainSerializer(lambda ms: f"{ms / 1000:g}s", return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "pattern": DURATION_PATTERN},
            ],
            "description": "seconds, or a duration such as 20s, 1m30s, 90 seconds",
        }
    ),
]
"""A duration in whole milliseconds, written in YAML as `20`, `20s`, `1m30s`, ..."""

PositiveDuration = Annotated[Duration, Field(gt=0)]
SpokenText = Annotated[
    str, Field(min_length=1, max_length=MAX_TEXT_LENGTH, pattern=r"\w"), BeforeValidator(_text)
]
"""Text the voice speaks: it must contain a word."""


def _lines(value: object) -> object:
    return [value] if isinstance(value, str) else value


Lines = Annotated[list[SpokenText], BeforeValidator(_lines)]
"""One spoken line, or a list of them."""
Whole = Annotated[int, Strict()]
"""A whole number written as one (not `true`, not `"3"`)."""


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


Count = Annotated[
    CountStyle,
    BeforeValidator(_count_style),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^(every|halfway|none|last\s*[1-9][0-9]*)$",
            "description": "how holds are counted: every, halfway, last N, none",
        }
    ),
]


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
    rate: Annotated[Whole, Field(ge=40, le=500)] | None = None
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
    get_ready: Duration = 5_000


Sides = Literal["none", "both", "alternate"]
Guidance = Literal["full", "brief", "minimal"]
"""How much the voice says: everything, the name and the essential cue, or only the counting."""


class Dosing(StrictModel):
    """How much of an exercise to do; every field may be left to the defaults."""

    reps: Annotated[Whole, Field(ge=1, le=1000)] | None = None
    hold: PositiveDuration | None = None
    sides: Sides | None = None
    sets: Annotated[Whole, Field(ge=1, le=100)] | None = None
    rest_between: Duration | None = None
    rest_between_sets: Duration | None = None
    tempo: PositiveDuration | None = None
    count: Count | None = None


class ExerciseDefinition(Dosing):
    """An exercise: its name, how to get into position, how to move, and its default dosing."""

    name: SpokenText
    position: str | None = None
    targets: list[str] = []
    setup: Lines = []
    instructions: Lines = []
    caution: SpokenText | None = None
    cues: Lines = []


ExerciseId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)]


class CatalogueExercise(ExerciseDefinition):
    """An exercise in a catalogue, named by an id that routines refer to."""

    id: ExerciseId
    sources: list[str] = []


def _from_catalogue(kind: str, value: Any, info: ValidationInfo) -> Any:
    """Replace an id with the catalogue's entry of that kind (`exercises` or `breathing`)."""
    if not isinstance(value, str):
        return value
    catalogue = (info.context or {}).get(kind)
    if catalogue is None:
        from voiceroutine.library.catalogue import load_catalogue

        catalogue = getattr(load_catalogue("en"), kind)
    if value in catalogue:
        return catalogue[value]
    close = difflib.get_close_matches(value, sorted(catalogue), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    command = "exercises" if kind == "exercises" else "breathing"
    raise PydanticCustomError(
        "unknown_id",
        "unknown {what} '{id}'{hint}; 'voiceroutine {command}' lists them",
        {"what": "exercise" if kind == "exercises" else "breathing pattern", "id": value,
         "hint": hint, "command": command},
    )  # fmt: skip


class SayStep(StrictModel):
    say: SpokenText


class PauseStep(StrictModel):
    pause: Duration


class RestStep(StrictModel):
    rest: Duration


def _or_an_id(what: str) -> Callable[[dict[str, Any]], None]:
    """Widen a field's JSON Schema: the model, or the id of a catalogue entry."""

    def widen(schema: dict[str, Any]) -> None:
        model = dict(schema)
        schema.clear()
        schema["anyOf"] = [model, {"type": "string", "description": f"the id of a {what}"}]

    return widen


class ExerciseStep(Dosing):
    exercise: Annotated[
        ExerciseDefinition, Field(json_schema_extra=_or_an_id("catalogue exercise"))
    ]
    guidance: Guidance | None = None
    get_ready: Duration | None = None

    @field_validator("exercise", mode="before")
    @classmethod
    def _lookup(cls, value: Any, info: ValidationInfo) -> Any:
        return _from_catalogue("exercises", value, info)


class BreathAmount(StrictModel):
    """How long to keep a breathing pattern up: a number of cycles or a duration, not both."""

    cycles: Annotated[Whole, Field(ge=1, le=1000)] | None = None
    duration: PositiveDuration | None = None

    @model_validator(mode="after")
    def _cycles_or_duration(self) -> BreathAmount:
        if self.cycles is not None and self.duration is not None:
            raise PydanticCustomError("breath_amount", "give either cycles or duration, not both")
        return self


class BreathPattern(BreathAmount):
    """A breathing pattern: phase lengths and, by default, how long to keep it up."""

    name: SpokenText | None = None
    intro: Lines = []
    inhale: PositiveDuration
    top_up: Duration = 0
    hold: Duration = 0
    exhale: PositiveDuration
    hold_out: Duration = 0
    counts: bool = True


class CatalogueBreathing(BreathPattern):
    """A breathing pattern in a catalogue, named by an id."""

    id: ExerciseId
    sources: list[str] = []


class BreatheStep(BreathAmount):
    breathe: Annotated[BreathPattern, Field(json_schema_extra=_or_an_id("breathing pattern"))]
    guidance: Guidance | None = None

    @field_validator("breathe", mode="before")
    @classmethod
    def _lookup(cls, value: Any, info: ValidationInfo) -> Any:
        return _from_catalogue("breathing", value, info)


class RepeatStep(StrictModel):
    repeat: Annotated[Whole, Field(ge=1, le=1000)]
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
    library: str | None = None
    voice: Voice = Voice()
    guidance: Guidance = "full"
    intro: bool | SpokenText = True
    outro: bool | SpokenText = True
    defaults: Defaults = Defaults()
    steps: Annotated[list[Step], Field(min_length=1)]


RepeatStep.model_rebuild()
Routine.model_rebuild()
