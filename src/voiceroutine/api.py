"""The Python API the CLI wraps: build(), check() and plan() run the pipeline stages in order."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from voiceroutine.access import NO_ALLOWANCES, Allowances
from voiceroutine.compile import compile_routine
from voiceroutine.errors import Place, SourceWarning, VoiceroutineError
from voiceroutine.library.catalogue import Catalogue, load_catalogue
from voiceroutine.library.phrasebook import load_phrasebook
from voiceroutine.loader import load_routine
from voiceroutine.names import DEFAULT_OUT_DIR
from voiceroutine.plan import Plan
from voiceroutine.progress import Progress, stage_progress
from voiceroutine.routine import ExerciseDefinition, Routine
from voiceroutine.timeline import Timeline, clip_ms_from_samples, schedule
from voiceroutine.tts.base import Engine, VoiceInfo, VoiceSettings
from voiceroutine.tts.estimate import estimate_clip_ms, estimate_sound_ms
from voiceroutine.tts.presets import effective_rate
from voiceroutine.tts.registry import EngineSpec, engine_names, unknown_engine

if TYPE_CHECKING:
    import numpy as np

    from voiceroutine.audio.loudness import LoudnessPlan
    from voiceroutine.audio.session_file import AudioChoices
    from voiceroutine.audio.tags import SessionTags
    from voiceroutine.batch import Outcome
    from voiceroutine.plan import Sound
    from voiceroutine.tts.speak import SpeakingProcesses, SpeechClips

SAMPLE_RATE = 44_100


@dataclass(frozen=True)
class VoiceOverrides:
    """Voice choices from the command line; each wins over the routine's own."""

    engine: str | None = None
    name: str | None = None
    rate: int | None = None


@dataclass(frozen=True)
class BuildOptions:
    """How to build; None means the routine's own `audio:` setting, else the default."""

    out_dir: Path = DEFAULT_OUT_DIR
    audio_format: str | None = None
    voice: VoiceOverrides = field(default_factory=VoiceOverrides)
    cache_dir: Path | None = None
    loudness: float | None = None
    bitrate: int | None = None
    sample_rate: int | None = None
    force: bool = False
    """Build even when the output is up to date."""
    jobs: int = 1
    """Cores to use: worker processes speaking new lines (when the engine is built by name)
    and parts of a long MP3 encoded at once."""
    allowances: Allowances = NO_ALLOWANCES
    """Folders besides the routine's own that its files may be in; the longest session."""
    share_malloc_arena: bool = False
    """Have every thread of this process allocate from one glibc arena once a build starts
    (threads.py). The command line sets it; a program using the API keeps its own."""


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote; `timeline` is None when the output was already up to date."""

    audio: Path
    timeline_file: Path
    subtitles: Path
    timeline: Timeline | None
    synthesized: int
    reused: int
    loudness: LoudnessPlan | None = None
    chapters_file: Path | None = None
    build_id: str = ""
    source_warnings: tuple[SourceWarning, ...] = ()
    """YAML in the routine that is valid but probably not what was meant."""

    @property
    def up_to_date(self) -> bool:
        return self.timeline is None


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


def compile_file(
    path: Path, overrides: VoiceOverrides | None = None, allowances: Allowances = NO_ALLOWANCES
) -> Compiled:
    """Load, validate and compile a routine file (no audio, no engine).

    Files the routine names must lie in its folder or one the user allows
    (`allowances`, the config file), and it may last no longer than allowed.
    """
    overrides = overrides or VoiceOverrides()
    source_warnings: list[SourceWarning] = []
    routine = load_routine(path, allowances, source_warnings)
    max_ms = allowances.session_limit_ms()
    engine_name = overrides.engine or routine.voice.engine
    if engine_name not in engine_names():
        raise VoiceroutineError(unknown_engine(engine_name), Place(path))
    phrases = load_phrasebook(routine.voice.language)
    # A voice or speaker the routine names belongs to the routine's own engine.
    same_engine = engine_name == routine.voice.engine
    voice = VoiceSettings(
        name=overrides.name or (routine.voice.name if same_engine else None),
        rate=overrides.rate or routine.voice.rate,
        language=routine.voice.language,
        preferred=phrases.voice or None,
        speaker=routine.voice.speaker if same_engine else None,
        preset=routine.voice.preset,
    )
    with _in_file(path):
        # The intro says how long the session is: measure a first draft with estimated speech.
        # The routine's size was checked as it was loaded, against the same limit.
        draft = compile_routine(routine, phrases, max_ms=max_ms, checked=True)
        estimate = _schedule_estimated(draft, effective_rate(voice), engine_name).duration_ms
        minutes = announced_minutes(estimate)
        plan = compile_routine(routine, phrases, minutes, max_ms, checked=True)
    return Compiled(
        path, routine, plan, EngineSpec(engine_name), voice, minutes, max_ms,
        tuple(source_warnings),
    )  # fmt: skip


@contextmanager
def _in_file(path: Path) -> Iterator[None]:
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


Warn = Callable[[SourceWarning], None]
"""Told of each thing in a routine that is valid but probably not what was meant."""


def _ignore(_warning: SourceWarning) -> None:
    pass


def check(
    path: Path,
    overrides: VoiceOverrides | None = None,
    allowances: Allowances = NO_ALLOWANCES,
    warn: Warn = _ignore,
) -> Timeline:
    """Validate a routine and estimate its timeline; raises VoiceroutineError when invalid.

    Everything a build would refuse before speaking is refused here too: the
    engine is made and asked for the routine's voice.
    """
    compiled = compile_file(path, overrides, allowances)
    for warning in compiled.source_warnings:
        warn(warning)
    speaking_engine(compiled, overrides)
    check_media(compiled)
    return estimated_timeline(compiled)


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


def plan(
    path: Path,
    overrides: VoiceOverrides | None = None,
    speak: bool = False,
    allowances: Allowances = NO_ALLOWANCES,
    warn: Warn = _ignore,
) -> Timeline:
    """The routine's timeline: estimated speech lengths, or with `speak` the engine's real ones."""
    compiled = compile_file(path, overrides, allowances)
    for warning in compiled.source_warnings:
        warn(warning)
    engine = speaking_engine(compiled, overrides)
    if not speak:
        return estimated_timeline(compiled)
    with _in_file(path):
        return spoken_timeline(compiled, engine)[0]


def spoken_timeline(
    compiled: Compiled,
    engine: Engine,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
    sample_rate: int = SAMPLE_RATE,
    processes: SpeakingProcesses | None = None,
) -> tuple[Timeline, SpeechClips, dict[Sound, np.ndarray]]:
    """Synthesize every line (through the cache) and schedule with the real clip lengths.

    New lines are spoken by `engine`, or with `processes` in worker processes.
    """
    from voiceroutine.audio.sources import render_sounds
    from voiceroutine.tts.cache import ClipCache, default_cache_dir
    from voiceroutine.tts.speak import speak_all

    cache = ClipCache(cache_dir or default_cache_dir())
    speech = speak_all(
        compiled.plan.texts(), engine, compiled.voice, cache, sample_rate, progress, processes
    )
    sounds = render_sounds(compiled.plan.sounds(), sample_rate)

    def scheduled(plan: Plan) -> Timeline:
        return schedule(
            plan,
            lambda text: clip_ms_from_samples(speech.length_samples(text), sample_rate),
            sample_rate,
            lambda sound: clip_ms_from_samples(len(sounds[sound]), sample_rate),
        )

    timeline = scheduled(compiled.plan)
    # The introduction announced the estimated length; with the real one known, it says that
    # (only its own line is new, and a line's length hardly moves the rounded minutes).
    minutes = announced_minutes(timeline.duration_ms)
    if compiled.minutes and minutes != compiled.minutes:
        phrases = load_phrasebook(compiled.routine.voice.language)
        plan = compile_routine(compiled.routine, phrases, minutes, compiled.max_ms, checked=True)
        texts = set(plan.texts())
        missing = [text for text in dict.fromkeys(plan.texts()) if text not in speech.clips]
        extra = speak_all(missing, engine, compiled.voice, cache, sample_rate)
        clips = {text: clip for text, clip in speech.clips.items() if text in texts}
        speech = replace(
            speech,
            clips={**clips, **extra.clips},
            synthesized=speech.synthesized + extra.synthesized,
            reused=speech.reused + extra.reused,
        )
        timeline = scheduled(plan)
    return timeline, speech, sounds


def announced_minutes(duration_ms: int) -> int:
    """A session's length as the introduction says it: whole minutes, at least one."""
    return max(1, round(duration_ms / 60_000))


def audio_choices(options: BuildOptions, routine: Routine) -> AudioChoices:
    """Resolve format, sample rate, bitrate and loudness target; raise on impossible ones."""
    from voiceroutine.audio.formats import FORMATS
    from voiceroutine.audio.session_file import AudioChoices

    audio = routine.audio
    name = options.audio_format or audio.format or "mp3"
    if name not in FORMATS:
        raise VoiceroutineError(
            f"unknown audio format '{name}'; choose one of: {', '.join(FORMATS)}"
        )
    audio_format = FORMATS[name]
    rate = options.sample_rate or audio.sample_rate or audio_format.default_rate
    if rate not in audio_format.sample_rates:
        rates = ", ".join(str(r) for r in audio_format.sample_rates)
        raise VoiceroutineError(f"{name} cannot be {rate} Hz; choose one of: {rates}")
    loudness = options.loudness if options.loudness is not None else audio.loudness
    return AudioChoices(audio_format, rate, options.bitrate or audio.bitrate, loudness)


def build(
    path: Path,
    options: BuildOptions | None = None,
    engine: Engine | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Build the session audio for the routine at `path`, with its timeline and subtitles."""
    from voiceroutine.audio.tags import read_build_id
    from voiceroutine.export import session_files
    from voiceroutine.tts.speak import SpeakingProcesses

    options = options or BuildOptions()
    compiled = compile_file(path, options.voice, options.allowances)
    # An engine made here from its spec can be made again in worker processes; one the
    # caller passed in cannot be sent there, so it speaks every line in this process.
    processes = SpeakingProcesses(compiled.engine, options.jobs) if engine is None else None
    engine = speaking_engine(compiled, options.voice, engine)
    with _in_file(path):
        choices = audio_choices(options, compiled.routine)
        fingerprint = build_fingerprint(compiled, choices, engine)
        files = session_files(options.out_dir, path.stem, choices.audio_format.extension)
        if (
            not options.force
            and all(file.exists() for file in files.all())
            and read_build_id(files.audio) == fingerprint
        ):
            return BuildResult(
                files.audio, files.timeline, files.subtitles, None, 0, 0,
                chapters_file=files.chapters, build_id=fingerprint,
                source_warnings=compiled.source_warnings,
            )  # fmt: skip
        if options.share_malloc_arena:
            from voiceroutine.threads import share_one_malloc_arena

            share_one_malloc_arena()
        return _build(compiled, options, choices, engine, progress, fingerprint, processes)


def build_fingerprint(compiled: Compiled, choices: AudioChoices, engine: Engine) -> str:
    """The build id of `compiled` with these settings (see fingerprint.py)."""
    from voiceroutine.fingerprint import build_id

    routine = compiled.routine
    files = compiled.plan.sound_files()
    if routine.cover:
        files.append(Path(routine.cover))
    music = music_file(routine)
    if music is not None:
        files.append(music)
    settings = {
        "format": choices.audio_format.name,
        "sample_rate": choices.sample_rate,
        "bitrate": choices.bitrate,
        "loudness": choices.loudness,
    }
    return build_id(
        compiled.source.read_bytes(),
        compiled.plan,
        engine.identity(compiled.voice),
        settings,
        files,
    )


def _build(
    compiled: Compiled,
    options: BuildOptions,
    choices: AudioChoices,
    engine: Engine,
    progress: Progress | None,
    fingerprint: str,
    processes: SpeakingProcesses | None,
) -> BuildResult:
    """Speak, schedule, master and encode the session, then write its files together."""
    from voiceroutine.audio.master import master
    from voiceroutine.audio.session_file import encode_session
    from voiceroutine.audio.sources import music_bed
    from voiceroutine.audio.tags import write_tags
    from voiceroutine.export import session_files, write_session

    audio = compiled.routine.audio
    with media_at_routine(compiled):
        timeline, speech, sounds = spoken_timeline(
            compiled, engine, options.cache_dir, progress, choices.sample_rate, processes
        )
        bed = music_bed(audio.music, timeline, audio.music_level, audio.duck)
    headroom = choices.audio_format.peak_headroom_db
    mastered = master(timeline, speech.clips, sounds, bed, choices.loudness, headroom)
    tags = replace(session_tags(compiled), build_id=fingerprint)
    encoding = stage_progress(progress, "Encoding")

    files = session_files(options.out_dir, compiled.source.stem, choices.audio_format.extension)

    def write_audio(destination: Path) -> LoudnessPlan:
        loudness = encode_session(
            destination, mastered, choices, timeline.chapters, files.audio.name, options.jobs,
            encoding,
        )  # fmt: skip
        write_tags(destination, choices.audio_format.name, tags, timeline.chapters)
        return loudness

    loudness = write_session(files, timeline, write_audio)
    return BuildResult(
        files.audio, files.timeline, files.subtitles, timeline, speech.synthesized,
        speech.reused, loudness, files.chapters, fingerprint, compiled.source_warnings,
    )  # fmt: skip


def session_tags(compiled: Compiled) -> SessionTags:
    """The file's tags: title, author, the routine's description and its own YAML."""
    import datetime

    from voiceroutine.audio.tags import SessionTags

    routine = compiled.routine
    cover = Path(routine.cover).read_bytes() if routine.cover else None
    library = compiled.source.parent / routine.library if routine.library else None
    return SessionTags(
        title=routine.title,
        artist=routine.author or "voiceroutine",
        album=routine.title,
        genre="Health & Fitness",
        year=str(datetime.date.today().year),
        comment=routine.description,
        routine_source=compiled.source.read_bytes().decode("utf-8"),  # exactly as written
        build_id=None,
        cover=cover,
        library_source=library.read_bytes().decode("utf-8") if library else None,
    )


@dataclass(frozen=True)
class Extracted:
    """The routine a built file carries and, if it names one, its `library:` file."""

    routine: str
    library_name: str | None = None
    """The routine's `library:` value, as written (a path from the routine's folder)."""
    library: str | None = None


def extract(audio: Path) -> Extracted:
    """The routine YAML a build embedded in `audio`, with its library file if it has one."""
    import yaml

    from voiceroutine.audio.tags import read_library_source, read_routine_source

    source = read_routine_source(audio)
    library = read_library_source(audio)
    if library is None:
        return Extracted(source)
    name = yaml.safe_load(source).get("library")
    return Extracted(source, name if isinstance(name, str) else None, library)


def write_extracted(extracted: Extracted, path: Path) -> list[Path]:
    """Write the routine to the new file `path` and its library where the routine names it,
    relative to `path` (an absolute name: beside it); neither may exist. The files written."""
    from voiceroutine.starter import write_new_file as write

    files = [path]
    if extracted.library is not None and extracted.library_name is not None:
        name = Path(extracted.library_name)
        library = path.parent / (name.name if name.is_absolute() else name)
        files.append(library)
        for file in files:
            if file.exists():
                raise VoiceroutineError("already exists; choose another name", Place(file))
        library.parent.mkdir(parents=True, exist_ok=True)
        write(library, extracted.library)
    try:
        write(path, extracted.routine)
    except VoiceroutineError:
        for written in files[1:]:
            written.unlink()  # the pair is written whole or not at all
        raise
    return files


def catalogue(language: str = "en") -> Catalogue:
    """The built-in exercises and breathing patterns, spoken text in `language`."""
    from voiceroutine.languages import bundled_language, unknown_language

    if bundled_language(language) is None:
        raise VoiceroutineError(unknown_language(language))
    return load_catalogue(language)


def exercise(exercise_id: str, language: str = "en") -> ExerciseDefinition:
    """One catalogue exercise, its text in `language`; an unknown id suggests a close one."""
    from voiceroutine.suggest import did_you_mean

    exercises = catalogue(language).exercises
    if exercise_id not in exercises:
        raise VoiceroutineError(
            f"unknown exercise '{exercise_id}'{did_you_mean(exercise_id, exercises)}"
        )
    return exercises[exercise_id]


def exercise_step_yaml(entry: BaseModel) -> str:
    """A catalogue exercise as a step to paste under `steps:`, in the routine format's own
    spelling of durations: its id and the catalogue's source notes are left out."""
    import yaml

    data = entry.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    data.pop("sources", None)
    exercise_id = data.pop("id", None)
    first = ("name", "position", "targets", "setup", "instructions", "caution", "cues")
    ordered = {key: data[key] for key in first if key in data}
    ordered.update((key, value) for key, value in data.items() if key not in ordered)
    step = yaml.safe_dump(
        [{"exercise": ordered}], sort_keys=False, allow_unicode=True, width=100, indent=2
    )
    return (
        f"# '{exercise_id}' written out, to paste under steps: and change; "
        f"'- exercise: {exercise_id}' says the same.\n{step}"
    )


def write_new_file(path: Path, text: str) -> None:
    """Write `text` to a file that must not exist yet."""
    from voiceroutine.starter import write_new_file as write

    write(path, text)


def new_routine(path: Path, source: str | None = None) -> None:
    """Create a routine file from the starter or a bundled example; never overwrites."""
    from voiceroutine.starter import write_new_routine

    write_new_routine(path, source)


def routine_schema() -> dict[str, Any]:
    """The JSON Schema of the routine format."""
    from voiceroutine.schema import routine_schema as schema

    return schema()


def build_many(
    paths: Sequence[Path],
    options: BuildOptions,
    jobs: int,
    on_done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Build several routines, `jobs` at once in worker processes; outcomes in `paths`' order.

    A routine that fails does not stop the others: its outcome carries the message.
    """
    from voiceroutine.batch import build_all

    return build_all(build, paths, options, jobs, on_done)


def default_jobs() -> int:
    """Routines (or, for one routine, speaking processes) at once: one per usable core."""
    from voiceroutine.threads import usable_cores

    return usable_cores()


def share_zip(routine: Path, result: BuildResult, allowances: Allowances = NO_ALLOWANCES) -> Path:
    """Pack a built routine, with every file it names, into `<stem>.zip` beside its audio."""
    from voiceroutine.share.bundle import share_zip as pack

    return pack(routine, result, allowances)


def routine_files(inputs: Sequence[Path]) -> list[Path]:
    """The routine files named: files as given, and the routines (YAML with steps) in folders."""
    from voiceroutine.share.publish import routine_files as found

    return found(inputs)


def publish(
    routines: Sequence[Path],
    site: Path,
    options: BuildOptions,
    jobs: int = 1,
    on_built: Callable[[Outcome], None] | None = None,
    base_url: str | None = None,
    title: str | None = None,
) -> tuple[list[Outcome], list[str]]:
    """Build what is out of date and write a static site with a podcast feed into `site`.

    Returns the outcomes and the routines published there before that the new
    site no longer has. If any routine fails, the site is left as it was.
    """
    from voiceroutine.share.publish import publish as write_site
    from voiceroutine.share.site import SiteSettings

    settings = SiteSettings(base_url=base_url)
    if title:
        settings = replace(settings, title=title)
    return write_site(
        routines, site, settings, options, lambda paths: build_many(paths, options, jobs, on_built)
    )


@dataclass(frozen=True)
class EngineVoices:
    """What one speech engine offers, or why it offers nothing here."""

    engine: str
    voices: tuple[VoiceInfo, ...] = ()
    unavailable: str | None = None
    """Why the engine could not be started, when it could not."""


def voices(engine: str | None = None, language: str | None = None) -> list[EngineVoices]:
    """The voices of `engine` (default: every installed engine), only those for `language`.

    A named engine that cannot start raises its error; when every engine is
    asked, one that cannot start says why in `unavailable`.
    """
    from voiceroutine.languages import normalized_tag, primary_language
    from voiceroutine.tts.registry import create_engine

    wanted = normalized_tag(language) if language else None

    def speaks(voice: VoiceInfo) -> bool:
        return wanted is None or any(
            tag == wanted or primary_language(tag) == wanted for tag in voice.languages
        )

    def offered(name: str) -> EngineVoices:
        found = create_engine(name).voices()
        return EngineVoices(name, tuple(voice for voice in found if speaks(voice)))

    if engine is not None:
        return [offered(engine)]
    every = []
    for name in engine_names():
        try:
            every.append(offered(name))
        except VoiceroutineError as error:
            every.append(EngineVoices(name, unavailable=f"{name}: not available: {error}"))
    return every
