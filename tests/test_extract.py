"""`voiceroutine extract`: a built file gives back its routine and its own library."""

from __future__ import annotations

from pathlib import Path

from cli_tools import run_cli
from fakes import ToneEngine
from voiceroutine import api

LIBRARY = """\
# My own exercises; comments survive.
exercises:
  - id: wall-sit
    name: Wall sit
    instructions: Slide down the wall until your knees are bent.
    hold: 5s
    reps: 1
"""
ROUTINE = "title: Own moves\nlibrary: moves/mine.yaml\nsteps:\n  - exercise: wall-sit\n"


def _built(tmp_path: Path) -> Path:
    folder = tmp_path / "made"
    (folder / "moves").mkdir(parents=True)
    (folder / "moves" / "mine.yaml").write_text(LIBRARY, encoding="utf-8")
    routine = folder / "own.yaml"
    routine.write_text(ROUTINE, encoding="utf-8")
    options = api.BuildOptions(out_dir=tmp_path / "out", audio_format="opus")
    return api.build(routine, options, ToneEngine()).audio


def test_a_routine_with_its_own_library_is_extracted_whole_and_checks(tmp_path: Path) -> None:
    audio = _built(tmp_path)
    received = tmp_path / "received"
    received.mkdir()

    shown = run_cli("extract", str(audio), cwd=received)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == ROUTINE
    assert "library 'moves/mine.yaml'; -o FILE writes both" in shown.stderr

    written = run_cli("extract", str(audio), "-o", "again.yaml", cwd=received)
    assert written.returncode == 0, written.stderr
    assert (received / "again.yaml").read_text(encoding="utf-8") == ROUTINE
    assert (received / "moves" / "mine.yaml").read_text(encoding="utf-8") == LIBRARY
    checked = run_cli("check", "again.yaml", "--no-chapters", cwd=received)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith("ok again.yaml: about ")


def test_extract_overwrites_neither_file(tmp_path: Path) -> None:
    audio = _built(tmp_path)
    received = tmp_path / "received"
    (received / "moves").mkdir(parents=True)
    (received / "moves" / "mine.yaml").write_text("mine, not the file's\n", encoding="utf-8")

    result = run_cli("extract", str(audio), "-o", "again.yaml", cwd=received)
    assert result.returncode == 1
    assert "moves/mine.yaml: already exists" in result.stderr
    assert not (received / "again.yaml").exists()
    assert (received / "moves" / "mine.yaml").read_text() == "mine, not the file's\n"


def test_a_routine_without_a_library_extracts_alone(tmp_path: Path) -> None:
    routine = tmp_path / "plain.yaml"
    routine.write_text("title: Plain\nsteps:\n  - say: Hello.\n", encoding="utf-8")
    audio = api.build(routine, api.BuildOptions(out_dir=tmp_path / "out"), ToneEngine()).audio
    extracted = api.extract(audio)
    assert extracted == api.Extracted("title: Plain\nsteps:\n  - say: Hello.\n")
