"""The `voiceroutine` command: import the CLI with the garbage collector paused, then run it."""

from __future__ import annotations

import gc


def main() -> None:
    """Run the command line.

    Importing the CLI loads about 300 modules and makes tens of thousands of
    objects, none of them garbage, yet every few hundred allocations would
    start a collection that walks them again.
    """
    gc.disable()
    try:
        from voiceroutine.cli import main as run
    finally:
        gc.freeze()  # what the imports made lives to the end: no collection need look at it
        gc.enable()
    run()
