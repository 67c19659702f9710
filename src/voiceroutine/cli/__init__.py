"""The command line: command modules that parse arguments, call the API and print results.

Each command imports the API when it runs, so `voiceroutine --help` loads
typer and the option lists only: no pydantic, no compiler, no audio code.
"""

from voiceroutine.cli.app import app, main
from voiceroutine.cli.options import Format

# isort: off
# Each module adds its commands; `--help` lists them in this order.
from voiceroutine.cli import build, examine, catalogue, share  # noqa: F401
# isort: on

__all__ = ["Format", "app", "main"]
