"""Engines as plugins: found through entry points, a third-party one included, and clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli_tools import run_cli
from voiceroutine.errors import VoiceroutineError
from voiceroutine.tts.registry import (
    ENTRY_POINT_GROUP,
    EngineSpec,
    engine_entry_points,
    engine_names,
)

PLUGIN = Path(__file__).parent / "data" / "plugin"
"""A package as pip leaves it: a module and its dist-info with an entry_points.txt."""


def run_with_plugin(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI with the test package's folder on sys.path, where importlib.metadata finds it."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PLUGIN), *sys.path])}
    env.update(NO_COLOR="1", TERM="dumb", COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "voiceroutine", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_built_in_engines_are_registered_as_entry_points() -> None:
    points = engine_entry_points()
    assert {"pyttsx3", "piper"} <= set(points)
    assert points["piper"].group == ENTRY_POINT_GROUP
    assert points["piper"].value == "voiceroutine.tts.piper_engine:PiperEngine"
    assert engine_names() == sorted(points)


def test_a_package_adds_an_engine_that_lists_voices_and_builds(tmp_path: Path) -> None:
    voices = run_with_plugin("voices", "--engine", "tone", cwd=tmp_path)
    assert voices.returncode == 0, voices.stderr
    assert "│ en       │ tone   │ beep │ Beep" in voices.stdout

    routine = tmp_path / "beeps.yaml"
    routine.write_text(
        "title: Beeps\nintro: false\noutro: false\naudio: {bell: false}\n"
        "voice: {engine: tone}\nsteps:\n  - say: One line.\n  - pause: 1s\n"
        "  - say: And a longer second line.\n",
        encoding="utf-8",
    )
    built = run_with_plugin("build", "beeps.yaml", "--format", "wav", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    timeline = json.loads((tmp_path / "output" / "beeps.json").read_text(encoding="utf-8"))
    # An engine without voice_id is recorded by its identity's voice.
    assert timeline["voice"] == {"engine": "tone", "voice": "beep", "language": "en"}
    lengths = {c["text"]: c["end_ms"] - c["start_ms"] for c in timeline["cues"] if c["text"]}
    # 30 ms per character, as the plugin speaks; the ends are faded, not trimmed away.
    assert abs(lengths["And a longer second line."] - 30 * 25) <= 5, lengths
    assert abs(lengths["One line."] - 30 * 9) <= 5, lengths


def test_without_the_plugin_its_engine_is_unknown_and_the_choices_listed(tmp_path: Path) -> None:
    routine = tmp_path / "beeps.yaml"
    routine.write_text("title: Beeps\nvoice: {engine: tone}\nsteps:\n  - say: Hi.\n")
    result = run_cli("check", "beeps.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: beeps.yaml:2:17: engine: unknown speech engine 'tone'; "
        f"choose one of: {', '.join(engine_names())}, espeak"
    )


def test_an_engine_that_cannot_be_imported_is_named_with_its_package(tmp_path: Path) -> None:
    result = run_with_plugin("voices", "--engine", "broken", cwd=tmp_path)
    assert result.returncode == 1
    assert "the speech engine 'broken' (from voiceroutine-tone-engine) cannot be loaded" in (
        result.stderr
    )
    every = run_with_plugin("voices", cwd=tmp_path)
    assert every.returncode == 0, every.stderr
    assert "broken: not available" in every.stdout and "│ tone    │ beep" in every.stdout


def test_piper_without_the_extra_says_what_to_install(tmp_path: Path) -> None:
    """A Python where the piper package cannot be found, as without the neural extra."""
    routine = tmp_path / "natural.yaml"
    routine.write_text("title: Natural\nvoice: {engine: piper}\nsteps:\n  - say: Hi.\n")
    probe = (
        "import sys\n"
        "sys.modules['piper'] = None  # as if piper-tts were not installed\n"
        "from voiceroutine.cli import main\n"
        "sys.argv = ['voiceroutine', *sys.argv[1:]]\n"
        "main()\n"
    )
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-c", probe, "build", "natural.yaml"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: natural.yaml:2:17: the piper speech engine is not installed; "
        "pip install piper-tts, or speak with eSpeak NG (engine: espeak)"
    )
    assert not (tmp_path / "output").exists()


def test_an_engine_spec_travels_to_another_process_and_makes_the_engine_there() -> None:
    import pickle

    spec = pickle.loads(pickle.dumps(EngineSpec("pyttsx3")))
    assert spec == EngineSpec("pyttsx3")
    assert spec.create().name == "pyttsx3"
    with pytest.raises(VoiceroutineError, match="unknown speech engine 'nope'"):
        EngineSpec("nope").create()
