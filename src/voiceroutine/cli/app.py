"""The `voiceroutine` command group: its options before any command, and how it runs."""

# No `from __future__ import annotations`: typer reads these annotations at every start.
import gc
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from voiceroutine import __version__
from voiceroutine.access import Allowances
from voiceroutine.cli.options import MaxHoursOption
from voiceroutine.cli.output import Terminal, run, terminal
from voiceroutine.interrupts import unwind_on_signals

app = typer.Typer(
    name="voiceroutine",
    help="Turn a routine written in YAML into a voice-guided audio session.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        print(f"voiceroutine {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    allow_dir: Annotated[
        list[Path] | None,
        typer.Option(
            "--allow-dir",
            help="A folder besides the routine's own that its sound, music and cover files "
            "may come from (repeatable; also allow_dirs in the config file).",
            file_okay=False,
        ),
    ] = None,
    max_hours: MaxHoursOption = None,
) -> None:
    """Turn a routine written in YAML into a voice-guided audio session."""
    term = terminal(ctx)
    term.debug = debug
    allowed = Allowances(tuple(allow_dir or ()), max_hours)
    term.allowances = run(ctx, allowed.with_config)  # the config file, read once


def allow_hours(term: Terminal, max_hours: float | None) -> None:
    """--max-hours given after the command counts as if given before it."""
    if max_hours is not None:
        term.allowances = replace(term.allowances, max_hours=max_hours)


def main() -> None:
    unwind_on_signals()
    try:
        app()
    finally:
        # The process ends here and the system frees its memory. Without this, the
        # interpreter's last garbage collections walk every object the imports made:
        # about 30 ms at every exit, an eighth of an up-to-date build.
        gc.freeze()
