"""The JSON Schema of the routine format, generated from the pydantic models, for editors."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

from voiceroutine.names import ID_PATTERN
from voiceroutine.routine import Routine

SCHEMA_ID = "voiceroutine:routine.schema.json"
SCHEMA_LINE_PREFIX = "# yaml-language-server: $schema="


def routine_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) that every routine file and every program file satisfies."""
    routine = Routine.model_json_schema()
    defs: dict[str, Any] = routine.pop("$defs")
    routine.pop("title")
    defs["Routine"] = routine
    defs.update(_program_defs(routine, defs))
    _allow_variables(defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "voiceroutine routine or program",
        "description": (
            "A routine that voiceroutine turns into a voice-guided audio session, or a program: "
            "a course of such sessions over weeks."
        ),
        "$defs": defs,
        "anyOf": [{"$ref": "#/$defs/Routine"}, {"$ref": "#/$defs/Program"}],
    }


VARIABLE_SCHEMA = {
    "type": "string",
    "pattern": r"^\{[A-Za-z_][A-Za-z0-9_]*\}$",
    "description": "a template's variable: each person's value (--each people.csv), or its "
    "default under variables:",
}


def _allow_variables(schema: Any) -> None:
    """Let every value that is a number, a choice or a pattern be a variable, as in a template
    (`reps: "{reps}"`): lists and mappings stay as they are, and their items are let too."""
    if isinstance(schema, list):
        for item in schema:
            _allow_variables(item)
        return
    if not isinstance(schema, dict):
        return
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            for name, property_schema in value.items():
                if _scalar_schema(property_schema):
                    value[name] = _or_variable(property_schema)
                else:
                    _allow_variables(property_schema)
        else:
            _allow_variables(value)


def _or_variable(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema`, or a variable: one more choice in its anyOf, where it is a list of choices."""
    if "anyOf" in schema and set(schema) <= {"anyOf", "default", "title", "description"}:
        return {**schema, "anyOf": [*schema["anyOf"], VARIABLE_SCHEMA]}
    return {"anyOf": [schema, VARIABLE_SCHEMA]}


def _scalar_schema(schema: Any) -> bool:
    """Whether a schema only ever takes scalars: no object, list or reference inside."""
    import json

    text = json.dumps(schema)
    return not any(mark in text for mark in ('"$ref"', '"object"', '"array"', '"properties"'))


def _program_defs(routine: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """A program's schema: a routine's top level without steps, the `program:` block, and
    sessions whose steps (every kind, inside repeats too) may carry a schedule of their own."""
    import json

    from voiceroutine.program.model import Schedule, StepSchedule

    schedule = Schedule.model_json_schema()
    added: dict[str, Any] = schedule.pop("$defs")
    added["ProgramSchedule"] = schedule
    step_keys = StepSchedule.model_json_schema()["properties"]
    kinds = [
        item["$ref"].rsplit("/", 1)[1] for item in routine["properties"]["steps"]["items"]["oneOf"]
    ]
    for kind in kinds:
        text = json.dumps(defs[kind])
        for other in kinds:  # a repeat in a session holds session steps
            text = text.replace(f'"#/$defs/{other}"', f'"#/$defs/Session{other}"')
        step = json.loads(text)
        step["properties"] = {**step["properties"], **step_keys}
        step["title"] = f"Session{kind}"
        added[f"Session{kind}"] = step
    shared = {key: value for key, value in routine["properties"].items() if key != "steps"}
    steps = json.loads(
        json.dumps(routine["properties"]["steps"]).replace('"#/$defs/', '"#/$defs/Session')
    )
    added["Session"] = {
        "type": "object",
        "additionalProperties": False,
        "description": "A session of the course: a routine body, its keys over the program's.",
        "properties": {**shared, "steps": steps},
        "required": ["steps"],
    }
    added["Program"] = {
        "type": "object",
        "additionalProperties": False,
        "description": "A course of sessions over weeks; its top level is shared by every session.",
        "properties": {
            **shared,
            "program": {"$ref": "#/$defs/ProgramSchedule"},
            "sessions": {
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"pattern": ID_PATTERN},
                "additionalProperties": {"$ref": "#/$defs/Session"},
            },
        },
        "required": ["program", "sessions"],
    }
    return added


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
