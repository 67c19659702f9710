"""Write a new routine or program file to start from: a short starter, or a bundled example."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from voiceroutine.errors import Place, VoiceroutineError
from voiceroutine.schema import SCHEMA_LINE_PREFIX, schema_reference

STARTER = """\
title: My routine
description: A short routine to start from; change anything.
steps:
  - exercise: knee-to-chest
  - exercise: bridge
    reps: 5
  - breathe: box
    cycles: 4
"""

PROGRAM_STARTER = """\
title: My four-week course
description: Gentle stretching on three days a week, with holds that grow a little each week.
program:
  weeks: 4
  schedule: {mon: stretch, wed: stretch, fri: stretch}
  progress:
    hold: {add: 5s, every: 1, up_to: 30s}
sessions:
  stretch:
    title: Stretch
    steps:
      - exercise: knee-to-chest
        hold: 15s
      - exercise: cat-cow
      - exercise: childs-pose
        hold: 15s
      - breathe: diaphragmatic
        progress: none
"""


def bundled_examples() -> list[str]:
    folder = resources.files("voiceroutine") / "examples"
    return sorted(
        entry.name.removesuffix(".yaml")
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    )


def starter_text(source: str | None, path: Path, program: bool = False) -> str:
    """The starter routine (or program), a bundled example by name, or a routine file's
    text, to be written at `path` (its first line points editors at the schema from there)."""
    if source is None:
        body = PROGRAM_STARTER if program else STARTER
    elif source in bundled_examples():
        body = (resources.files("voiceroutine") / "examples" / f"{source}.yaml").read_text("utf-8")
    elif Path(source).is_file():
        body = Path(source).read_text(encoding="utf-8")
    else:
        choices = ", ".join(bundled_examples())
        raise VoiceroutineError(f"no example or file '{source}'; examples: {choices}")
    lines = [line for line in body.splitlines() if not line.startswith(SCHEMA_LINE_PREFIX)]
    return "\n".join([f"{SCHEMA_LINE_PREFIX}{schema_reference(path)}", *lines]) + "\n"


def write_new_routine(path: Path, source: str | None = None, program: bool = False) -> None:
    """Create `path` (and its folders) with a starter routine, or with `program` a starter
    program; an existing file is never overwritten."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise VoiceroutineError(
            f"cannot create its folder: {error.strerror}", Place(path)
        ) from None
    write_new_file(path, starter_text(source, path, program))


def write_new_file(path: Path, text: str) -> None:
    """Create `path` with `text`, exactly; an existing file is never overwritten."""
    try:
        with open(path, "x", encoding="utf-8", newline="") as file:
            file.write(text)
    except FileExistsError:
        raise VoiceroutineError("already exists; choose another name", Place(path)) from None
    except OSError as error:
        raise VoiceroutineError(f"cannot write: {error.strerror}", Place(path)) from None
    os.chmod(path, 0o644)
