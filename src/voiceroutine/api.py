"""The Python API the CLI wraps: build(), check() and plan() run the pipeline stages in order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from voiceroutine import __version__
from voiceroutine.compiler import compile_routine
from voiceroutine.library.phrasebook import load_phrasebook
from voiceroutine.loader import load_routine
from voiceroutine.plan import Plan
from voiceroutine.routine import Routine
from voiceroutine.timeline import Timeline, clip_ms_from_samples, schedule
from voiceroutine.tts.base import Engine, VoiceSettings
from voiceroutine.tts.estimate import estimate_clip_ms

if TYPE_CHECKING:
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
    plan = compile_routine(routine, load_phrasebook(routine.voice.language))
    voice = VoiceSettings(
        name=overrides.name or routine.voice.name,
        rate=overrides.rate or routine.voice.rate,
        language=routine.voice.language,
    )
    return Compiled(path, routine, plan, overrides.engine or routine.voice.engine, voice)


def estimated_timeline(compiled: Compiled) -> Timeline:
    """The timeline with clip lengths guessed from the text: fast, needs no engine."""
    rate = compiled.voice.rate
    return schedule(compiled.plan, lambda text: estimate_clip_ms(text, rate), SAMPLE_RATE)


def check(path: Path, overrides: VoiceOverrides | None = None) -> Timeline:
    """Validate a routine and estimate its timeline; raises VoiceroutineError when invalid."""
    return estimated_timeline(compile_file(path, overrides))


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
    from voiceroutine.audio.encode import FORMATS, encode
    from voiceroutine.audio.level import session_gain
    from voiceroutine.audio.render import render_pcm
    from voiceroutine.export import session_files, write_session
    from voiceroutine.tts.registry import create_engine

    options = options or BuildOptions()
    audio_format = FORMATS[options.audio_format]
    compiled = compile_file(path, options.voice)
    engine = engine or create_engine(compiled.engine_name)
    timeline, speech = spoken_timeline(compiled, engine, options.cache_dir, progress)
    gain = session_gain(speech.clips.values())
    tags = {
        "title": compiled.routine.title,
        "artist": "voiceroutine",
        "album": compiled.routine.title,
        "genre": "Health & Fitness",
        "comment": compiled.routine.description or "",
        "encoder": f"voiceroutine {__version__}",
    }

    def report(done: int, total: int) -> None:
        if progress:
            progress("Rendering", done, total)

    def write_audio(destination: Path) -> None:
        blocks = render_pcm(timeline, speech.clips, gain, progress=report)
        encode(blocks, destination, audio_format, SAMPLE_RATE, tags)

    files = session_files(options.out_dir, path.stem, audio_format.extension)
    write_session(files, timeline, write_audio)
    return BuildResult(
        files.audio, files.timeline, files.subtitles, timeline, speech.synthesized, speech.reused
    )
