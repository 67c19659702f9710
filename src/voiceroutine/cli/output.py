"""What the commands print and how they end: the terminal, errors, progress, warnings, reports.

Rich is imported when something is first printed, never by `--help`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, TypeVar

import typer

from voiceroutine.access import NO_ALLOWANCES, Allowances
from voiceroutine.durations import format_duration
from voiceroutine.errors import SourceWarning, VoiceroutineError
from voiceroutine.interrupts import (
    INTERRUPTED_EXIT,
    INTERRUPTED_MESSAGE,
    TERMINATED_EXIT,
    TERMINATED_MESSAGE,
    Terminated,
    signals_held,
)

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from voiceroutine.batch import Outcome
    from voiceroutine.build import BuildResult, WrittenRoutine
    from voiceroutine.personal.each import PersonOutcome
    from voiceroutine.program.build import ProgramResult
    from voiceroutine.progress import Progress
    from voiceroutine.timeline import Timeline

T = TypeVar("T")


class Terminal:
    """One command's state: the options before the command, and where it prints."""

    def __init__(self) -> None:
        self.debug = False
        self.allowances: Allowances = NO_ALLOWANCES

    @cached_property
    def out(self) -> Console:
        return _console(stderr=False)

    @cached_property
    def err(self) -> Console:
        return _console(stderr=True)

    def error(self, message: str) -> None:
        """One `error:` line (the message is printed as written, markup and all)."""
        self.err.print(f"[bold red]error:[/] {escape(message)}")

    def warning(self, message: str) -> None:
        self.err.print(f"[yellow]warning:[/] {escape(message)}")

    def note(self, message: str) -> None:
        self.err.print(f"note: {escape(message)}")

    def done(self, verb: str, message: str) -> None:
        """A line saying what was written: `built ...`, `wrote ...`."""
        self.out.print(f"[green]{verb}[/] {escape(message)}")


def _console(stderr: bool) -> Console:
    from rich.console import Console

    # No emoji codes: a file named ":rain:" stays as it is (and rich skips loading them).
    return Console(stderr=stderr, soft_wrap=True, highlight=False, emoji=False)


def escape(text: str) -> str:
    """Text printed through rich exactly as written: `[b]` in a file name stays `[b]`."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def plain(text: str) -> Text:
    """A table cell or line that rich shows as written, without reading markup in it."""
    from rich.text import Text

    return Text(text)


def terminal(ctx: typer.Context) -> Terminal:
    """The command's terminal, made by the first caller (the options before the command)."""
    if not isinstance(ctx.obj, Terminal):
        ctx.obj = Terminal()
    return ctx.obj


def run(
    ctx: typer.Context, action: Callable[[], T], unfinished: Callable[[], str] | None = None
) -> T:
    """Run an action, turning our errors into one message each and exit code 1.

    Stopped by Ctrl-C or SIGTERM, it says so, and what was left unwritten:
    `unfinished()` if given, else that the file being built was not.
    """
    term = terminal(ctx)
    try:
        return action()
    except VoiceroutineError as error:
        if term.debug:
            raise
        for problem in error.every():  # each at its place, one a line
            term.error(str(problem))
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        if term.debug:
            raise
        term.err.print(escape(_stopped("interrupted", INTERRUPTED_MESSAGE, unfinished)))
        raise typer.Exit(INTERRUPTED_EXIT) from None
    except Terminated:
        term.err.print(escape(_stopped("terminated", TERMINATED_MESSAGE, unfinished)))
        raise typer.Exit(TERMINATED_EXIT) from None


def _stopped(how: str, usual: str, unfinished: Callable[[], str] | None) -> str:
    return f"{how}; {unfinished()}" if unfinished is not None else usual


def load_api(ctx: typer.Context) -> ModuleType:
    """The API, imported as a command starts (`--help` never loads it).

    A Ctrl-C meanwhile waits for the import to end, since one that lands while
    pydantic builds its validators can leave them broken, and is then
    reported as any other.
    """

    def imported() -> ModuleType:
        with signals_held():
            from voiceroutine import api
        return api

    return run(ctx, imported)


def count(n: int, noun: str) -> str:
    """`1 line`, `2 lines`."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def clock(ms: int) -> str:
    """A time in the session as minutes and seconds to the millisecond: `3:07.250`."""
    minutes, rest = divmod(ms, 60_000)
    return f"{minutes}:{rest / 1000:06.3f}"


def table(title: str) -> Table:
    """An empty table; rich.table is imported only by the commands that print one."""
    from rich.table import Table

    return Table(title=plain(title))


def print_source_warning(term: Terminal, warning: SourceWarning) -> None:
    term.warning(str(warning))


def print_warnings(term: Terminal, path: Path, timeline: Timeline) -> None:
    """Each distinct warning once, with the time it first happens and how often."""
    seen: dict[str, list[int]] = {}
    for warning in timeline.warnings:
        seen.setdefault(warning.message, []).append(warning.at_ms)
    for message, times in seen.items():
        often = f" ({len(times)} times)" if len(times) > 1 else ""
        term.warning(f"{path}: at {clock(times[0])}: {message}{often}")


def report_build(term: Terminal, path: Path, result: BuildResult) -> None:
    """What one build wrote (or that it was up to date), after its warnings."""
    for warning in result.source_warnings:
        print_source_warning(term, warning)
    if result.voice_notice:
        term.note(result.voice_notice)
    if result.timeline is None:
        term.done("up to date", f"{result.audio} (--force rebuilds it)")
        return
    print_warnings(term, path, result.timeline)
    problem = result.loudness.problem() if result.loudness else None
    if problem:
        term.warning(f"{result.audio}: {problem}")
    size = result.audio.stat().st_size
    term.done(
        "built",
        f"{result.audio}  {format_duration(result.timeline.duration_ms)}  {size / 1e6:.1f} MB  "
        f"({count(result.synthesized, 'line')} synthesized, {result.reused} from cache)",
    )


class SessionReport:
    """Counts (and, to `list_built`, lists) a program's sessions as each one's build ends."""

    def __init__(self, term: Terminal, list_built: bool) -> None:
        self.term = term
        self.list_built = list_built
        self.built = 0

    def __call__(self, outcome: Outcome[WrittenRoutine]) -> None:
        if outcome.result is not None and not outcome.result.up_to_date:
            self.built += 1
            if self.list_built:
                report_build(self.term, outcome.job.source, outcome.result)

    def unfinished(self, rest: str) -> Callable[[], str]:
        """What an interrupted build says: how many sessions were built, then `rest`."""
        return lambda: f"{count(self.built, 'session')} built; {rest}"


class PersonReport:
    """Reports each person of an --each batch as their session ends, and counts the built."""

    def __init__(self, term: Terminal) -> None:
        self.term = term
        self.built = 0
        self.notices: set[str] = set()

    def __call__(self, outcome: PersonOutcome) -> None:
        result, program = outcome.result, outcome.program
        if outcome.error is not None or (result is None and program is None):
            self.term.error(outcome.error or "")
            return
        sessions = [result] if result else [o.result for o in program.sessions if o.result]
        for notice in (session.voice_notice for session in sessions):
            if notice and notice not in self.notices:
                self.notices.add(notice)  # the same for many people: said once
                self.term.note(notice)
        built = sum(1 for session in sessions if not session.up_to_date)
        self.built += built
        if result is not None:
            report_build(self.term, result.audio, replace(result, voice_notice=None))
            return
        self.term.done(
            "wrote",
            f"{program.index}  {count(len(program.days), 'day')}, "
            f"{count(len(sessions), 'distinct session')} ({built} built), from "
            f"{program.calendar_start}",
        )

    def unfinished(self, rest: str) -> Callable[[], str]:
        """What an interrupted batch says: how many sessions were built, then `rest`."""
        return lambda: f"{count(self.built, 'session')} built (listed above); {rest}"


def report_program(term: Terminal, result: ProgramResult) -> None:
    """What a program's build wrote: its index and calendar, and how many sessions it built."""
    for warning in result.source_warnings:
        print_source_warning(term, warning)
    notices = (o.result.voice_notice for o in result.sessions if o.result is not None)
    for notice in dict.fromkeys(notice for notice in notices if notice):
        term.note(notice)
    sessions = len(result.sessions)
    built = sum(1 for o in result.sessions if o.result is not None and not o.result.up_to_date)
    term.done(
        "wrote",
        f"{result.index}  {count(len(result.days), 'day')} playing "
        f"{count(sessions, 'distinct session')} ({built} built, {sessions - built} up to date, "
        f"{count(result.spoken, 'line')} spoken for the course)",
    )
    has_start = bool(result.days) and result.days[0].day.date is not None
    since = (
        "" if has_start else f"  (no start: in the program; it begins on {result.calendar_start})"
    )
    term.done("wrote", f"{result.calendar}{since}")
    term.done("wrote", f"{result.overview}  (the course on one page, to print)")
    if result.left_over:
        names = ", ".join(file.name for file in result.left_over)
        term.note(
            f"{count(len(result.left_over), 'file')} in {result.folder} from an earlier build "
            f"the course no longer plays (left as they are): {names}"
        )


def report_packed(term: Terminal, packed: Path) -> None:
    term.done("packed", f"{packed}  {packed.stat().st_size / 1e6:.1f} MB")


@contextmanager
def progress_bar(term: Terminal) -> Iterator[Progress]:
    """A progress bar on the terminal (nothing when output is not a terminal)."""
    if not term.err.is_terminal:
        yield lambda stage, done, total: None
        return
    from rich.progress import BarColumn, TextColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    with Bar(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
        console=term.err,
        transient=True,
    ) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        yield update


class BatchReport:
    """Reports each routine of a batch as it ends, and counts what was built."""

    def __init__(
        self,
        term: Terminal,
        total: int,
        progress: Progress,
        after_built: Callable[[Outcome], None] | None = None,
        print_failures: bool = True,
    ) -> None:
        self.term = term
        self.total = total
        self.progress = progress
        self.after_built = after_built
        self.print_failures = print_failures
        self.done = self.built = 0
        progress("Routines", 0, total)

    def __call__(self, outcome: Outcome) -> None:
        self.done += 1
        self.progress("Routines", self.done, self.total)
        if outcome.result is None:
            if self.print_failures:
                self.term.error(outcome.error or "")
            return
        self.built += 1
        report_build(self.term, outcome.job, outcome.result)
        if self.after_built is not None:
            self.after_built(outcome)

    @property
    def failed(self) -> int:
        return self.done - self.built

    def unfinished(self, rest: str) -> Callable[[], str]:
        """What an interrupted batch says: how many were built, then `rest`."""
        return lambda: (
            f"{self.built} of {count(self.total, 'routine')} built (listed above); {rest}"
        )
