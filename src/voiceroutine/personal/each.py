"""Build a template once for each person of a CSV file, with a summary of how each ended.

A routine template gives each person DIR/<stem>/<id>.*; a program template
gives each their course in DIR/<stem>/<id>/, with its index, calendar and
overview. Each row is filled into the template and validated as a routine or
program of its own; a row whose values do not make a valid one is reported
at its cell of the CSV and skipped, and the others are built. Every line any
of them says is spoken once into the clip cache first (most are shared), then
the sessions of everyone are built from it, several at once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from voiceroutine.batch import Outcome, counted_sessions
from voiceroutine.build import (
    BuildOptions,
    BuildResult,
    WrittenRoutine,
    existing_build,
)
from voiceroutine.compiled import Compiled
from voiceroutine.errors import Place, SourceWarning, VoiceroutineError
from voiceroutine.loader import validate_routine
from voiceroutine.personal.people import People, Person, read_people
from voiceroutine.personal.template import Template
from voiceroutine.prespeak import Engines
from voiceroutine.program.build import (
    INDEX_NAME,
    CourseWork,
    ProgramResult,
    course_sessions,
    finished_course,
)
from voiceroutine.program.course import course_from
from voiceroutine.runners import LocalRunner, Runner
from voiceroutine.yamlsource import SourceNode, compose_source, read_source, source_from_node

if TYPE_CHECKING:
    import datetime

    from voiceroutine.progress import Progress

WHAT_A_TEMPLATE_IS = "routine with a title and steps, or a program"
SUMMARY_NAME = "summary.csv"
SUMMARY_COLUMNS = ("id", "status", "file", "duration", "message")
Status = Literal["built", "up to date", "failed"]


@dataclass(frozen=True)
class PersonOutcome:
    """How one row ended: its session, or the message saying why it was not built."""

    id: str
    line: int
    status: Status
    result: BuildResult | None = None
    """The person's session, from a routine template."""
    program: ProgramResult | None = None
    """The person's course, from a program template."""
    error: str | None = None

    def file(self) -> str:
        """What summary.csv names: the session's audio, or the course's index, in the batch's
        folder."""
        if self.result is not None:
            return self.result.audio.name
        if self.program is not None:
            return f"{self.id}/{INDEX_NAME}"
        return ""

    def duration_ms(self) -> int | None:
        """The session's length, or the course's: every day's session, one after another."""
        if self.result is not None:
            return self.result.duration_ms()
        if self.program is not None:
            return sum(day.duration_ms for day in self.program.days)
        return None


@dataclass(frozen=True)
class EachResult:
    """What a batch wrote: its folder, its summary and each row's outcome, in the CSV's order."""

    folder: Path
    summary: Path
    outcomes: tuple[PersonOutcome, ...]
    spoken: int
    """Lines spoken anew for the whole batch (the others came from the clip cache)."""
    source_warnings: tuple[SourceWarning, ...] = ()

    def counted(self, status: Status) -> int:
        return sum(outcome.status == status for outcome in self.outcomes)

    @property
    def failed(self) -> int:
        return self.counted("failed")

    def totals(self) -> str:
        """`48 built, 2 failed`, with those up to date when there are any."""
        current = self.counted("up to date")
        also = f", {current} up to date" if current else ""
        return f"{self.counted('built')} built{also}, {self.failed} failed"


def build_each(
    template: Path,
    people_file: Path,
    options: BuildOptions,
    jobs: int,
    on_done: Callable[[PersonOutcome], None] | None = None,
    progress: Progress | None = None,
    runner: Runner | None = None,
    today: datetime.date | None = None,
) -> EachResult:
    """Build `template` for every person in `people_file` into `options.out_dir/<stem>/`.

    Raises VoiceroutineError, building nothing, when the template or the CSV
    as a whole is wrong (a variable no column and no default supplies); a
    row that is wrong is reported in its outcome, and the others are built.
    The work runs on `runner` (default: `jobs` processes on this machine).
    A course with no start begins on the first Monday after `today`.
    """
    runner = runner or LocalRunner(jobs)
    people = read_people(people_file)
    warnings: list[SourceWarning] = []
    filler, is_program = _template(template, people, warnings)
    folder = options.out_dir / template.stem
    person_options = replace(options, out_dir=folder, jobs=1)
    outcomes: dict[int, PersonOutcome] = {}

    def end(outcome: PersonOutcome) -> None:
        outcomes[outcome.line] = outcome
        if on_done:
            on_done(outcome)

    for refused in people.refused:
        end(PersonOutcome(refused.id, refused.line, "failed", error=str(refused.error)))
    engines = Engines(person_options)
    waiting: dict[str, _PersonWork] = {}
    for person in people.rows:
        try:
            work = _person_work(filler, is_program, people, person, person_options, engines)
        except VoiceroutineError as error:
            end(PersonOutcome(person.id, person.line, "failed", error=str(error)))
            continue
        if work.stale:
            waiting[person.id] = work
        else:
            end(work.finished(today))
    stale = [item for work in waiting.values() for item in work.stale]
    # The longest first: the cores then finish together, not one alone on the last long one.
    stale.sort(key=lambda item: item[1].minutes, reverse=True)
    spoken = runner.speak([compiled for _, compiled in stale], engines, progress)

    def built(outcome: Outcome[WrittenRoutine]) -> None:
        person = outcome.job.folder or outcome.job.name  # jobs come back as copies
        work = waiting[person]
        work.ended[outcome.job.key] = outcome
        if len(work.ended) == len(work.jobs):
            end(work.finished(today))

    if stale:
        counted = counted_sessions(len(stale), built, progress)
        runner.build([job for job, _ in stale], person_options, counted)
    ordered = tuple(outcomes[line] for line in sorted(outcomes))
    summary = folder / SUMMARY_NAME
    folder.mkdir(parents=True, exist_ok=True)
    _write_summary(summary, ordered)
    return EachResult(folder, summary, ordered, spoken, tuple(warnings))


@dataclass
class _PersonWork:
    """One person's sessions: those up to date as they stand, those to build, and how the
    built ones ended; with their course when the template is a program."""

    person: Person
    jobs: list[WrittenRoutine]
    ended: dict[tuple[str, str], Outcome[WrittenRoutine]]
    stale: list[tuple[WrittenRoutine, Compiled]]
    course: CourseWork | None = None

    def finished(self, today: datetime.date | None) -> PersonOutcome:
        person = self.person
        outcomes = [self.ended[job.key] for job in self.jobs]
        status: Status = "built" if self.stale else "up to date"
        if self.course is None:
            (outcome,) = outcomes
            if outcome.result is None:
                return PersonOutcome(person.id, person.line, "failed", error=outcome.error)
            return PersonOutcome(person.id, person.line, status, outcome.result)
        try:
            program = finished_course(self.course, outcomes, 0, [], today)
        except VoiceroutineError as error:
            return PersonOutcome(person.id, person.line, "failed", error=str(error))
        return PersonOutcome(person.id, person.line, status, program=program)


def _template(path: Path, people: People, warnings: list[SourceWarning]) -> tuple[Template, bool]:
    """The template at `path`, checked as YAML and against the CSV's columns, and whether it
    is a program."""
    node = compose_source(read_source(path), path)
    # Checked as any routine file is (a mapping; valid YAML, its traps warned of) before filling.
    root = source_from_node(node, path, WHAT_A_TEMPLATE_IS, warnings)
    assert node is not None  # source_from_node found a mapping
    template = Template(path, node)
    missing = [
        VoiceroutineError(
            f"no value for {{{use.name}}}: {people.file.name} has no '{use.name}' column, and "
            f"variables: gives no default",
            use.place,
        )
        for use in template.unsupplied(people.columns)
    ]
    if missing:
        raise VoiceroutineError(missing[0].message, missing[0].place, tuple(missing[1:]))
    return template, "program" in root.value


def _person_work(
    template: Template,
    is_program: bool,
    people: People,
    person: Person,
    options: BuildOptions,
    engines: Engines,
) -> _PersonWork:
    """The person's sessions, each compiled and checked against the files already there."""
    root, variables_at = _filled(template, people, person)
    try:
        if is_program:
            course = course_from(root, template.path, options.allowances)
            days, jobs = course_sessions(course, template.path, folder=person.id)
            name = f"{template.path.stem}/{person.id}"  # the calendar ids: one course each
            work = CourseWork(course, options.out_dir / person.id, name, days)
        else:
            routine = validate_routine(root, template.path, options.allowances)
            jobs = [WrittenRoutine(template.path, person.id, routine, routine.as_yaml())]
            work = None
    except VoiceroutineError as error:
        raise _at_cell(error, variables_at(error.place), people, person) from None
    ended: dict[tuple[str, str], Outcome[WrittenRoutine]] = {}
    stale: list[tuple[WrittenRoutine, Compiled]] = []
    for job in jobs:
        compiled = job.compiled(options)
        placed = job.placed(options)
        found = existing_build(compiled, placed, job.name, engines.of(compiled))
        if found is None:
            stale.append((job, compiled))
        else:
            ended[job.key] = Outcome(job, found, None)
    return _PersonWork(person, jobs, ended, stale, work)


def _filled(
    template: Template, people: People, person: Person
) -> tuple[SourceNode, Callable[[Place | None], tuple[str, ...]]]:
    """The template filled in with the person's values, as a mapping, and which variables
    gave the value at a place; a VoiceroutineError at the cell of an empty value."""
    for name in template.names():
        if name not in person.values and name not in template.defaults:
            raise VoiceroutineError(
                f"{name} is empty, and the template's variables: gives no default",
                people.place(person, name),
            )
    filled = template.filled(person.values)
    try:
        root = source_from_node(filled.node, template.path, WHAT_A_TEMPLATE_IS)
    except VoiceroutineError as error:
        raise _at_cell(error, filled.variables_of(error.place), people, person) from None
    return root, filled.variables_of


def _at_cell(
    error: VoiceroutineError, names: tuple[str, ...], people: People, person: Person
) -> VoiceroutineError:
    """The error at the CSV cell that put the wrong value in, naming the template's place."""
    column = next((name for name in names if name in person.values), None)
    if column is None:
        return error
    return VoiceroutineError(
        f"{error.message} (the template's {{{column}}}, at {error.place})",
        people.place(person, column),
    )


def _write_summary(path: Path, outcomes: tuple[PersonOutcome, ...]) -> None:
    """summary.csv: a row per person, written at once (a failed write leaves the old one)."""
    from voiceroutine.export import write_together

    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(SUMMARY_COLUMNS)
    for outcome in outcomes:
        duration_ms = outcome.duration_ms()
        duration = "" if duration_ms is None else f"{duration_ms / 1000:.1f}"
        writer.writerow([outcome.id, outcome.status, outcome.file(), duration, outcome.error or ""])
    write_together({path: text.getvalue().encode("utf-8")})
