"""The JSON Schema of the routine format, generated from the pydantic models, for editors."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

from voiceroutine.routine import Routine

SCHEMA_ID = "voiceroutine:routine.schema.json"
SCHEMA_LINE_PREFIX = "# yaml-language-server: $schema="


def routine_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) that every routine file satisfies."""
    schema = Routine.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "voiceroutine routine",
        "description": "A routine that voiceroutine turns into a voice-guided audio session.",
        **{key: value for key, value in schema.items() if key != "title"},
    }


DATA_DIR_ENV = "VOICEROUTINE_DATA_DIR"
SCHEMA_FILE = "routine.schema.json"


def schema_reference(routine: Path) -> str:
    """How a new routine at `routine` points editors at the schema, in a way that survives
    reinstalls: a relative path to a routine.schema.json in its folder or in a schema/ folder
    above it (as in this project's routines/), else the file URI of a copy kept in the user
    data folder, written afresh each time so that it follows upgrades."""
    folder = routine.resolve().parent
    for candidate in (
        folder / SCHEMA_FILE,
        *(up / "schema" / SCHEMA_FILE for up in folder.parents),
    ):
        if candidate.is_file():
            return os.path.relpath(candidate, folder).replace(os.sep, "/")
    copy = user_data_folder() / SCHEMA_FILE
    copy.parent.mkdir(parents=True, exist_ok=True)
    temporary = copy.with_name(f".{SCHEMA_FILE}.{os.getpid()}.partial")
    temporary.write_bytes(installed_schema_path().read_bytes())
    os.replace(temporary, copy)
    return copy.as_uri()


def user_data_folder() -> Path:
    """$VOICEROUTINE_DATA_DIR, else the platform's user data folder for voiceroutine."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    from platformdirs import user_data_path

    return user_data_path("voiceroutine", appauthor=False)


def installed_schema_path() -> Path:
    """Where the schema file that ships with the package lies."""
    return Path(str(resources.files("voiceroutine") / "jsonschema" / "routine.schema.json"))
