"""Build a program: each distinct session of the course once, then its index and calendar.

Days whose sessions come out identical (the same session in the same week)
share one file, named after the first day it plays. Every line the course
says is spoken once, on every core, before the sessions are built from the
clip cache in worker processes; a session whose files are up to date is not
built again.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from voiceroutine.audio.formats import FORMATS
from voiceroutine.batch import Outcome, build_all, counted_sessions
from voiceroutine.build import (
    BuildOptions,
    WrittenRoutine,
    build_written,
    existing_build,
)
from voiceroutine.errors import SourceWarning, VoiceroutineError
from voiceroutine.names import WEEKDAYS
from voiceroutine.prespeak import Engines, speak_every_line
from voiceroutine.program.course import Course, Day, load_course
from voiceroutine.program.index import IndexedDay, program_index

if TYPE_CHECKING:
    from voiceroutine.progress import Progress

INDEX_NAME = "program.json"
CALENDAR_NAME = "program.ics"
OVERVIEW_NAME = "program.html"
FORMAT_EXTENSIONS = sorted({audio_format.extension for audio_format in FORMATS.values()})
SESSION_FILE = re.compile(
    rf"w\d{{2}}-({'|'.join(WEEKDAYS)})-[a-z0-9][a-z0-9-]*\.({'|'.join(FORMAT_EXTENSIONS)})"
)
"""The name of a session's audio file: `w03-wed-strength.mp3`."""


@dataclass(frozen=True)
class ProgramResult:
    """What a program's build wrote: its folder, index and calendar, and each session's outcome."""

    course: Course
    folder: Path
    index: Path
    calendar: Path
    overview: Path
    calendar_start: datetime.date
    days: tuple[IndexedDay, ...]
    sessions: tuple[Outcome[WrittenRoutine], ...]
    spoken: int
    """Lines spoken anew for the whole course (the others came from the clip cache)."""
    source_warnings: tuple[SourceWarning, ...] = ()
    left_over: tuple[Path, ...] = ()
    """Session audio in the folder from an earlier build that the course no longer plays
    (left where it is: only the user removes files)."""


def build_program(
    path: Path,
    options: BuildOptions,
    jobs: int,
    on_done: Callable[[Outcome[WrittenRoutine]], None] | None = None,
    progress: Progress | None = None,
    today: datetime.date | None = None,
) -> ProgramResult:
    """Build the program at `path` into `options.out_dir/<stem>/`; `jobs` sessions at once.

    Raises VoiceroutineError when the program is invalid, or, listing every
    session that failed, when any did: the index and calendar are then not
    written, and the sessions that were built stay.
    """
    warnings: list[SourceWarning] = []
    course = load_course(path, options.allowances, warnings)
    folder = options.out_dir / path.stem
    session_options = replace(options, out_dir=folder, jobs=1)
    days, distinct = course_sessions(course, path)
    engines = Engines(session_options)
    compiled = {job: job.compiled(session_options) for job in distinct}
    found = {
        job: existing_build(compiled[job], session_options, job.name, engines.of(compiled[job]))
        for job in distinct
    }
    # The longest first: the cores then finish together, not one alone on the last long one.
    stale = sorted(
        (job for job in distinct if found[job] is None),
        key=lambda job: compiled[job].minutes,
        reverse=True,
    )
    spoken = speak_every_line([compiled[job] for job in stale], engines, jobs, progress)
    ended = counted_sessions(len(distinct), on_done, progress)
    outcomes: dict[WrittenRoutine, Outcome[WrittenRoutine]] = {}
    for job in distinct:  # the sessions up to date, as they stand
        result = found[job]
        if result is not None:
            outcomes[job] = Outcome(job, result, None)
            ended(outcomes[job])
    built = build_all(build_written, stale, session_options, jobs, ended)
    outcomes.update(zip(stale, built, strict=True))
    work = CourseWork(course, folder, path.stem, days)
    return finished_course(work, list(outcomes.values()), spoken, warnings, today)


@dataclass(frozen=True)
class CourseWork:
    """A course to build into `folder`: each day with the session it plays."""

    course: Course
    folder: Path
    stem: str
    """What the calendar's event ids are made from: the program file's stem."""
    days: list[tuple[Day, WrittenRoutine]]


def finished_course(
    work: CourseWork,
    outcomes: list[Outcome[WrittenRoutine]],
    spoken: int,
    warnings: list[SourceWarning],
    today: datetime.date | None = None,
) -> ProgramResult:
    """Write the index, calendar and overview of a course whose sessions were all built (or
    found up to date), `outcomes` one per distinct session; raise VoiceroutineError, listing
    every session that failed, when any did."""
    from voiceroutine.program.calendar import first_monday_after

    course, folder = work.course, work.folder
    failed = [VoiceroutineError(outcome.error) for outcome in outcomes if outcome.error]
    if failed:
        raise VoiceroutineError(failed[0].message, also=tuple(failed[1:]))
    results = {outcome.job.key: outcome.result for outcome in outcomes if outcome.result}
    indexed = [
        IndexedDay(day, results[job.key].audio.name, results[job.key].duration_ms())
        for day, job in work.days
    ]
    start = course.plan.start or first_monday_after(today or datetime.date.today())
    index, calendar, overview = _write_index(course, indexed, folder, start, work.stem)
    played = {result.audio for result in results.values()}
    left_over = tuple(
        file
        for file in sorted(folder.iterdir())
        if SESSION_FILE.fullmatch(file.name) and file not in played
    )
    return ProgramResult(
        course, folder, index, calendar, overview, start, tuple(indexed),
        tuple(outcomes), spoken, tuple(warnings), left_over,
    )  # fmt: skip


def course_sessions(
    course: Course, path: Path, folder: str = ""
) -> tuple[list[tuple[Day, WrittenRoutine]], list[WrittenRoutine]]:
    """Each day with the session job it plays, and the distinct jobs in order of first use;
    the jobs' files go in `folder` under the output folder."""
    by_week: dict[tuple[str, int], WrittenRoutine] = {}
    by_text: dict[str, WrittenRoutine] = {}
    days = []
    for day in course.days:
        key = (day.session, day.week)
        if key not in by_week:
            job = replace(session_job(course, path, day), folder=folder)
            by_week[key] = by_text.setdefault(job.written, job)
        days.append((day, by_week[key]))
    return days, list(by_text.values())


def session_job(course: Course, path: Path, day: Day) -> WrittenRoutine:
    """The session `day` plays, as a routine written out, to build under the day's name."""
    routine = course.routine(day.session, day.week)
    name = f"w{day.week:02d}-{day.weekday}-{day.session}"
    return WrittenRoutine(path, name, routine, routine.as_yaml())


def _write_index(
    course: Course, days: list[IndexedDay], folder: Path, start: datetime.date, stem: str
) -> tuple[Path, Path, Path]:
    """Write program.json, program.ics and program.html beside the sessions, together or not
    at all."""
    from voiceroutine.export import write_together
    from voiceroutine.program.calendar import program_calendar
    from voiceroutine.program.overview import overview_html

    index, calendar, overview = folder / INDEX_NAME, folder / CALENDAR_NAME, folder / OVERVIEW_NAME
    text = json.dumps(program_index(course, days), indent=2, ensure_ascii=False) + "\n"
    write_together(
        {
            index: text.encode("utf-8"),
            calendar: program_calendar(course, days, start, stem),
            overview: overview_html(course, days).encode("utf-8"),
        }
    )
    return index, calendar, overview
