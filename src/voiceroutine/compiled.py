"""A routine file loaded, validated and compiled, with its voice: where check, plan and build start.

Nothing here speaks or makes audio: the engine is only asked for its voice,
and media files are only decoded to check them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from voiceroutine.access import NO_ALLOWANCES, Allowances
from voiceroutine.compile import compile_routine
from voiceroutine.errors import Place, SourceWarning, VoiceroutineError
from voiceroutine.library.phrasebook import load_phrasebook
from voiceroutine.loader import load_routine
from voiceroutine.plan import Plan
from voiceroutine.routine import Routine
from voiceroutine.timeline import SpeakingVoice, Timeline, schedule
from voiceroutine.tts.base import Engine, VoiceSettings
from voiceroutine.tts.choice import choose_engine
from voiceroutine.tts.estimate import estimate_clip_ms, estimate_sound_ms
from voiceroutine.tts.presets import effective_rate
from voiceroutine.tts.pronounce import merged
from voiceroutine.tts.registry import EngineSpec, canonical_engine, engine_names, unknown_engine

SAMPLE_RATE = 44_100


@dataclass(frozen=True)
class VoiceOverrides:
    """Voice choices from the command line; each wins over the routine's own."""

    engine: str | None = None
    name: str | None = None
    rate: int | None = None


@dataclass(frozen=True)
class Compiled:
    """A loaded routine and its plan, with the voice it will be spoken in."""

    source: Path
    routine: Routine
    plan: Plan
    engine: EngineSpec
    voice: VoiceSettings
    minutes: int = 0
    """The length the introduction announces, in whole minutes (estimated)."""
    max_ms: int = 0
    """The longest session allowed."""
    source_warnings: tuple[SourceWarning, ...] = ()
    """YAML in the routine that is valid but probably not what was meant."""
    written: str | None = None
    """The routine's YAML when it is not the whole file at `source`: a program's session
    as it plays in one week, written out."""
    voice_notice: str | None = None
    """Why the routine is not spoken in a natural voice, when it names no engine and none is
    installed for its language (one line of the build's output)."""

    def yaml_text(self) -> str:
        """The routine as YAML: as written in its file, or as a program's session plays."""
        if self.written is not None:
            return self.written
        return self.source.read_bytes().decode("utf-8")


def compile_file(
    path: Path, overrides: VoiceOverrides | None = None, allowances: Allowances = NO_ALLOWANCES
) -> Compiled:
    """Load, validate and compile a routine file (no audio, no engine).

    Files the routine names must lie in its folder or one the user allows
    (`allowances`, the config file), and it may last no longer than allowed.
    """
    source_warnings: list[SourceWarning] = []
    routine = load_routine(path, allowances, source_warnings)
    return compile_loaded(path, routine, overrides, allowances, tuple(source_warnings))


def compile_loaded(
    path: Path,
    routine: Routine,
    overrides: VoiceOverrides | None = None,
    allowances: Allowances = NO_ALLOWANCES,
    source_warnings: tuple[SourceWarning, ...] = (),
    written: str | None = None,
) -> Compiled:
    """Compile a routine already loaded from `path` (a routine file, or a program's session,
    then `written` out as YAML)."""
    overrides = overrides or VoiceOverrides()
    max_ms = allowances.session_limit_ms()
    phrases = load_phrasebook(routine.voice.language)
    written_engine, notice = routine.voice.engine, None
    if written_engine is None:
        choice = choose_engine(routine.voice.language, phrases.name, routine.voice.name)
        written_engine, notice = choice.engine, choice.notice
    engine_name = canonical_engine(overrides.engine or written_engine)
    if engine_name not in engine_names():
        raise VoiceroutineError(unknown_engine(engine_name), Place(path))
    if engine_name != written_engine:
        notice = None  # the command line chose
    # A voice or speaker the routine names belongs to the routine's own engine.
    same_engine = engine_name == written_engine
    voice = VoiceSettings(
        name=overrides.name or (routine.voice.name if same_engine else None),
        rate=overrides.rate or routine.voice.rate,
        language=routine.voice.language,
        preferred=phrases.voice or None,
        speaker=routine.voice.speaker if same_engine else None,
        preset=routine.voice.preset,
        pronounce=merged(allowances.respellings(), routine.pronounce),
    )
    with placed_in_file(path):
        # The intro says how long the session is: measure a first draft with estimated speech.
        # The routine's size was checked as it was loaded, against the same limit.
        draft = compile_routine(routine, phrases, max_ms=max_ms, checked=True)
        estimate = _schedule_estimated(draft, effective_rate(voice), engine_name).duration_ms
        minutes = announced_minutes(estimate)
        plan = compile_routine(routine, phrases, minutes, max_ms, checked=True)
    return Compiled(
        path, routine, plan, EngineSpec(engine_name), voice, minutes, max_ms, source_warnings,
        written, notice,
    )  # fmt: skip


@contextmanager
def placed_in_file(path: Path) -> Iterator[None]:
    """Give errors that name no place the routine file as their place."""
    try:
        yield
    except VoiceroutineError as error:
        if error.place is None:
            raise VoiceroutineError(error.message, Place(path)) from None
        raise


def _schedule_estimated(plan: Plan, rate: int | None, engine: str | None = None) -> Timeline:
    # Scheduling asks for each line's length several times: estimate each line once.
    clip_ms = cache(lambda text: estimate_clip_ms(text, rate, engine))
    return schedule(plan, clip_ms, SAMPLE_RATE, estimate_sound_ms)


SURE_NOT_TO_FIT = 0.8
"""A count or cue is only warned about when even this share of its estimated length would
not fit: the estimate of a single word is off by up to a fifth either way (measured on
eSpeak NG: 'two' 326 ms, 'three' 352 ms, 'five' 491 ms at 150 words per minute)."""


def estimated_timeline(compiled: Compiled) -> Timeline:
    """The timeline with clip lengths guessed from the text: fast, needs no engine.

    Its warnings (a count that will not fit) are those the build will give as
    well: a line is only said not to fit when a shorter reading would not fit either.
    """
    rate, engine = effective_rate(compiled.voice), compiled.engine.name
    timeline = _schedule_estimated(compiled.plan, rate, engine)
    if not timeline.warnings:
        return timeline
    quick = cache(lambda text: round(estimate_clip_ms(text, rate, engine) * SURE_NOT_TO_FIT))
    sure = schedule(compiled.plan, quick, SAMPLE_RATE, estimate_sound_ms).warnings
    return replace(timeline, warnings=sure)


def check_media(compiled: Compiled, sample_rate: int = SAMPLE_RATE) -> None:
    """Decode every sound and music file the routine names, as the build will, and refuse one
    that is not audio, is silent, or is too short to loop, at the routine's line naming it."""
    # The decoders are imported only for a routine that has such files: check stays quick.
    files = compiled.plan.sound_files()
    music = music_file(compiled.routine)
    with media_at_routine(compiled):
        if files:
            from voiceroutine.audio.sounds import load_sound_file

            for file in files:
                load_sound_file(file, sample_rate)
        if music is not None:
            from voiceroutine.audio.loops import file_loop

            file_loop(music, sample_rate)


def music_file(routine: Routine) -> Path | None:
    """The music file under the routine, if its music is one and not a built-in ambience."""
    from voiceroutine.names import AMBIENCES

    music = routine.audio.music
    return Path(music) if music is not None and music not in AMBIENCES else None


@contextmanager
def media_at_routine(compiled: Compiled) -> Iterator[None]:
    """Report a problem with a sound or music file at the routine's line that names it."""
    from voiceroutine.loader import place_of_file_named

    try:
        yield
    except VoiceroutineError as error:
        place = error.place
        if place is None or place.line is not None or place.file == compiled.source:
            raise
        message = f"{place.file.name}: {error.message}"
        raise VoiceroutineError(message, place_of_file_named(compiled.source, place.file)) from None


def speaking_engine(
    compiled: Compiled, overrides: VoiceOverrides | None = None, engine: Engine | None = None
) -> Engine:
    """The engine the routine is spoken with (made by name unless given), asked for its voice.

    A problem with either is reported at the routine's voice (or, for a voice
    the command line asked for, as the command line's): a missing engine, an
    unknown voice name, a voice that does not speak the routine's language.
    """
    from voiceroutine.loader import place_in_routine

    try:
        engine = engine or compiled.engine.create()
        engine.identity(compiled.voice)
    except VoiceroutineError as error:
        if error.place is not None:
            raise
        overrides = overrides or VoiceOverrides()
        if overrides.name or overrides.engine:
            option = "--voice" if overrides.name else "--engine"
            raise VoiceroutineError(f"{option}: {error.message}") from None
        voice = compiled.routine.voice
        key = (
            "name" if voice.name else "engine" if "engine" in voice.model_fields_set else "language"
        )
        place = place_in_routine(compiled.source, "voice", key)
        raise VoiceroutineError(error.message, place) from None
    return engine


def speaking_voice(compiled: Compiled, engine: Engine) -> SpeakingVoice:
    """Who speaks the routine, as its timeline records it."""
    voice_id = getattr(engine, "voice_id", None)  # optional: see tts/base.py
    name = voice_id(compiled.voice) if voice_id else engine.identity(compiled.voice).get("voice")
    return SpeakingVoice(engine.name, str(name or ""), compiled.voice.language)


def announced_minutes(duration_ms: int) -> int:
    """A session's length as the introduction says it: whole minutes, at least one."""
    return max(1, round(duration_ms / 60_000))
