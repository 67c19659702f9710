"""The console script on bad input: one error line, the right exit code, no files written."""

import re
import shutil
from pathlib import Path

import pytest

from cli_tools import run_cli

BAD_DIR = Path(__file__).parent / "data" / "bad"
EXPECT = re.compile(r"# expect: (\d+):(\d+): (.+)")

# Bad files whose place the loader reports correctly (see test_loader.KNOWN_WRONG).
CLI_BAD_FILES = [
    "unknown_top_key_titel.yaml",
    "duration_forever.yaml",
    "step_two_kinds.yaml",
    "yaml_bad_indentation.yaml",
    "empty_file.yaml",
]


def bad_copy(name: str, folder: Path) -> tuple[str, str, str]:
    """Copy a bad file into `folder`; return its name, the error prefix and message substring."""
    shutil.copy(BAD_DIR / name, folder / name)
    first_line = (BAD_DIR / name).read_text(encoding="utf-8").split("\n", 1)[0]
    match = EXPECT.fullmatch(first_line)
    assert match
    line, column, substring = match.groups()
    return name, f"error: {name}:{line}:{column}: ", substring


def nonblank_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("name", CLI_BAD_FILES)
def test_check_bad_file(tmp_path, name):
    name, prefix, substring = bad_copy(name, tmp_path)
    result = run_cli("check", name, cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(prefix)
    assert substring in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""


@pytest.mark.parametrize("name", CLI_BAD_FILES)
def test_build_bad_file_writes_nothing(tmp_path, name):
    name, prefix, substring = bad_copy(name, tmp_path)
    out = tmp_path / "out"
    result = run_cli("build", "-o", "out", name, cwd=tmp_path)
    assert result.returncode == 1
    lines = nonblank_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(prefix)
    assert substring in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert not out.exists() or list(out.iterdir()) == []
    assert not (tmp_path / "output").exists()


def test_build_bad_file_prints_exactly_one_line(tmp_path):
    name, _, _ = bad_copy("duration_forever.yaml", tmp_path)
    result = run_cli("build", "-o", "out", name, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == nonblank_lines(result.stderr)
    assert len(result.stderr.splitlines()) == 1


def test_failed_build_leaves_previous_audio_untouched(tmp_path):
    name, prefix, _ = bad_copy("duration_forever.yaml", tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    previous = out / "duration_forever.mp3"
    old_bytes = b"ID3 a previous session \x00\xff\x10 not to be touched"
    previous.write_bytes(old_bytes)
    result = run_cli("build", "-o", "out", name, cwd=tmp_path)
    assert result.returncode == 1
    assert nonblank_lines(result.stderr)[0].startswith(prefix)
    assert previous.read_bytes() == old_bytes
    assert sorted(path.name for path in out.iterdir()) == ["duration_forever.mp3"]


@pytest.mark.parametrize(
    "args",
    [
        ("check", "--no-such-option", "routine.yaml"),
        ("build", "--no-such-option", "routine.yaml"),
        ("check",),
        ("build", "-o", "out"),
    ],
    ids=["check-unknown-option", "build-unknown-option", "check-no-file", "build-no-file"],
)
def test_usage_error_exits_2(tmp_path, args):
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "Usage:" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", [("check",), ("build", "-o", "out")])
def test_missing_file_exits_1_naming_it(tmp_path, command):
    result = run_cli(*command, "no_such_routine.yaml", cwd=tmp_path)
    assert result.returncode == 1
    lines = nonblank_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: no_such_routine.yaml")
    assert "no such file" in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_debug_shows_traceback(tmp_path):
    name, _, substring = bad_copy("duration_forever.yaml", tmp_path)
    result = run_cli("--debug", "check", name, cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback" in result.stderr
    assert "VoiceroutineError" in result.stderr
    assert substring in result.stderr
