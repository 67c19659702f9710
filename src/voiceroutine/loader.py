"""Read a routine file into a validated Routine with its catalogue; problems as file:line:col."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from voiceroutine.access import NO_ALLOWANCES, Allowances, ReadAccess
from voiceroutine.compile import size_problem
from voiceroutine.errors import Place, SourceWarning, VoiceroutineError
from voiceroutine.languages import bundled_language
from voiceroutine.library.catalogue import Catalogue, load_catalogue, load_library_file
from voiceroutine.library.phrasebook import load_phrasebook
from voiceroutine.personal.template import filled_with_defaults
from voiceroutine.routine import LoadContext, Routine
from voiceroutine.tts.registry import engine_names
from voiceroutine.wording import ROUTINE_WORDING
from voiceroutine.yamlsource import (
    SourceNode,
    parse_source,
    place_naming,
    place_of,
    printable,
    read_source,
    validate,
)


def load_routine(
    path: Path,
    allowances: Allowances = NO_ALLOWANCES,
    warnings: list[SourceWarning] | None = None,
) -> Routine:
    """Load and validate the routine at `path`; raise VoiceroutineError with a place.

    Files it names must lie in its folder or one the user allows, and it may
    last no longer than the user allows (12 hours unless configured). YAML
    that is valid but probably not meant (`reps: 010` is 8) goes to `warnings`.
    """
    return parse_routine(read_source(path), path, allowances, warnings)


def place_in_routine(path: Path, *keys: Any) -> Place:
    """Where the value at `keys` stands in the routine at `path` (a valid routine: it was
    loaded before), or as near to it as the file has."""
    return place_of(_source_of(path), path, *keys)


def place_of_file_named(path: Path, media: Path) -> Place:
    """Where the routine at `path` names the file `media` (its value, as written, is a part
    of the file's absolute path)."""
    return place_naming(_source_of(path), path, str(media))


def _source_of(path: Path) -> SourceNode:
    """The routine's YAML read again, with its positions (only to place an error)."""
    return parse_source(read_source(path), path, "routine")


def parse_routine(
    text: str,
    path: Path,
    allowances: Allowances = NO_ALLOWANCES,
    warnings: list[SourceWarning] | None = None,
) -> Routine:
    """Validate routine YAML `text`; `path` names the place of errors and anchors `library:`."""
    fill = filled_with_defaults(path)
    root = parse_source(text, path, "routine with a title and steps", warnings=warnings, fill=fill)
    return validate_routine(root, path, allowances)


def validate_routine(
    root: SourceNode, path: Path, allowances: Allowances = NO_ALLOWANCES
) -> Routine:
    """Validate parsed routine data (a routine file's, or a program's session made into one)."""
    access = allowances.read_access(path)
    catalogue = routine_catalogue(root, path, access)
    context = LoadContext(
        catalogue.exercises, catalogue.breathing, path.parent, access, tuple(engine_names())
    )
    routine = validate(Routine, root, path, context, ROUTINE_WORDING)
    limit_ms = allowances.session_limit_ms()
    problem = size_problem(routine, load_phrasebook(routine.voice.language), limit_ms)
    if problem is not None:
        keys = [key for index in problem.step_path for key in ("steps", index)]
        raise VoiceroutineError(problem.message, place_of(root, path, *keys))
    return routine


def routine_catalogue(root: SourceNode, path: Path, access: ReadAccess) -> Catalogue:
    """The built-in catalogue in the routine's language, plus the routine's own `library:` file."""
    catalogue = load_catalogue(_language_of(root))
    library = root.value.get("library")
    if not isinstance(library, str):
        return catalogue  # absent, or wrong and reported by validation
    try:
        local = (path.parent / library).resolve()
        permitted = access.permits(local)
        found = local.is_file()
    except (OSError, ValueError):  # a NUL byte, a name too long for the system, a loop
        raise VoiceroutineError(
            f"library file '{printable(library)}' is not a valid file name",
            place_of(root, path, "library"),
        ) from None
    if not permitted:
        raise VoiceroutineError(access.refusal(library), place_of(root, path, "library"))
    if not found:
        raise VoiceroutineError(
            f"library file '{printable(library)}' not found next to the routine",
            place_of(root, path, "library"),
        )
    return catalogue.merged_with(load_library_file(local))


def _language_of(root: SourceNode) -> str:
    voice = root.value.get("voice")
    language = voice.get("language") if isinstance(voice, dict) else None
    if isinstance(language, str) and bundled_language(language) is not None:
        return language
    return "en"  # an invalid language is reported by validation
