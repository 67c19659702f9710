"""The routine language: pydantic models that validate a routine once, at the boundary.

Durations are stored as whole milliseconds. Unknown keys are errors everywhere.
A step is a mapping with exactly one kind key (`say`, `pause`, `rest`,
`exercise`, `breathe`, `repeat`); the kind key holds *what* to do and the keys
beside it may say *how much* (for an exercise, any dosing key overrides the
one in its definition).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    Strict,
    Tag,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from voiceroutine.access import MAX_MEDIA_BYTES, ReadAccess
from voiceroutine.audio.formats import FORMAT_NAMES, FORMATS, SAMPLE_RATES
from voiceroutine.durations import parse_duration_ms
from voiceroutine.languages import bundled_language, unknown_language
from voiceroutine.names import (
    AMBIENCES,
    ID_PATTERN,
    IMAGE_SUFFIXES,
    PALETTE_SOUNDS,
    STEP_KINDS,
    WORDS_PATTERN,
)
from voiceroutine.suggest import did_you_mean
from voiceroutine.tts import pronounce
from voiceroutine.tts.registry import canonical_engine, is_engine, unknown_engine

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
    str,
    Field(min_length=1, max_length=MAX_TEXT_LENGTH, pattern=WORDS_PATTERN),
    BeforeValidator(_text),
]
"""Text the voice speaks: it must contain a word."""


def _lines(value: object) -> object:
    return [value] if isinstance(value, str) else value


def _or_one_line(schema: dict[str, Any]) -> None:
    """Widen a list of lines' JSON Schema: a single line is accepted as well."""
    as_list = dict(schema)
    schema.clear()
    schema["anyOf"] = [dict(as_list.get("items", {"type": "string"})), as_list]


Lines = Annotated[list[SpokenText], BeforeValidator(_lines), Field(json_schema_extra=_or_one_line)]
"""One spoken line, or a list of them."""
Whole = Annotated[int, Strict()]


@dataclass(frozen=True)
class LoadContext:
    """What validating a routine needs from outside it; loader.py builds it for each file."""

    exercises: Mapping[str, ExerciseDefinition]
    """The catalogue's exercises by id, in the routine's language, with its own library's."""
    breathing: Mapping[str, BreathPattern]
    base_dir: Path
    """The routine's folder: the files it names are found from there."""
    access: ReadAccess
    engines: tuple[str, ...]
    """The speech engines that can be asked for by name."""


def _load_context(info: ValidationInfo) -> LoadContext:
    if not isinstance(info.context, LoadContext):
        raise TypeError("a routine is validated with a LoadContext (see loader.py)")
    return info.context


def _file_next_to_routine(value: str, info: ValidationInfo, what: str) -> str:
    """A file the routine names, resolved against the routine's folder.

    It must exist, lie inside a folder the routine may read (its own, unless
    the user allowed more) and be no larger than MAX_MEDIA_BYTES.
    """
    try:
        return _checked_file(value, _load_context(info), what)
    except (OSError, ValueError, RuntimeError) as error:  # a name the system cannot use
        if isinstance(error, PydanticCustomError):
            raise
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        raise PydanticCustomError(
            "file_unusable",
            "cannot use the {what} '{name}': {reason}",
            {"what": what, "name": value, "reason": reason},
        ) from None


def _checked_file(value: str, context: LoadContext, what: str) -> str:
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = context.base_dir / path
    if not context.access.permits(path):
        raise PydanticCustomError("file_outside", context.access.refusal(value))
    if not path.is_file():
        raise PydanticCustomError(
            "file_missing",
            "no {what} '{name}' next to the routine{choices}",
            {"what": what, "name": value, "choices": _choices_hint(what)},
        )
    if path.stat().st_size > MAX_MEDIA_BYTES:
        raise PydanticCustomError(
            "file_too_large",
            "the {what} '{name}' is larger than {limit} MB",
            {"what": what, "name": value, "limit": MAX_MEDIA_BYTES // 1_000_000},
        )
    return str(path.resolve())


def _choices_hint(what: str) -> str:
    if what == "sound file":
        return f" (built-in sounds: {', '.join(PALETTE_SOUNDS)})"
    if what == "music file":
        return f" (built-in ambiences: {', '.join(AMBIENCES)})"
    return ""


def _sound(value: str, info: ValidationInfo) -> str:
    if value in PALETTE_SOUNDS:
        return value
    return _file_next_to_routine(value, info, "sound file")


def _music(value: str, info: ValidationInfo) -> str:
    if value in AMBIENCES:
        return value
    return _file_next_to_routine(value, info, "music file")


def _image(value: str, info: ValidationInfo) -> str:
    if Path(value).suffix.lower() not in IMAGE_SUFFIXES:
        raise PydanticCustomError("cover", "the cover must be a PNG or JPEG image")
    path = _file_next_to_routine(value, info, "cover image")
    problem = _image_problem(Path(path))
    if problem is not None:
        raise PydanticCustomError(
            "cover", "the cover '{name}' {problem}", {"name": value, "problem": problem}
        )
    return path


COVER_FORMATS = {"PNG", "JPEG"}
"""The image types that every player shows as cover art (Pillow's names for them)."""


def _image_problem(path: Path) -> str | None:
    """Why the file is not a whole PNG or JPEG image (read and decoded by Pillow), or None."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            kind = image.format
            if kind not in COVER_FORMATS:
                return f"is a {kind} image, not PNG or JPEG"
            image.load()  # decodes it: a truncated or damaged image fails here
    except UnidentifiedImageError:
        return "is not an image (not PNG or JPEG)"
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        return f"cannot be decoded as an image: {error}"
    return None


SoundRef = Annotated[
    str,
    Field(min_length=1, max_length=1000),
    AfterValidator(_sound),
    WithJsonSchema(
        {"type": "string", "description": "bell, chime, tick, or a sound file next to the routine"}
    ),
]
"""A built-in sound by name, or a sound file (any format ffmpeg reads), as an absolute path."""
MusicRef = Annotated[
    str,
    Field(min_length=1, max_length=1000),
    AfterValidator(_music),
    WithJsonSchema({"type": "string", "description": "brown-noise, rain, drone, or a music file"}),
]
ImageRef = Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(_image)]
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
                    hint = did_you_mean(str(key), known)
                    raise PydanticCustomError(
                        "unknown_key",
                        "unknown key '{key}'{hint}; expected one of: {known}",
                        {"key": str(key), "hint": hint, "known": ", ".join(sorted(known))},
                    )
        return data


def _voice_name(value: str, info: ValidationInfo) -> str:
    """An engine's voice name, or a Piper voice file (.onnx, its .onnx.json beside it)."""
    if not value.endswith(".onnx"):
        return value
    path = _file_next_to_routine(value, info, "Piper voice file")
    if not Path(path + ".json").is_file():
        raise PydanticCustomError(
            "voice_config_missing",
            "the Piper voice '{name}' needs its config '{name}.json' beside it",
            {"name": value},
        )
    return path


VoiceName = Annotated[
    str,
    Field(min_length=1, max_length=1000),
    AfterValidator(_voice_name),
    WithJsonSchema(
        {
            "type": "string",
            "description": "a voice from `voiceroutine voices`, or a Piper voice file (.onnx)",
        }
    ),
]


def _speaker(value: object) -> object:
    if (isinstance(value, int) and not isinstance(value, bool) and value >= 0) or (
        isinstance(value, str) and value.strip()
    ):
        return value
    raise PydanticCustomError(
        "speaker",
        "expected a speaker's number (0, 1, ...) or name, got {value}",
        {"value": repr(value)},
    )


Speaker = Annotated[
    int | str,
    BeforeValidator(_speaker),
    WithJsonSchema(
        {
            "anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "minLength": 1}],
            "description": "a speaker of a multi-speaker voice, by number or name",
        }
    ),
]


class Voice(StrictModel):
    """Which text-to-speech engine speaks, and how."""

    engine: Annotated[
        str | None,
        WithJsonSchema(
            {
                "type": "string",
                "description": "piper (a natural voice), pyttsx3 or espeak (eSpeak NG), or an "
                "engine a package adds; by default piper when a Piper voice for the language "
                "is installed, else eSpeak NG",
            }
        ),
    ] = None
    """None: Piper when a natural voice for the language is installed, else eSpeak NG."""
    name: VoiceName | None = None
    speaker: Speaker | None = None
    rate: Annotated[Whole, Field(ge=40, le=500)] | None = None
    preset: Literal["calm"] | None = None
    """A way of speaking: `calm` is slower and softer, for breathing work (see tts/presets.py)."""
    language: str = "en"

    @field_validator("engine")
    @classmethod
    def _is_registered(cls, engine: str | None, info: ValidationInfo) -> str | None:
        engines = _load_context(info).engines
        if engine is not None and not is_engine(engine, engines):
            message = unknown_engine(engine, engines)
            raise PydanticCustomError("engine", "{message}", {"message": message})
        return None if engine is None else canonical_engine(engine)

    @field_validator("language")
    @classmethod
    def _has_phrasebook(cls, language: str) -> str:
        if bundled_language(language) is None:
            raise PydanticCustomError("language", unknown_language(language))
        return language


class DefaultSounds(StrictModel):
    """Sounds that mark the start or end of every exercise and rest (none by default)."""

    exercise_start: SoundRef | None = None
    exercise_end: SoundRef | None = None
    rest_start: SoundRef | None = None
    rest_end: SoundRef | None = None


class Marks(StrictModel):
    """Sounds that mark the start and end of one exercise or rest; `none` turns one off."""

    start: SoundRef | Literal[False] | None = None
    end: SoundRef | Literal[False] | None = None

    @model_validator(mode="before")
    @classmethod
    def _none_means_off(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: False if value == "none" else value for key, value in data.items()}
        return data


BreathGuide = Literal["voice", "tones", "both"]
"""How breath phases are cued: spoken, by rising and falling tones, or both."""


class Defaults(StrictModel):
    """Values every step uses unless it says otherwise."""

    rest_between_exercises: Duration = 10_000
    rest_between_reps: Duration = 5_000
    rest_between_sets: Duration = 20_000
    count: Count = CountStyle("halfway")
    tempo: PositiveDuration = 3_000
    get_ready: Duration = 5_000
    guide: BreathGuide = "voice"
    sounds: DefaultSounds = DefaultSounds()


Sides = Literal["none", "both", "alternate", "left", "right"]
"""No sides; both (all reps on one, then the other); alternate (a rep a side); one side only."""
Side = Literal["right", "left"]
Guidance = Literal["full", "brief", "minimal"]
"""How much the voice says: everything, the name and the essential cue, or only the counting."""


class Dosing(StrictModel):
    """How much of an exercise to do; every field may be left to the defaults."""

    reps: Annotated[Whole, Field(ge=1, le=1000)] | None = None
    hold: PositiveDuration | None = None
    sides: Sides | None = None
    start_side: Side | None = None
    """Which side `both` and `alternate` start with (default right)."""
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

    @model_validator(mode="after")
    def _tempo_or_hold(self) -> ExerciseDefinition:
        if self.tempo is not None and self.hold is not None:
            raise tempo_beside_a_hold(self.tempo, self.hold)
        return self


def tempo_beside_a_hold(tempo_ms: int, hold_ms: int) -> ValidationError:
    """The error for a `tempo`, which paces reps that move, given to reps that are held."""
    problem = PydanticCustomError(
        "tempo_with_hold",
        "this exercise holds each rep ({hold} s), and a tempo only paces reps that move "
        "without a hold: remove one of hold and tempo",
        {"hold": f"{hold_ms / 1000:g}"},
    )
    return ValidationError.from_exception_data(
        "Exercise", [InitErrorDetails(type=problem, loc=("tempo",), input=tempo_ms)]
    )


ExerciseId = Annotated[str, Field(pattern=ID_PATTERN, max_length=80)]


class CatalogueExercise(ExerciseDefinition):
    """An exercise in a catalogue, named by an id that routines refer to."""

    id: ExerciseId
    sources: list[str] = []


def _from_catalogue(kind: str, value: Any, info: ValidationInfo) -> Any:
    """Replace an id with the catalogue's entry of that kind (`exercises` or `breathing`)."""
    if not isinstance(value, str):
        return value
    catalogue: Mapping[str, BaseModel] = getattr(_load_context(info), kind)
    if value in catalogue:
        return catalogue[value]
    hint = did_you_mean(value, catalogue)
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
    sounds: Marks | None = None


class SoundStep(StrictModel):
    sound: SoundRef


def _or_an_id(what: str) -> Callable[[dict[str, Any]], None]:
    """Widen a field's JSON Schema: the model, or the id of a catalogue entry."""

    def widen(schema: dict[str, Any]) -> None:
        model = dict(schema)
        schema.clear()
        schema["anyOf"] = [model, {"type": "string", "description": f"the id of a {what}"}]

    return widen


EXERCISE_TEXT_KEYS = ("name", "setup", "instructions", "caution", "cues")
"""What a step may say differently beside a catalogue id (the entry's other text stays)."""


class ExerciseStep(Dosing):
    exercise: Annotated[
        ExerciseDefinition, Field(json_schema_extra=_or_an_id("catalogue exercise"))
    ]
    guidance: Guidance | None = None
    get_ready: Duration | None = None
    sounds: Marks | None = None
    name: SpokenText | None = None
    setup: Lines | None = None
    instructions: Lines | None = None
    caution: SpokenText | None = None
    cues: Lines | None = None

    @field_validator("exercise", mode="before")
    @classmethod
    def _lookup(cls, value: Any, info: ValidationInfo) -> Any:
        return _from_catalogue("exercises", value, info)

    @model_validator(mode="after")
    def _tempo_or_hold(self) -> ExerciseStep:
        hold = self.hold if self.hold is not None else self.exercise.hold
        if self.tempo is not None and hold is not None:
            raise tempo_beside_a_hold(self.tempo, hold)
        return self

    @model_validator(mode="after")
    def _text_beside_the_id(self) -> ExerciseStep:
        """Text written beside the exercise replaces the catalogue entry's (or the inline one's)."""
        changed = {key: getattr(self, key) for key in EXERCISE_TEXT_KEYS}
        changed = {key: value for key, value in changed.items() if value is not None}
        if not changed:
            return self
        exercise = self.exercise.model_copy(update=changed)
        return self.model_copy(update={"exercise": exercise, **dict.fromkeys(changed)})


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
    counts: bool | None = None
    """Count the seconds of long phases; by default yes, except under `guide: tones`."""


class CatalogueBreathing(BreathPattern):
    """A breathing pattern in a catalogue, named by an id."""

    id: ExerciseId
    sources: list[str] = []


class BreatheStep(BreathAmount):
    breathe: Annotated[BreathPattern, Field(json_schema_extra=_or_an_id("breathing pattern"))]
    guidance: Guidance | None = None
    guide: BreathGuide | None = None

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
    | Annotated[SoundStep, Tag("sound")]
    | Annotated[RepeatStep, Tag("repeat")],
    Discriminator(step_kind, custom_error_type="step_kind", custom_error_message=STEP_HELP),
]


class AudioSettings(StrictModel):
    """How the session sounds and is encoded; the command line can override each."""

    loudness: Annotated[float, Field(ge=-36, le=-10)] = -16.0
    """Integrated loudness target in LUFS (-16 is the spoken-word podcast norm)."""
    bell: SoundRef | bool = True
    """A sound at the very start and end of the session: true for the bell, or a sound."""
    music: MusicRef | None = None
    music_level: Annotated[float, Field(ge=-60, le=0)] = -24.0
    """The music bed's level in dB relative to the voice, where nobody speaks."""
    duck: Annotated[float, Field(ge=0, le=60)] = 15.0
    """How many dB the music bed goes down while the voice speaks."""
    format: Literal[FORMAT_NAMES] | None = None  # type: ignore[valid-type]
    bitrate: Annotated[Whole, Field(ge=16, le=320)] | None = None
    """In kbit/s, for the lossy formats."""
    sample_rate: Literal[SAMPLE_RATES] | None = None  # type: ignore[valid-type]

    @field_validator("sample_rate")
    @classmethod
    def _a_rate_the_format_has(cls, rate: int | None, info: ValidationInfo) -> int | None:
        name = info.data.get("format")
        if rate is None or name is None or rate in FORMATS[name].sample_rates:
            return rate
        rates = ", ".join(str(r) for r in FORMATS[name].sample_rates)
        raise PydanticCustomError(
            "sample_rate",
            "{format} cannot be {rate} Hz; choose one of: {rates}",
            {"format": name, "rate": rate, "rates": rates},
        )


class Intro(StrictModel):
    """The usual introduction with lines of the routine's own around it."""

    before: SpokenText | None = None
    """Said after the title, before the session's length."""
    after: SpokenText | None = None
    """Said after the safety line."""


def _respellings(value: object) -> object:
    """`pronounce:` maps words to how to say them; each entry is checked (tts/pronounce.py)."""
    if not isinstance(value, dict):
        return value  # the dict type reports it
    if len(value) > pronounce.MAX_ENTRIES:
        raise PydanticCustomError(
            "pronounce", "at most {most} words", {"most": pronounce.MAX_ENTRIES}
        )
    for word, saying in value.items():
        if not isinstance(word, str) or not isinstance(saying, str):
            continue  # the dict type reports it, at its entry
        wrong = pronounce.problem(word, saying)
        if wrong:
            raise PydanticCustomError(
                "pronounce", "{word}: {wrong}", {"word": word, "wrong": wrong}
            )
    return value


Pronounce = Annotated[
    dict[str, str],
    BeforeValidator(_respellings),
    WithJsonSchema(
        {
            "type": "object",
            "additionalProperties": {"type": "string", "minLength": 1},
            "description": "words a voice says wrongly, and how to say them: "
            "{Pilates: pih-LAH-teez}",
        }
    ),
]


Variables = Annotated[
    dict[
        Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=100)],
        str | int | float | bool,
    ],
    Field(
        description="a template's variables and their defaults: {greeting: Hello} fills "
        "{greeting} in any text; build with --each people.csv for a value per person"
    ),
]


class Routine(StrictModel):
    """A whole routine file."""

    title: SpokenText
    description: Annotated[str, Field(max_length=MAX_TEXT_LENGTH)] | None = None
    library: str | None = None
    voice: Voice = Voice()
    guidance: Guidance = "full"
    intro: bool | SpokenText | Intro = True
    outro: bool | SpokenText = True
    defaults: Defaults = Defaults()
    audio: AudioSettings = AudioSettings()
    author: Annotated[str, Field(max_length=200)] | None = None
    cover: ImageRef | None = None
    pronounce: Pronounce = {}
    """Words the voice says wrongly, and how to say them (whole words, any case)."""
    variables: Variables = {}
    """A template's defaults for the {variables} its text names (personal/template.py)."""
    steps: Annotated[list[Step], Field(min_length=1)]

    def as_yaml(self) -> str:
        """The routine written out as YAML that loads back into the same routine (what the
        tags of a session made from a program or a template carry). Its variables are
        filled in already, so `variables:` is left out: braces left in its text are text."""
        import yaml

        return yaml.safe_dump(
            self.model_dump(mode="json", exclude_defaults=True, exclude={"variables"}),
            sort_keys=False, allow_unicode=True, width=100,
        )  # fmt: skip


RepeatStep.model_rebuild()
Routine.model_rebuild()
