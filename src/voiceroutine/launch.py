"""The `voiceroutine` command: import the CLI with the garbage collector paused, then run it."""

from __future__ import annotations

import gc
import os
import sys

from voiceroutine.interrupts import (
    INTERRUPTED_EXIT,
    INTERRUPTED_MESSAGE,
    TERMINATED_EXIT,
    TERMINATED_MESSAGE,
    Terminated,
    hold_signals,
    signals_held,
    unwind_on_signals,
)


def main() -> None:
    """Run the command line.

    Importing the CLI loads about 300 modules and makes tens of thousands of
    objects, none of them garbage, yet every few hundred allocations would
    start a collection that walks them again. Ctrl-C or SIGTERM before a
    command handles them itself (cli.output.run) ends it the same way: a message
    and exit code 130 or 143, no traceback.
    """
    unwind_on_signals()
    try:
        try:
            gc.disable()
            # An interrupt that lands while pydantic builds its validators can leave them
            # broken (a valid routine then fails to validate): signals wait for the imports.
            with signals_held():
                try:
                    from voiceroutine.cli import main as run

                    if _runs_a_command(sys.argv[1:]):
                        # typer reads a command's options through pydantic: imported here, an
                        # interrupt meanwhile is reported below instead of ending it silently.
                        import pydantic  # noqa: F401
                finally:
                    gc.freeze()  # what the imports made lives to the end: no collection sees it
                    gc.enable()
            run()
        except KeyboardInterrupt:
            sys.stderr.write(INTERRUPTED_MESSAGE + "\n")
            sys.exit(INTERRUPTED_EXIT)
        except Terminated:
            sys.stderr.write(TERMINATED_MESSAGE + "\n")
            raise
    except SystemExit as stopped:
        if stopped.code in (INTERRUPTED_EXIT, TERMINATED_EXIT):
            _exit_now(stopped.code)
        raise
    finally:
        # The command is done: a signal now could only turn its exit code into "killed"
        # (Python puts back the default handlers as it shuts down).
        hold_signals()
        _forget_handled_interrupt()


def _runs_a_command(arguments: list[str]) -> bool:
    """Whether the command line runs a command, rather than asking for help or the version."""
    return bool(arguments) and not {"--help", "-h", "--version"} & set(arguments)


def _exit_now(code: int) -> None:
    """End an interrupted command at once, its cleanup done as it unwound.

    A worker stopped while it sent its result leaves half a message in the
    process pool's result pipe; the pool's manager thread then waits on it
    forever, and Python's shutdown waits for that thread (seen once in a few
    dozen group Ctrl-Cs under load). Nothing is left to do at exit that matters.
    """
    hold_signals()
    _forget_handled_interrupt()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _forget_handled_interrupt() -> None:
    """Clear CPython's note that a KeyboardInterrupt went unhandled.

    When Ctrl-C lands inside an eval() of a string (typing and typer evaluate
    annotations that way), CPython notes the interrupt as unhandled even if it
    is caught later, and at exit kills itself with SIGINT instead of exiting
    with the code chosen here. Every eval() of a string clears the note first;
    an interrupt that really goes unhandled sets it again afterwards.
    """
    eval("None")
