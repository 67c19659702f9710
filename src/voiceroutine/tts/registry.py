"""Engines by name: found through the `voiceroutine.engines` entry points, built on demand.

Every engine, the built-in ones included, is registered by a package under
that entry-point group, as `name = "module:factory"`, where the factory takes
no arguments and returns an Engine. Finding the names reads only package
metadata; an engine's module is imported when the engine is built.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points

from voiceroutine.errors import VoiceroutineError
from voiceroutine.tts.base import Engine

ENTRY_POINT_GROUP = "voiceroutine.engines"
ENGINE_ALIASES = {"espeak": "pyttsx3"}
"""Other names an engine is known by: eSpeak NG is what pyttsx3 speaks with on Linux."""


def canonical_engine(name: str) -> str:
    """The registered name an engine's name or alias stands for (`espeak` is `pyttsx3`)."""
    return ENGINE_ALIASES.get(name.lower(), name)


def engine_entry_points() -> dict[str, EntryPoint]:
    """The registered engines by name; when two packages claim a name, the first found wins."""
    return dict(_scan_entry_points(_package_folders()))


@lru_cache(maxsize=1)
def _scan_entry_points(folders: tuple[tuple[str, int], ...]) -> dict[str, EntryPoint]:
    """Read every installed package's metadata, once for each state of `folders`.

    A scan takes about a millisecond, and a build asks for the engines three times.
    """
    found: dict[str, EntryPoint] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(point.name, point)
    return found


def _package_folders() -> tuple[tuple[str, int], ...]:
    """The folders packages are found in, each with the time it last changed.

    Installing or removing a package changes its folder, so the scan above is
    done again then, as it is when sys.path changes.
    """
    return tuple((folder, _changed_ns(folder)) for folder in sys.path)


def _changed_ns(folder: str) -> int:
    try:
        return os.stat(folder or ".").st_mtime_ns
    except OSError:
        return -1


def engine_names() -> list[str]:
    """The engines that can be asked for by name (importing none of them)."""
    return sorted(engine_entry_points())


def is_engine(name: str, names: Sequence[str] | None = None) -> bool:
    """Whether `name`, or the engine it is another name for, is registered."""
    return canonical_engine(name) in (engine_names() if names is None else names)


def unknown_engine(name: str, names: Sequence[str] | None = None) -> str:
    """The message for an engine nobody registered, listing the ones that are (`names`)."""
    known = engine_names() if names is None else names
    aliases = [alias for alias, engine in ENGINE_ALIASES.items() if engine in known]
    return f"unknown speech engine '{name}'; choose one of: {', '.join([*known, *aliases])}"


def create_engine(name: str) -> Engine:
    """Build the engine called `name`; an unknown name lists the valid ones."""
    point = engine_entry_points().get(canonical_engine(name))
    if point is None:
        raise VoiceroutineError(unknown_engine(name))
    try:
        factory = point.load()
    except ImportError as error:
        package = f" (from {point.dist.name})" if point.dist else ""
        raise VoiceroutineError(
            f"the speech engine '{name}'{package} cannot be loaded: {error}"
        ) from None
    return factory()


@dataclass(frozen=True)
class EngineSpec:
    """An engine by its registered name: small and picklable, so that worker processes can
    each build the same engine for themselves."""

    name: str

    def create(self) -> Engine:
        return create_engine(self.name)
