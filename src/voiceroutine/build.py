"""Build one routine's files: speak its lines, schedule them, master, encode, tag, write.

The stages live in tts/, timeline.py and audio/; this module composes them
and decides, from the build id in the existing file, whether to run at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from voiceroutine.access import NO_ALLOWANCES, Allowances
from voiceroutine.compile import compile_routine
from voiceroutine.compiled import (
    SAMPLE_RATE,
    Compiled,
    VoiceOverrides,
    announced_minutes,
    compile_file,
    compile_loaded,
    media_at_routine,
    music_file,
    placed_in_file,
    speaking_engine,
    speaking_voice,
)
from voiceroutine.errors import SourceWarning, VoiceroutineError
from voiceroutine.library.phrasebook import load_phrasebook
from voiceroutine.names import DEFAULT_OUT_DIR
from voiceroutine.plan import Plan
from voiceroutine.progress import Progress, stage_progress
from voiceroutine.routine import Routine
from voiceroutine.timeline import Timeline, clip_ms_from_samples, schedule
from voiceroutine.tts.base import Engine

if TYPE_CHECKING:
    import numpy as np

    from voiceroutine.audio.loudness import LoudnessPlan
    from voiceroutine.audio.session_file import AudioChoices
    from voiceroutine.audio.tags import SessionTags
    from voiceroutine.export import SessionFiles
    from voiceroutine.plan import Sound
    from voiceroutine.tts.speak import SpeakingProcesses, SpeechClips


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
    voice_notice: str | None = None
    """Why the routine is not spoken in a natural voice (Compiled.voice_notice)."""

    @property
    def up_to_date(self) -> bool:
        return self.timeline is None

    def duration_ms(self) -> int:
        """The session's length: from its timeline, read from the file if it was not built now."""
        if self.timeline is not None:
            return self.timeline.duration_ms
        import json

        return int(json.loads(self.timeline_file.read_text(encoding="utf-8"))["duration_ms"])


@dataclass(frozen=True, eq=False)
class WrittenRoutine:
    """A routine made from a file rather than read from it as it stands (a program's session, a
    template filled in for one person): what to build, under which name, written out as YAML."""

    source: Path
    """The file it was made from: the place of its errors, and where its files are found."""
    name: str
    """The stem of its files: `w03-wed-strength`, or a person's id."""
    routine: Routine
    written: str
    """The routine as YAML: what the file's tags carry and its build id is made from."""
    folder: str = ""
    """The folder under the output folder its files go in: a person's course, their id."""

    @property
    def key(self) -> tuple[str, str]:
        """What tells it from every other session of a batch: its folder and name."""
        return self.folder, self.name

    def compiled(self, options: BuildOptions) -> Compiled:
        return compile_loaded(
            self.source, self.routine, options.voice, options.allowances, written=self.written
        )

    def placed(self, options: BuildOptions) -> BuildOptions:
        """`options` with the output folder its files go in."""
        return replace(options, out_dir=options.out_dir / self.folder) if self.folder else options


def build_written(job: WrittenRoutine, options: BuildOptions) -> BuildResult:
    """Build one made routine under its own name (in a worker process, or here)."""
    return build_compiled(job.compiled(options), job.placed(options), name=job.name)


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
    return replace(timeline, voice=speaking_voice(compiled, engine)), speech, sounds


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
    options = options or BuildOptions()
    compiled = compile_file(path, options.voice, options.allowances)
    return build_compiled(compiled, options, engine, progress)


def build_compiled(
    compiled: Compiled,
    options: BuildOptions,
    engine: Engine | None = None,
    progress: Progress | None = None,
    name: str | None = None,
) -> BuildResult:
    """Build a compiled routine into `options.out_dir`, its files named `name` (default: the
    routine file's stem); nothing is done when they are up to date."""
    from voiceroutine.tts.speak import SpeakingProcesses

    path = compiled.source
    # An engine made here from its spec can be made again in worker processes; one the
    # caller passed in cannot be sent there, so it speaks every line in this process.
    processes = SpeakingProcesses(compiled.engine, options.jobs) if engine is None else None
    engine = speaking_engine(compiled, options.voice, engine)
    with placed_in_file(path):
        choices, fingerprint, files = _planned(compiled, options, engine, name)
        if not options.force and _carries(files, fingerprint):
            return _found(compiled, files, fingerprint)
        if options.share_malloc_arena:
            from voiceroutine.threads import share_one_malloc_arena

            share_one_malloc_arena()
        return _build(compiled, options, choices, engine, progress, fingerprint, processes, files)


def existing_build(
    compiled: Compiled, options: BuildOptions, name: str | None = None, engine: Engine | None = None
) -> BuildResult | None:
    """What `build_compiled` would return without building, when the files are there and
    built from the same (and not `options.force`); else None."""
    engine = speaking_engine(compiled, options.voice, engine)
    with placed_in_file(compiled.source):
        _, fingerprint, files = _planned(compiled, options, engine, name)
        if options.force or not _carries(files, fingerprint):
            return None
        return _found(compiled, files, fingerprint)


def _planned(
    compiled: Compiled, options: BuildOptions, engine: Engine, name: str | None
) -> tuple[AudioChoices, str, SessionFiles]:
    """The audio settings, the build id and the files of a build."""
    from voiceroutine.export import session_files

    choices = audio_choices(options, compiled.routine)
    extension = choices.audio_format.extension
    files = session_files(options.out_dir, name or compiled.source.stem, extension)
    return choices, build_fingerprint(compiled, choices, engine), files


def _found(compiled: Compiled, files: SessionFiles, fingerprint: str) -> BuildResult:
    """The result of a build whose files are already up to date."""
    return BuildResult(
        files.audio, files.timeline, files.subtitles, None, 0, 0,
        chapters_file=files.chapters, build_id=fingerprint,
        source_warnings=compiled.source_warnings, voice_notice=compiled.voice_notice,
    )  # fmt: skip


def _carries(files: SessionFiles, fingerprint: str) -> bool:
    """Whether every file of the set is there and the audio carries this build id."""
    from voiceroutine.audio.tags import read_build_id

    return all(file.exists() for file in files.all()) and read_build_id(files.audio) == fingerprint


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
    if compiled.voice.pronounce:  # the config's respellings are not in the routine's YAML
        settings["pronounce"] = compiled.voice.pronounce
    return build_id(
        compiled.yaml_text().encode("utf-8"),
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
    files: SessionFiles,
) -> BuildResult:
    """Speak, schedule, master and encode the session, then write its files together."""
    from voiceroutine.audio.master import master
    from voiceroutine.audio.session_file import encode_session
    from voiceroutine.audio.sources import music_bed
    from voiceroutine.audio.tags import write_tags
    from voiceroutine.export import write_session

    audio = compiled.routine.audio
    with media_at_routine(compiled):
        timeline, speech, sounds = spoken_timeline(
            compiled, engine, options.cache_dir, progress, choices.sample_rate, processes
        )
        bed = music_bed(audio.music, timeline, audio.music_level, audio.duck)
    headroom = choices.audio_format.peak_headroom_db
    mastered = master(timeline, speech.clips, sounds, bed, choices.loudness, headroom)
    tags = replace(session_tags(compiled), build_id=fingerprint, voice=str(timeline.voice))
    encoding = stage_progress(progress, "Encoding")

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
        compiled.voice_notice,
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
        routine_source=compiled.yaml_text(),  # exactly as written
        build_id=None,
        cover=cover,
        library_source=library.read_bytes().decode("utf-8") if library else None,
    )
