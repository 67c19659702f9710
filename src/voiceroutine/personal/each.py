"""Build a template once for each person of a CSV file, into DIR/<stem>/<id>.*, with a summary.

Each row is filled into the template and validated as a routine of its own; a
row whose values do not make a valid routine is reported at its cell of the
CSV and skipped, and the others are built. Every line any of them says is
spoken once into the clip cache first (most are shared), then the sessions
are built from it, several at once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from voiceroutine.access import Allowances
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
from voiceroutine.runners import LocalRunner, Runner
from voiceroutine.yamlsource import compose_source, read_source, source_from_node

if TYPE_CHECKING:
    from voiceroutine.progress import Progress

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
    error: str | None = None


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
) -> EachResult:
    """Build `template` for every person in `people_file` into `options.out_dir/<stem>/`.

    Raises VoiceroutineError, building nothing, when the template or the CSV
    as a whole is wrong (a variable no column and no default supplies); a
    row that is wrong is reported in its outcome, and the others are built.
    The work runs on `runner` (default: `jobs` processes on this machine).
    """
    runner = runner or LocalRunner(jobs)
    people = read_people(people_file)
    warnings: list[SourceWarning] = []
    filler = _template(template, people, warnings)
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
    stale: list[tuple[Person, WrittenRoutine, Compiled]] = []
    for person in people.rows:
        try:
            job = _person_job(filler, people, person, options.allowances)
            compiled = job.compiled(person_options)
            found = existing_build(compiled, person_options, job.name, engines.of(compiled))
        except VoiceroutineError as error:
            end(PersonOutcome(person.id, person.line, "failed", error=str(error)))
            continue
        if found is not None:
            end(PersonOutcome(person.id, person.line, "up to date", found))
        else:
            stale.append((person, job, compiled))
    # The longest first: the cores then finish together, not one alone on the last long one.
    stale.sort(key=lambda item: item[2].minutes, reverse=True)
    spoken = runner.speak([compiled for _, _, compiled in stale], engines, progress)
    line_of = {job.name: person.line for person, job, _ in stale}  # jobs come back as copies

    def built(outcome: Outcome[WrittenRoutine]) -> None:
        job = outcome.job
        status: Status = "built" if outcome.result else "failed"
        end(PersonOutcome(job.name, line_of[job.name], status, outcome.result, outcome.error))

    if stale:
        counted = counted_sessions(len(stale), built, progress)
        runner.build([job for _, job, _ in stale], person_options, counted)
    ordered = tuple(outcomes[line] for line in sorted(outcomes))
    summary = folder / SUMMARY_NAME
    folder.mkdir(parents=True, exist_ok=True)
    _write_summary(summary, ordered)
    return EachResult(folder, summary, ordered, spoken, tuple(warnings))


def _template(path: Path, people: People, warnings: list[SourceWarning]) -> Template:
    """The template at `path`, checked as YAML and against the CSV's columns."""
    node = compose_source(read_source(path), path)
    # Checked as any routine file is (a mapping; valid YAML, its traps warned of) before filling.
    root = source_from_node(node, path, "routine with a title and steps", warnings)
    if "program" in root.value:
        raise VoiceroutineError(
            "--each builds a routine for each person; a program template is not supported yet",
            Place(path, 1, 1),
        )
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
    return template


def _person_job(
    template: Template, people: People, person: Person, allowances: Allowances
) -> WrittenRoutine:
    """The person's routine, or a VoiceroutineError at the cell whose value made it wrong."""
    for name in template.names():
        if name not in person.values and name not in template.defaults:
            raise VoiceroutineError(
                f"{name} is empty, and the template's variables: gives no default",
                people.place(person, name),
            )
    filled = template.filled(person.values)
    root = source_from_node(filled.node, template.path, "routine with a title and steps")
    try:
        routine = validate_routine(root, template.path, allowances)
    except VoiceroutineError as error:
        raise _at_cell(error, filled.variables_of(error.place), people, person) from None
    return WrittenRoutine(template.path, person.id, routine, routine.as_yaml())


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
        result = outcome.result
        file = result.audio.name if result else ""
        duration = f"{result.duration_ms() / 1000:.1f}" if result else ""
        writer.writerow([outcome.id, outcome.status, file, duration, outcome.error or ""])
    write_together({path: text.getvalue().encode("utf-8")})
