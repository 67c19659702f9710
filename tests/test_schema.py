"""The JSON Schema editors use: generated from the models, committed, and true to the loader."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest
import yaml

from voiceroutine.errors import VoiceroutineError
from voiceroutine.loader import load_routine
from voiceroutine.schema import SCHEMA_LINE_PREFIX, routine_schema
from voiceroutine.starter import bundled_examples, write_new_routine

ROOT = Path(__file__).resolve().parent.parent
ROUTINES = sorted((ROOT / "routines").glob("*.yaml"))
BAD = sorted((ROOT / "tests" / "data" / "bad").glob("*.yaml"))
VALIDATOR = jsonschema.Draft202012Validator(routine_schema())

# Bad routines whose problem a schema cannot see: YAML syntax, duplicate keys,
# ids and languages only known at run time, files next to the routine, rules
# across fields, and limits.
NOT_SCHEMA_ERRORS = {
    "alias_loop",
    "cover_not_an_image",
    "opus_at_44100",
    "breathe_cycles_and_duration",
    "breathe_pattern_cycles_and_duration",
    "duplicate_key",
    "empty_file",
    "library_missing",
    "tab_indentation",
    "unknown_breathing_id",
    "unknown_exercise_id",
    "voice_engine_unknown",
    "voice_language_unknown",
    "voice_piper_file_missing",
    "yaml_bad_indentation",
    "yaml_unclosed_bracket",
    "yaml_unclosed_quote",
    "not_utf8_latin1",
    "tempo_beside_a_catalogue_hold",
    "tempo_and_hold_inline",
    # Limits: alias expansion, the size of numbers, durations and sessions, nesting.
    "alias_billion_laughs",
    "hold_too_long",
    "key_null",
    "library_name_with_nul",
    "merge_key_laughs",
    "merge_key_not_a_mapping",
    "pause_float_overflow",
    "repeat_nested_too_deep",
    "repeat_product_too_long",
    "repeat_product_too_many_steps",
    "reps_ten_thousand_digits",
    "say_lines_repeated_past_the_limit",
    "session_too_long",
    "tag_int_not_a_number",
}


def test_the_committed_schema_is_the_generated_one() -> None:
    committed = json.loads((ROOT / "schema" / "routine.schema.json").read_text(encoding="utf-8"))
    assert committed == routine_schema(), "run: voiceroutine schema > schema/routine.schema.json"


def test_the_schema_is_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(routine_schema())


@pytest.mark.parametrize("routine", ROUTINES, ids=[path.stem for path in ROUTINES])
def test_every_example_satisfies_the_schema_and_points_editors_at_it(routine: Path) -> None:
    text = routine.read_text(encoding="utf-8")
    assert text.splitlines()[0] == f"{SCHEMA_LINE_PREFIX}../schema/routine.schema.json"
    errors = [error.message for error in VALIDATOR.iter_errors(yaml.safe_load(text))]
    assert errors == []


@pytest.mark.parametrize("path", BAD, ids=[path.stem for path in BAD])
def test_the_schema_rejects_the_invalid_routines(path: Path) -> None:
    if path.stem in NOT_SCHEMA_ERRORS:
        with pytest.raises(VoiceroutineError):
            load_routine(path)  # the loader still refuses it
        return
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, ValueError):  # ValueError: a value YAML cannot construct
        data = None
    assert not VALIDATOR.is_valid(data), f"{path.name} passes the schema"


def test_new_writes_a_starter_that_loads_and_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "mine.yaml"
    write_new_routine(target)
    first_line = target.read_text(encoding="utf-8").splitlines()[0]
    # Not the installed package's file, which a reinstall moves: the user data folder's copy.
    copy = Path(os.environ["VOICEROUTINE_DATA_DIR"]) / "routine.schema.json"
    assert first_line == SCHEMA_LINE_PREFIX + copy.as_uri()
    assert json.loads(copy.read_text(encoding="utf-8")) == routine_schema()
    assert "site-packages" not in first_line
    assert load_routine(target).steps
    before = target.read_bytes()
    with pytest.raises(VoiceroutineError, match="already exists"):
        write_new_routine(target, "evening")
    assert target.read_bytes() == before


@pytest.mark.parametrize("name", ["evening", "desk-break"])
def test_new_from_a_bundled_example(name: str, tmp_path: Path) -> None:
    assert name in bundled_examples()
    target = tmp_path / f"{name}.yaml"
    write_new_routine(target, name)
    assert load_routine(target).title == load_routine(ROOT / "routines" / f"{name}.yaml").title


def doc_examples() -> list[tuple[str, str]]:
    """Every YAML block of the README and the docs that holds steps, as a whole routine (a
    title is added where the block leaves it out)."""
    found = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        blocks = text.split("```yaml\n")[1:]
        for index, block in enumerate(blocks):
            body = block.split("```", 1)[0]
            try:
                data = yaml.safe_load(body)
            except yaml.YAMLError:
                continue  # a fragment, not a routine
            if isinstance(data, list):  # a list of steps
                data = {"steps": data}
            if isinstance(data, dict) and "steps" in data:
                data.setdefault("title", "An example from the docs")
                found.append((f"{doc.name}#{index}", yaml.safe_dump(data, allow_unicode=True)))
    return found


@pytest.mark.parametrize(("where", "body"), doc_examples(), ids=[w for w, _ in doc_examples()])
def test_every_routine_in_the_docs_loads_and_satisfies_the_schema(
    where: str, body: str, tmp_path: Path
) -> None:
    from voiceroutine.loader import parse_routine

    data = yaml.safe_load(body)
    assert not list(VALIDATOR.iter_errors(data)), where
    # The files an example names (a cover, music, a library) are not here: load the rest.
    named = {"cover", "library"}
    trimmed = {key: value for key, value in data.items() if key not in named}
    if isinstance(trimmed.get("audio"), dict):
        trimmed["audio"] = {k: v for k, v in trimmed["audio"].items() if k != "music"}
    parse_routine(yaml.safe_dump(trimmed, allow_unicode=True), tmp_path / "example.yaml")


def test_the_docs_hold_routines_to_check() -> None:
    assert len(doc_examples()) >= 3


def test_new_points_at_a_schema_beside_it_by_a_relative_path(tmp_path: Path) -> None:
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "routine.schema.json").write_text("{}")
    target = tmp_path / "routines" / "deep" / "mine.yaml"  # folders that do not exist yet
    write_new_routine(target)
    first_line = target.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == SCHEMA_LINE_PREFIX + "../../schema/routine.schema.json"
    assert load_routine(target).steps


def test_the_schema_checks_programs_and_the_schedule_keys_of_their_steps() -> None:
    program = yaml.safe_load((ROOT / "routines" / "six-week-back.yaml").read_text("utf-8"))
    assert VALIDATOR.is_valid(program)
    step = program["sessions"]["strength"]["steps"][1]
    for key, value, valid in [
        ("from_week", 2, True),
        ("progress", "none", True),
        ("progress", {"hold": {"add": "-1s", "down_to": "2s"}}, True),
        ("from_wek", 2, False),
        ("progress", {"hold": {"add": "five"}}, False),
    ]:
        changed = {**step, key: value}
        program["sessions"]["strength"]["steps"][1] = changed
        assert VALIDATOR.is_valid(program) is valid, (key, value)
    # A step of a plain routine may not carry a schedule: only a program's sessions have weeks.
    routine = yaml.safe_load((ROOT / "routines" / "evening.yaml").read_text("utf-8"))
    routine["steps"][0] = {**routine["steps"][0], "from_week": 2}
    assert not VALIDATOR.is_valid(routine)
    assert not VALIDATOR.is_valid({**program, "program": {**program["program"], "weeks": 60}})
