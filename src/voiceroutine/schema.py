"""The JSON Schema of the routine format, generated from the pydantic models, for editors."""

from __future__ import annotations

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


def installed_schema_path() -> Path:
    """Where the schema file that ships with the package lies."""
    return Path(str(resources.files("voiceroutine") / "jsonschema" / "routine.schema.json"))
