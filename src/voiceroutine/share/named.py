"""The files a routine names (cover, library, sounds, music), and where they lie beside it.

A shared routine is only rebuilt if every file it names comes with it, at the
path the routine reaches it by: the share zip and a published site keep that
layout.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voiceroutine.routine import Routine

FILE_KEYS = frozenset(
    {"exercise_start", "exercise_end", "rest_start", "rest_end", "start", "end", "sound"}
    | {"bell", "music", "cover"}
)
"""Keys whose values name a file; a validated routine holds them as absolute paths."""


@dataclass(frozen=True)
class NamedFile:
    """A file the routine names: where it is, and its path from the routine's folder."""

    source: Path
    relative: str
    """With "/" between folders; it starts with "../" for a file in an allowed folder
    outside the routine's own."""


def named_files(routine_path: Path, routine: Routine) -> list[NamedFile]:
    """Every file the routine at `routine_path` names, each once, in the order it names them."""
    folder = routine_path.resolve().parent
    found: dict[Path, None] = {}
    if routine.library:
        found[(routine_path.parent / routine.library).resolve()] = None
    for value in _file_values(routine.model_dump(mode="json")):
        found[Path(value)] = None
    named = []
    for source in found:
        relative = os.path.relpath(source, folder).replace(os.sep, "/")
        named.append(NamedFile(source, relative))
    return named


def member_path(folder: str, named: NamedFile) -> str | None:
    """Where `named` goes in a zip or site whose `folder` holds the routine: at its path from
    the routine, so the routine finds it there; None if that path leaves the zip or site."""
    member = posixpath.normpath(f"{folder}/{named.relative}")
    if member.startswith("../") or member == ".." or posixpath.isabs(member):
        return None
    return member


def _file_values(data: Any, key: str | None = None) -> Iterator[str]:
    if isinstance(data, dict):
        for child_key, value in data.items():
            yield from _file_values(value, child_key)
    elif isinstance(data, list):
        for value in data:
            yield from _file_values(value, key)
    elif isinstance(data, str) and key in FILE_KEYS and Path(data).is_absolute():
        yield data
