"""The Python API the CLI wraps: build(), check() and plan() run the pipeline stages in order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from voiceroutine.compiler import compile_routine
from voiceroutine.errors import Place, VoiceroutineError
from voiceroutine.library.catalogue import Catalogue, load_catalogue
from voiceroutine.library.phrasebook import load_phrasebook
from voiceroutine.loader import load_routine
from voiceroutine.plan import Plan
from voiceroutine.routine import Routine
from voiceroutine.timeline import Timeline, clip_ms_from_samples, schedule
from voiceroutine.tts.base import Engine, VoiceSettings
from voiceroutine.tts.estimate import estimate_clip_ms
from voiceroutine.tts.registry import engine_names

if TYPE_CHECKING:
    from voiceroutine.audio.encode import AudioFormat
    from voiceroutine.tts.speak import SpeechClips

SAMPLE_RATE = 44_100
DEFAULT_OUT_DIR = Path("output")

Progress = Callable[[str, int, int], None]
"""Called as progress(stage, done, total) while a build runs."""


@dataclass(frozen=True)
class VoiceOverrides:
    """Voice choices from the command line; each wins over the routine's own."""

    engine: str | None = None
    name: str | None = None
    rate: int | None = None


@dataclass(frozen=True)
class BuildOptions:
    out_dir: Path = DEFAULT_OUT_DIR
    audio_format: str = "mp3"
    voice: VoiceOverrides = field(default_factory=VoiceOverrides)
    cache_dir: Path | None = None


@dataclass(frozen=True)
class BuildResult:
    audio: Path
    timeline_file: Path
    subtitles: Path
    timeline: Timeline
    synthesized: int
    reused: int


@dataclass(frozen=True)
class Compiled:
    """A loaded routine and its plan, with the voice it will be spoken in."""

    source: Path
    routine: Routine
    plan: Plan
    engine_name: str
    voice: VoiceSettings


def compile_file(path: Path, overrides: VoiceOverrides | None = None) -> Compiled:
    """Load, validate and compile a routine file (no audio, no engine)."""
    overrides = overrides or VoiceOverrides()
    routine = load_routine(path)
    engine_name = overrides.engine or routine.voice.engine
    if engine_name not in engine_names():
        raise VoiceroutineError(
            f"unknown speech engine '{engine_name}'; choose one of: {', '.join(engine_names())}",
            Place(path),
        )
    phrases = load_phrasebook(routine.voice.language)
    voice = VoiceSettings(
        name=overrides.name or routine.voice.name,
        rate=overrides.rate or routine.voice.rate,
        language=routine.voice.language,
        preferred=phrases.voice or None,
    )
    with _in_file(path):
        # The intro says how long the session is: measure a first draft with estimated speech.
        draft = compile_routine(routine, phrases)
        estimate = _schedule_estimated(draft, voice.rate).duration_ms
        plan = compile_routine(routine, phrases, minutes=max(1, round(estimate / 60_000)))
    return Compiled(path, routine, plan, engine_name, voice)


@contextmanager
def _in_file(path: Path) -> Iterator[None]:
    """Give errors that name no place the routine file as their place."""
    try:
        yield
    except VoiceroutineError as error:
        if error.place is None:
            raise VoiceroutineError(error.message, Place(path)) from None
        raise


def _schedule_estimated(plan: Plan, rate: int | None) -> Timeline:
    return schedule(plan, lambda text: estimate_clip_ms(text, rate), SAMPLE_RATE)


def estimated_timeline(compiled: Compiled) -> Timeline:
    """The timeline with clip lengths guessed from the text: fast, needs no engine."""
    return _schedule_estimated(compiled.plan, compiled.voice.rate)


def check(path: Path, overrides: VoiceOverrides | None = None) -> Timeline:
    """Validate a routine and estimate its timeline; raises VoiceroutineError when invalid."""
    return estimated_timeline(compile_file(path, overrides))


def plan(path: Path, overrides: VoiceOverrides | None = None, speak: bool = False) -> Timeline:
    """The routine's timeline: estimated speech lengths, or with `speak` the engine's real ones."""
    compiled = compile_file(path, overrides)
    if not speak:
        return estimated_timeline(compiled)
    from voiceroutine.tts.registry import create_engine

    with _in_file(path):
        return spoken_timeline(compiled, create_engine(compiled.engine_name))[0]


def spoken_timeline(
    compiled: Compiled,
    engine: Engine,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> tuple[Timeline, SpeechClips]:
    """Synthesize every line (through the cache) and schedule with the real clip lengths."""
    from voiceroutine.tts.cache import ClipCache, default_cache_dir
    from voiceroutine.tts.speak import speak_all

    cache = ClipCache(cache_dir or default_cache_dir())
    speech = speak_all(compiled.plan.texts(), engine, compiled.voice, cache, SAMPLE_RATE, progress)
    timeline = schedule(
        compiled.plan,
        lambda text: clip_ms_from_samples(speech.length_samples(text), SAMPLE_RATE),
        SAMPLE_RATE,
    )
    return timeline, speech


def build(
    path: Path,
    options: BuildOptions | None = None,
    engine: Engine | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Build the session audio for the routine at `path`, with its timeline and subtitles."""
    from voiceroutine.audio.encode import FORMATS
    from voiceroutine.tts.registry import create_engine

    options = options or BuildOptions()
    if options.audio_format not in FORMATS:
        raise VoiceroutineError(
            f"unknown audio format '{options.audio_format}'; choose one of: {', '.join(FORMATS)}"
        )
    audio_format = FORMATS[options.audio_format]
    compiled = compile_file(path, options.voice)
    with _in_file(path):
        return _build(
            compiled, options, audio_format, engine or create_engine(compiled.engine_name), progress
        )


def _build(
    compiled: Compiled,
    options: BuildOptions,
    audio_format: AudioFormat,
    engine: Engine,
    progress: Progress | None,
) -> BuildResult:
    from voiceroutine.audio.encode import encode
    from voiceroutine.audio.level import session_gain
    from voiceroutine.audio.render import render_pcm
    from voiceroutine.export import session_files, write_session

    path = compiled.source
    timeline, speech = spoken_timeline(compiled, engine, options.cache_dir, progress)
    gain = session_gain(speech.clips.values())
    tags = {
        "title": compiled.routine.title,
        "artist": "voiceroutine",
        "album": compiled.routine.title,
        "genre": "Health & Fitness",
        "comment": compiled.routine.description or "",
    }

    def report(done: int, total: int) -> None:
        if progress:
            progress("Rendering", done, total)

    def write_audio(destination: Path) -> None:
        blocks = render_pcm(timeline, speech.clips, gain, progress=report)
        encode(blocks, destination, audio_format, SAMPLE_RATE, tags, files.audio.name)

    files = session_files(options.out_dir, path.stem, audio_format.extension)
    write_session(files, timeline, write_audio)
    return BuildResult(
        files.audio, files.timeline, files.subtitles, timeline, speech.synthesized, speech.reused
    )


def catalogue(language: str = "en") -> Catalogue:
    """The built-in exercises and breathing patterns, spoken text in `language`."""
    from voiceroutine.library.phrasebook import available_languages

    if language.split("-")[0].lower() not in available_languages():
        raise VoiceroutineError(
            f"no language '{language}'; available: {', '.join(available_languages())}"
        )
    return load_catalogue(language)


def to_yaml(entry: BaseModel) -> str:
    """A catalogue entry as YAML, in the routine format's own spelling of durations."""
    import yaml

    data = entry.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    first = ("id", "name", "position", "targets", "setup", "instructions", "caution", "cues")
    ordered = {key: data[key] for key in first if key in data}
    ordered.update((key, value) for key, value in data.items() if key not in ordered)
    return yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=100)


def new_routine(path: Path, source: str | None = None) -> None:
    """Create a routine file from the starter or a bundled example; never overwrites."""
    from voiceroutine.starter import write_new_routine

    write_new_routine(path, source)


def routine_schema() -> dict[str, Any]:
    """The JSON Schema of the routine format."""
    from voiceroutine.schema import routine_schema as schema

    return schema()
