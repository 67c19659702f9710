"""The Python API the command line uses, and nothing else: each function composes the stages.

`build` builds one routine (build.py), `build_many` several in worker
processes (batch.py); `check` and `plan` compile a routine and estimate or
speak its timeline (compiled.py); the rest publishes, packs, extracts and
lists what there is to build with.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from voiceroutine.access import NO_ALLOWANCES, Allowances
from voiceroutine.build import BuildOptions, BuildResult, build, spoken_timeline
from voiceroutine.compiled import (
    SAMPLE_RATE,
    Compiled,
    VoiceOverrides,
    check_media,
    compile_file,
    compile_loaded,
    estimated_timeline,
    placed_in_file,
    speaking_engine,
    speaking_voice,
)
from voiceroutine.errors import Place, SourceWarning, VoiceroutineError
from voiceroutine.library.catalogue import Catalogue, load_catalogue
from voiceroutine.names import DEFAULT_OUT_DIR
from voiceroutine.progress import Progress
from voiceroutine.routine import ExerciseDefinition
from voiceroutine.timeline import SpeakingVoice, Timeline
from voiceroutine.tts.listing import EngineVoices, ListedVoice, by_language, engine_voices

if TYPE_CHECKING:
    import datetime

    from voiceroutine.batch import Outcome
    from voiceroutine.build import WrittenRoutine
    from voiceroutine.personal.each import EachResult, PersonOutcome
    from voiceroutine.program.build import ProgramResult
    from voiceroutine.tts.piper_voices import VoiceDetails

__all__ = [
    "DEFAULT_OUT_DIR",
    "SAMPLE_RATE",
    "BuildOptions",
    "BuildResult",
    "Compiled",
    "EngineVoices",
    "Extracted",
    "ListedVoice",
    "Progress",
    "SpeakingVoice",
    "VoiceOverrides",
    "Warn",
    "add_voice",
    "build",
    "build_many",
    "build_program",
    "catalogue",
    "check",
    "compile_file",
    "default_jobs",
    "estimated_timeline",
    "exercise",
    "exercise_step_yaml",
    "extract",
    "new_routine",
    "plan",
    "plan_day",
    "publish",
    "publish_program",
    "remove_voice",
    "routine_files",
    "routine_schema",
    "share_zip",
    "spoken_timeline",
    "voices",
    "voices_by_language",
    "write_extracted",
    "write_new_file",
]


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


def is_program(path: Path) -> bool:
    """Whether the YAML file at `path` is a program (it has a `program:` block).

    A file that cannot be read or parsed is not one: checking it as a routine
    reports what is wrong with it. Only a file with a `program:` line is parsed
    here: a routine is parsed once, by its own check or build.
    """
    import re

    from voiceroutine.program.course import is_program as has_program_block
    from voiceroutine.yamlsource import parse_source, read_source

    try:
        text = read_source(path)
        if not re.search(r"^program\s*:", text, re.MULTILINE):
            return False
        return has_program_block(parse_source(text, path, "routine"))
    except VoiceroutineError:
        return False


@dataclass(frozen=True)
class CheckedDay:
    """One scheduled day of a course: its estimated length and what changed in it."""

    week: int
    weekday: str
    session: str
    duration_ms: int
    changes: tuple[str, ...]


@dataclass(frozen=True)
class CheckedCourse:
    """A program checked: every day, and how many distinct sessions it needs built."""

    title: str
    weeks: int
    easy_weeks: tuple[int, ...]
    weekdays: tuple[str, ...]
    days: tuple[CheckedDay, ...]
    distinct_sessions: int


def check_program(
    path: Path,
    overrides: VoiceOverrides | None = None,
    allowances: Allowances = NO_ALLOWANCES,
    warn: Warn = _ignore,
) -> CheckedCourse:
    """Validate a program and estimate every day's session; raises VoiceroutineError at the
    problem's place. Like `check`, the engine is asked for each session's voice."""
    from voiceroutine.names import WEEKDAYS
    from voiceroutine.program.changes import changes
    from voiceroutine.program.course import load_course

    warnings: list[SourceWarning] = []
    course = load_course(path, allowances, warnings)
    for warning in warnings:
        warn(warning)
    plans: set[str] = set()
    checked: list[CheckedDay] = []
    voices_asked: set[tuple[str, str]] = set()
    # A session plays alike on every day of a week: each is compiled and estimated once.
    weeks: dict[tuple[str, int], tuple[int, tuple[str, ...]]] = {}
    for day in course.days:
        key = (day.session, day.week)
        if key not in weeks:
            routine = course.routine(day.session, day.week)
            compiled = compile_loaded(path, routine, overrides, allowances)
            voice = (compiled.engine.name, repr(compiled.voice))
            if voice not in voices_asked:
                voices_asked.add(voice)
                speaking_engine(compiled, overrides)
                check_media(compiled)
            plans.add(repr(compiled.plan))
            length = estimated_timeline(compiled).duration_ms
            weeks[key] = (length, tuple(changes(course, day.session, day.week)))
        length, said = weeks[key]
        checked.append(CheckedDay(day.week, day.weekday, day.session, length, said))
    weekdays = tuple(day for day in WEEKDAYS if day in course.plan.schedule)
    plan = course.plan
    return CheckedCourse(
        course.title, plan.weeks, plan.easy_weeks, weekdays, tuple(checked), len(plans)
    )


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
        return replace(estimated_timeline(compiled), voice=speaking_voice(compiled, engine))
    with placed_in_file(path):
        return spoken_timeline(compiled, engine)[0]


@dataclass(frozen=True)
class PlannedDay:
    """One day of a program and its session's timeline."""

    week: int
    weekday: str
    session: str
    timeline: Timeline


def plan_day(
    path: Path,
    week: int = 1,
    weekday: str | None = None,
    overrides: VoiceOverrides | None = None,
    speak: bool = False,
    allowances: Allowances = NO_ALLOWANCES,
    warn: Warn = _ignore,
) -> PlannedDay:
    """The timeline of the session a program plays on `weekday` of `week` (without a
    weekday, the week's first day), estimated or, with `speak`, spoken."""
    from voiceroutine.program.build import session_job
    from voiceroutine.program.course import load_course

    warnings: list[SourceWarning] = []
    course = load_course(path, allowances, warnings)
    for warning in warnings:
        warn(warning)
    with placed_in_file(path):
        day = course.day(week, weekday)
    job = session_job(course, path, day)
    compiled = compile_loaded(path, job.routine, overrides, allowances, written=job.written)
    engine = speaking_engine(compiled, overrides)
    if speak:
        with placed_in_file(path):
            timeline = spoken_timeline(compiled, engine)[0]
    else:
        timeline = replace(estimated_timeline(compiled), voice=speaking_voice(compiled, engine))
    return PlannedDay(day.week, day.weekday, day.session, timeline)


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


def new_routine(path: Path, source: str | None = None, program: bool = False) -> None:
    """Create a routine file (or with `program` a program file) from the starter or a bundled
    example; never overwrites."""
    from voiceroutine.starter import write_new_routine

    write_new_routine(path, source, program)


def routine_schema() -> dict[str, Any]:
    """The JSON Schema of the routine format."""
    from voiceroutine.schema import routine_schema as schema

    return schema()


def build_program(
    path: Path,
    options: BuildOptions,
    jobs: int,
    on_done: Callable[[Outcome[WrittenRoutine]], None] | None = None,
    progress: Progress | None = None,
) -> ProgramResult:
    """Build a program into `options.out_dir/<stem>/`: each distinct session once, `jobs` at
    once, then program.json and program.ics (see docs/programs.md)."""
    from voiceroutine.program.build import build_program as build_course

    return build_course(path, options, jobs, on_done, progress)


def build_each(
    template: Path,
    people: Path,
    options: BuildOptions,
    jobs: int,
    on_done: Callable[[PersonOutcome], None] | None = None,
    progress: Progress | None = None,
    cluster: str | None = None,
    today: datetime.date | None = None,
) -> EachResult:
    """Build the template for each person (row) of the CSV file `people`, into
    `options.out_dir/<stem>/<id>.*` (a program template: each person's course in
    `options.out_dir/<stem>/<id>/`) with `summary.csv` beside them; a row that fails is
    reported in its outcome and the others are built. A course with no start begins on the
    first Monday after `today`.

    With a `cluster` (`local`, or a Dask scheduler's address such as
    `tcp://host:8786`), the sessions are built by its workers, one task each,
    instead of `jobs` processes here; the files are the same.
    """
    from voiceroutine.personal.each import build_each as build_for_each

    if cluster is None:
        return build_for_each(template, people, options, jobs, on_done, progress, today=today)
    from voiceroutine.cluster import DaskRunner, connected

    runner: DaskRunner | None = None
    try:
        with connected(cluster, jobs) as client:
            runner = DaskRunner(client)
            return build_for_each(template, people, options, jobs, on_done, progress, runner, today)
    finally:
        if runner is not None:  # again once the cluster is closed: what its workers left
            runner.remove_partials()


def build_many(
    paths: Sequence[Path],
    options: BuildOptions,
    jobs: int,
    on_done: Callable[[Outcome[Path]], None] | None = None,
) -> list[Outcome[Path]]:
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
    on_built: Callable[[Outcome[Path]], None] | None = None,
    base_url: str | None = None,
    title: str | None = None,
) -> tuple[list[Outcome[Path]], list[str]]:
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


def publish_program(
    path: Path,
    site: Path,
    options: BuildOptions,
    jobs: int = 1,
    on_built: Callable[[Outcome[WrittenRoutine]], None] | None = None,
    progress: Progress | None = None,
    base_url: str | None = None,
    title: str | None = None,
) -> ProgramResult:
    """Build a program (see build_program) and write it as a site of its own into `site`: the
    course page with its tracker, every session, the calendar and a podcast feed."""
    from voiceroutine.program.build import build_program as build_course
    from voiceroutine.share.course_site import write_course_site
    from voiceroutine.share.publish import check_site_folder
    from voiceroutine.share.site import SiteSettings

    check_site_folder(site, [path, options.out_dir])
    built = build_course(path, options, jobs, on_built, progress)
    write_course_site(site, built, SiteSettings(base_url=base_url), title)
    return built


def voices(engine: str | None = None, language: str | None = None) -> list[EngineVoices]:
    """The voices of `engine` (default: every installed engine), only those for `language`."""
    return engine_voices(engine, language)


def voices_by_language(offered: Sequence[EngineVoices]) -> list[ListedVoice]:
    """The voices offered, by language, marking the one each language speaks with by default."""
    return by_language(offered)


def add_voice(model: Path) -> VoiceDetails:
    """Install a downloaded Piper voice (its .onnx.json beside it) once it loads and speaks."""
    from voiceroutine.tts.piper_voices import add_voice as install

    return install(model)


def remove_voice(name: str) -> Path:
    """Remove a voice added with add_voice; the model file it was."""
    from voiceroutine.tts.piper_voices import remove_voice as uninstall

    return uninstall(name).model
