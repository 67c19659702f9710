"""`check`, `plan` and `extract`: what a routine will do, and what a built file carries."""

# No `from __future__ import annotations`: typer reads these annotations at every start.
import json
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from voiceroutine.cli.app import allow_hours, app
from voiceroutine.cli.options import (
    EngineOption,
    MaxHoursOption,
    RateOption,
    RoutineFiles,
    VoiceOption,
    WeekdayChoice,
)
from voiceroutine.cli.output import (
    Terminal,
    clock,
    count,
    load_api,
    plain,
    print_source_warning,
    print_warnings,
    run,
    table,
    terminal,
)
from voiceroutine.durations import format_duration

if TYPE_CHECKING:
    from voiceroutine.api import CheckedCourse
    from voiceroutine.timeline import Cue, Timeline


@app.command()
def extract(
    ctx: typer.Context,
    audio: Annotated[
        Path, typer.Argument(help="An audio file voiceroutine built.", metavar="AUDIO")
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write the routine to this new file (never overwrites)."
        ),
    ] = None,
) -> None:
    """Print the routine YAML a built audio file carries, to edit and build again.

    A routine that uses its own `library:` file carries that too; `-o` writes both.
    """
    api = load_api(ctx)

    term = terminal(ctx)
    extracted = run(ctx, lambda: api.extract(audio))
    if output is None:
        sys.stdout.write(extracted.routine)
        if extracted.library is not None:
            term.note(
                f"the file also carries the routine's library "
                f"'{extracted.library_name or ''}'; -o FILE writes both"
            )
        return
    for written in run(ctx, lambda: api.write_extracted(extracted, output)):
        term.done("wrote", str(written))
    name = extracted.library_name
    if name is not None and Path(name).is_absolute():
        term.note(
            f"the routine names its library as '{name}'; "
            f"write `library: {Path(name).name}` to use the copy beside it"
        )


@app.command()
def check(
    ctx: typer.Context,
    files: RoutineFiles,
    rate: RateOption = None,
    chapters: Annotated[
        bool, typer.Option("--chapters/--no-chapters", help="Print each chapter's length.")
    ] = True,
    max_hours: MaxHoursOption = None,
) -> None:
    """Validate routines; print each one's estimated length, its chapters and any warnings."""
    api = load_api(ctx)

    term = terminal(ctx)
    allow_hours(term, max_hours)
    overrides = api.VoiceOverrides(rate=rate)
    warn = partial(print_source_warning, term)
    failed = 0
    for file in dict.fromkeys(files):
        if api.is_program(file):
            checked = partial(api.check_program, file, overrides, term.allowances, warn)
        else:
            checked = partial(api.check, file, overrides, term.allowances, warn)
        try:
            result = run(ctx, checked)
        except typer.Exit as stop:
            if stop.exit_code != 1:
                raise
            failed += 1
            continue
        if isinstance(result, api.CheckedCourse):
            _print_course(term, file, result)
        else:
            _print_routine(term, file, result, chapters)
    if failed:
        raise typer.Exit(1)


def _print_routine(term: Terminal, file: Path, timeline: "Timeline", chapters: bool) -> None:
    """A checked routine: its length, chapters and lines, then each chapter's length."""
    print_warnings(term, file, timeline)
    spoken = sum(1 for cue in timeline.cues if cue.kind == "speech")
    warnings = f", {count(len(timeline.warnings), 'warning')}" if timeline.warnings else ""
    term.done(
        "ok",
        f"{file}: about {format_duration(timeline.duration_ms)}, "
        f"{count(len(timeline.chapters), 'chapter')}, {count(spoken, 'spoken line')}{warnings}",
    )
    if chapters:
        for chapter in timeline.chapters:
            length = format_duration(chapter.end_ms - chapter.start_ms)
            term.out.print(plain(f"  {length:>8}  {chapter.title}"))


def _print_course(term: Terminal, file: Path, course: "CheckedCourse") -> None:
    """A checked program: one line, the weeks as rows and weekdays as columns, the changes."""
    total = sum(day.duration_ms for day in course.days)
    term.done(
        "ok",
        f"{file}: a program of {count(course.weeks, 'week')}, "
        f"{count(len(course.days), 'session')} ({course.distinct_sessions} distinct to build), "
        f"about {format_duration(total)} in all",
    )
    shown = table(course.title)
    shown.add_column("week", justify="right")
    for weekday in course.weekdays:
        shown.add_column(weekday)
    by_week: dict[int, dict[str, str]] = {}
    changed: dict[tuple[int, str], tuple[str, ...]] = {}
    for day in course.days:
        mark = " *" if day.changes else ""
        cell = f"{day.session} {format_duration(day.duration_ms)}{mark}"
        by_week.setdefault(day.week, {})[day.weekday] = cell
        if day.changes:
            changed.setdefault((day.week, day.session), day.changes)
    for week in range(1, course.weeks + 1):
        cells = by_week.get(week, {})
        label = f"{week} easy" if week in course.easy_weeks else str(week)
        shown.add_row(label, *(plain(cells.get(weekday, "")) for weekday in course.weekdays))
    term.out.print(shown)
    for (week, session), said in changed.items():
        term.out.print(plain(f"  * week {week}, {session}: {'; '.join(said)}"))


@app.command()
def plan(
    ctx: typer.Context,
    files: RoutineFiles,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the timeline JSON (a list of them for several files)."),
    ] = False,
    engine: EngineOption = None,
    voice: VoiceOption = None,
    rate: RateOption = None,
    max_hours: MaxHoursOption = None,
    week: Annotated[
        int | None,
        typer.Option("--week", min=1, help="For a program: the week to show (default 1)."),
    ] = None,
    day: Annotated[
        WeekdayChoice | None,
        typer.Option("--day", help="For a program: the weekday (default: the week's first)."),
    ] = None,
) -> None:
    """Show the timeline: when each line is spoken. Times are estimates unless --engine is given."""
    api = load_api(ctx)

    term = terminal(ctx)
    allow_hours(term, max_hours)
    overrides = api.VoiceOverrides(engine=engine, name=voice, rate=rate)
    speak = engine is not None
    warn = partial(print_source_warning, term)
    files = list(dict.fromkeys(files))
    programs = {file for file in files if api.is_program(file)}
    if (week is not None or day is not None) and len(programs) < len(files):
        routine = next(file for file in files if file not in programs)
        raise typer.BadParameter(
            f"{routine} is a routine: --week and --day choose a day of a program",
            param_hint="--week" if week is not None else "--day",
        )

    def planned(file: Path) -> tuple[str, "Timeline"]:
        if file not in programs:
            timeline = api.plan(file, overrides, speak, term.allowances, warn)
            return timeline.title, timeline
        weekday = day.value if day else None
        found = api.plan_day(file, week or 1, weekday, overrides, speak, term.allowances, warn)
        return f"week {found.week}, {found.weekday}: {found.timeline.title}", found.timeline

    shown = [run(ctx, lambda file=file: planned(file)) for file in files]
    timelines = [timeline for _, timeline in shown]
    if as_json:
        data = [timeline.to_json() for timeline in timelines]
        text = json.dumps(data[0] if len(data) == 1 else data, indent=2, ensure_ascii=False)
        sys.stdout.write(text + "\n")
        return
    for file, (title, timeline) in zip(files, shown, strict=True):
        _print_plan(term, file, title, timeline)


def _print_plan(term: Terminal, file: Path, title: str, timeline: "Timeline") -> None:
    shown = table(f"{title} ({format_duration(timeline.duration_ms)})")
    shown.add_column("time", justify="right")
    shown.add_column("chapter")
    shown.add_column("kind")
    shown.add_column("text")
    events = sorted(
        [(cue.start_ms, 0, timeline.chapters[cue.chapter].title, cue.kind, _what(cue))
         for cue in timeline.cues]
        + [(seg.start_ms, 1, "", seg.kind, f"{(seg.end_ms - seg.start_ms) / 1000:g} s")
           for seg in timeline.segments]
    )  # fmt: skip
    for start, _, chapter, kind, text in events:
        shown.add_row(clock(start), plain(chapter), kind, plain(text))
    term.out.print(shown)
    print_warnings(term, file, timeline)


def _what(cue: "Cue") -> str:
    """What a cue says, or which sound it plays."""
    if cue.text is not None:
        return cue.text
    return f"({cue.sound.label})" if cue.sound else ""
