"""The command line as a user runs it: the bundled routines, every command, and a fast start."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from audio_tools import decode
from cli_tools import run_cli

ROOT = Path(__file__).resolve().parent.parent
ROUTINES = sorted((ROOT / "routines").glob("*.yaml"))


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = run_cli("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("build", "check", "plan", "voices"):
        assert command in result.stdout


def test_version(tmp_path: Path) -> None:
    result = run_cli("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert re.fullmatch(r"voiceroutine \d+\.\d+\.\d+\n", result.stdout)


HELP_PROBE = """\
import sys
sys.argv = ["voiceroutine", *sys.argv[1:]]
from voiceroutine.launch import main
try:
    main()
except SystemExit:
    pass
heavy = {"pydantic", "yaml", "rich.console", "numpy", "platformdirs", "voiceroutine.api",
    "voiceroutine.routine", "voiceroutine.compile", "voiceroutine.loader", "voiceroutine.batch",
    "voiceroutine.timeline", "voiceroutine.tts.registry"}
if "typer._adapters" in sys.modules:  # typer reads the options before a command through pydantic
    heavy.discard("pydantic")
print("loaded:", sorted(set(sys.modules) & heavy), file=sys.stderr)
"""


@pytest.mark.parametrize("command", [[], ["build"], ["check"], ["exercises"]])
def test_help_imports_neither_the_api_nor_pydantic(command: list[str], tmp_path: Path) -> None:
    # What --help costs is typer and the option lists; the commands import the API as they run.
    env = {**os.environ, "VOICEROUTINE_CONFIG": str(tmp_path / "none.yaml")}
    result = subprocess.run(
        [sys.executable, "-c", HELP_PROBE, *command, "--help"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    assert "Usage: voiceroutine" in result.stdout and "--help" in result.stdout
    assert result.stderr.splitlines()[-1] == "loaded: []"


def test_help_check_and_plan_do_not_load_audio_libraries() -> None:
    # check asks the routine's engine for its voice (pyttsx3 lists eSpeak's voices), but
    # decodes nothing and loads no audio library for a routine without sound files.
    probe = (
        "import sys\n"
        "from voiceroutine import cli, api\n"
        "api.check(__import__('pathlib').Path(sys.argv[1]))\n"
        "heavy = {'numpy', 'pydub', 'soxr', 'imageio_ffmpeg', 'mutagen',"
        " 'piper', 'onnxruntime'}\n"
        "heavy &= set(sys.modules)\n"
        "print(sorted(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(ROUTINES[0])], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("routine", ROUTINES, ids=[path.stem for path in ROUTINES])
def test_bundled_routines_check_clean(routine: Path, tmp_path: Path) -> None:
    result = run_cli("check", str(routine), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    program = "program:" in routine.read_text(encoding="utf-8")
    assert result.stdout.startswith(f"ok {routine}: {'a program of' if program else 'about'} ")


def test_bundled_routines_have_their_advertised_lengths(tmp_path: Path) -> None:
    minutes = {}
    for routine in ROUTINES:
        result = run_cli("plan", "--json", str(routine), cwd=tmp_path)
        minutes[routine.stem] = json.loads(result.stdout)["duration_ms"] / 60_000
    assert 13 <= minutes["evening"] <= 17
    assert 8 <= minutes["morning"] <= 12
    assert 4 <= minutes["desk-break"] <= 6


def test_plan_prints_a_table_and_json(tmp_path: Path) -> None:
    routine = ROOT / "routines" / "desk-break.yaml"
    table = run_cli("plan", str(routine), cwd=tmp_path)
    assert table.returncode == 0
    assert "0:00.500" in table.stdout and "Introduction" in table.stdout
    data = json.loads(run_cli("plan", "--json", str(routine), cwd=tmp_path).stdout)
    assert data["title"] and data["cues"] and data["segments"] and data["chapters"]


def test_plan_with_an_engine_uses_real_clip_lengths(tmp_path: Path) -> None:
    routine = ROOT / "routines" / "desk-break.yaml"
    estimated = json.loads(run_cli("plan", "--json", str(routine), cwd=tmp_path).stdout)
    spoken = json.loads(
        run_cli("plan", "--json", "--engine", "pyttsx3", str(routine), cwd=tmp_path).stdout
    )

    # The same lines, but for the length the introduction announces: spoken, it is the real one.
    def opening(timeline: dict) -> list[str]:
        return [c["text"] for c in timeline["cues"][:6] if "minute" not in (c["text"] or "")]

    assert opening(spoken) == opening(estimated)
    announced = next(c["text"] for c in spoken["cues"] if "minute" in (c["text"] or ""))
    assert announced == f"This session takes about {round(spoken['duration_ms'] / 60_000)} minutes."
    assert spoken["duration_ms"] != estimated["duration_ms"]
    assert abs(spoken["duration_ms"] - estimated["duration_ms"]) < 0.1 * spoken["duration_ms"]


def test_voices_lists_english_voices(tmp_path: Path) -> None:
    result = run_cli("voices", "--language", "en", cwd=tmp_path)
    assert result.returncode == 0
    assert "gmw/en-US" in result.stdout
    assert "German" not in result.stdout


def test_unknown_engine_lists_the_valid_ones(tmp_path: Path) -> None:
    result = run_cli("voices", "--engine", "nope", cwd=tmp_path)
    assert result.returncode == 1
    assert "unknown speech engine 'nope'; choose one of: piper, pyttsx3" in result.stderr


def test_build_the_evening_routine_as_the_readme_says(tmp_path: Path) -> None:
    """The README's first command, into the default output folder."""
    routine = tmp_path / "evening.yaml"
    routine.write_text((ROOT / "routines" / "evening.yaml").read_text(encoding="utf-8"))
    result = run_cli("build", "evening.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Audio saved" not in result.stdout + result.stderr
    out = tmp_path / "output"
    assert sorted(p.name for p in out.iterdir()) == [
        "evening.chapters.json",
        "evening.json",
        "evening.mp3",
        "evening.vtt",
    ]
    assert re.match(r"built output/evening\.mp3  1\d:\d\d  \d+\.\d MB", result.stdout)
    timeline = json.loads((out / "evening.json").read_text(encoding="utf-8"))
    decoded_ms = len(decode(out / "evening.mp3")) * 1000 / 44_100
    assert abs(decoded_ms - timeline["duration_ms"]) <= 50
    assert 13 * 60_000 <= timeline["duration_ms"] <= 17 * 60_000

    again = run_cli("build", "evening.yaml", "--voice", "en-us", "--rate", "160", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "from cache" in again.stdout


def test_check_takes_many_files_lists_their_chapters_and_reports_each_problem(
    tmp_path: Path,
) -> None:
    (tmp_path / "good.yaml").write_text("title: Good\nsteps:\n  - exercise: bridge\n")
    (tmp_path / "bad.yaml").write_text("title: Bad\nsteps:\n  - exercise: bridgee\n")
    result = run_cli("check", "good.yaml", "bad.yaml", "good.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.count("ok good.yaml: about ") == 1  # named twice, checked once
    chapters = [line.split(maxsplit=1) for line in result.stdout.splitlines()[1:]]
    assert [title for _, title in chapters] == ["Introduction", "Bridge", "Closing"]
    assert all(re.fullmatch(r"\d+:\d\d", length) for length, _ in chapters)
    assert result.stderr.startswith("error: bad.yaml:3:15: exercise: unknown exercise")


def test_plan_takes_many_files(tmp_path: Path) -> None:
    for name in ("one", "two"):
        (tmp_path / f"{name}.yaml").write_text(f"title: {name}\nsteps:\n  - say: Hello.\n")
    result = run_cli("plan", "one.yaml", "two.yaml", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [timeline["title"] for timeline in json.loads(result.stdout)] == ["one", "two"]


def test_voices_for_a_language_no_voice_speaks_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("voices", "--language", "xx", cwd=tmp_path)
    assert result.returncode == 2
    assert "no installed voice speaks 'xx'" in result.stderr
    german = run_cli("voices", "--language", "de", cwd=tmp_path)
    assert german.returncode == 0 and "German" in german.stdout


def test_max_hours_works_after_the_command_too(tmp_path: Path) -> None:
    (tmp_path / "long.yaml").write_text("title: Long\nsteps:\n" + "  - rest: 1h\n" * 13)
    assert run_cli("check", "long.yaml", cwd=tmp_path).returncode == 1
    for args in (
        ["--max-hours", "16", "check", "long.yaml"],
        ["check", "long.yaml", "--max-hours", "16"],
    ):
        result = run_cli(*args, cwd=tmp_path)
        assert result.returncode == 0, (args, result.stderr)
