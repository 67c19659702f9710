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


def _tone(path: Path, seconds: float) -> None:
    import wave

    import numpy as np

    t = np.arange(int(44_100 * seconds)) / 44_100
    with wave.open(str(path), "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(44_100)
        file.writeframes((np.sin(2 * np.pi * 220 * t) * 8000).astype("<i2").tobytes())


# What check passed while build refused it, with no place: each now refused by both, at the
# routine's line. (routine, files beside it, expected "LINE:COL: message" part)
REFUSED_BY_BOTH = {
    "unknown voice name": (
        "title: V\nvoice:\n  name: nobody-at-all\nsteps:\n  - say: Hello\n",
        {},
        "3:9: no pyttsx3 voice named 'nobody-at-all'",
    ),
    "music that is not audio": (
        "title: M\naudio:\n  music: song.mp3\nsteps:\n  - say: Hello\n",
        {"song.mp3": lambda path: path.write_text("not audio")},
        "3:10: song.mp3: cannot read the music file as audio",
    ),
    "music too short to loop": (
        "title: M\naudio:\n  music: blip.wav\nsteps:\n  - say: Hello\n",
        {"blip.wav": lambda path: _tone(path, 1.0)},
        "3:10: blip.wav: the music file is too short to loop",
    ),
    "sound that is not audio": (
        "title: S\ndefaults:\n  sounds: {rest_end: ding.wav}\nsteps:\n  - rest: 5s\n",
        {"ding.wav": lambda path: path.write_bytes(b"RIFF....WAVEjunk")},
        "3:22: ding.wav: cannot read the sound file as audio",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED_BY_BOTH))
def test_check_refuses_what_build_refuses_at_the_same_place(tmp_path: Path, case: str) -> None:
    text, files, expected = REFUSED_BY_BOTH[case]
    (tmp_path / "routine.yaml").write_text(text)
    for name, make in files.items():
        make(tmp_path / name)
    for command in (["check"], ["build", "-o", "out"]):
        result = run_cli(*command, "routine.yaml", cwd=tmp_path)
        assert result.returncode == 1, (command, result.stderr)
        lines = nonblank_lines(result.stderr)
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(f"error: routine.yaml:{expected}"), (command, lines[0])
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--sample-rate", "0"], "0 Hz is not a rate any format is written at"),
        (["--sample-rate", "1000"], "1000 Hz is not a rate any format is written at"),
        (["--engine", "nope"], "unknown speech engine 'nope'"),
        (["--format", "opus", "--sample-rate", "44100"], "opus cannot be 44100 Hz"),
    ],
)
def test_impossible_build_options_are_usage_errors(
    tmp_path: Path, options: list[str], message: str
) -> None:
    (tmp_path / "routine.yaml").write_text("title: R\nsteps:\n  - say: Hello\n")
    result = run_cli("build", *options, "routine.yaml", "-o", "out", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert not (tmp_path / "out").exists()


def test_routines_that_would_write_the_same_files_are_refused_before_building(
    tmp_path: Path,
) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "session.yaml").write_text("title: R\nsteps:\n  - say: Hello\n")
    result = run_cli("build", "a/session.yaml", "b/session.yaml", "-o", "out", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "a/session.yaml and b/session.yaml would both write session.*" in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_same_routine_named_twice_is_built_once(tmp_path: Path) -> None:
    (tmp_path / "routine.yaml").write_text("title: R\nsteps:\n  - say: Hello\n")
    result = run_cli("build", "routine.yaml", "./routine.yaml", "-o", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("built ") == 1, result.stdout


def test_a_bitrate_for_a_lossless_format_gets_a_note(tmp_path: Path) -> None:
    (tmp_path / "routine.yaml").write_text("title: R\nsteps:\n  - say: Hello\n")
    result = run_cli(
        "build", "routine.yaml", "--format", "flac", "--bitrate", "96", "-o", "out", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "note: --bitrate does not apply to flac, which is lossless" in result.stderr


def test_every_problem_is_listed_each_at_its_place(tmp_path: Path) -> None:
    (tmp_path / "two.yaml").write_text(
        "title: Two problems\nsteps:\n  - exercise: bridge\n    reps: many\n  - rest: forever\n"
    )
    for command in (["check"], ["build", "-o", "out"]):
        result = run_cli(*command, "two.yaml", cwd=tmp_path)
        assert result.returncode == 1
        lines = nonblank_lines(result.stderr)
        assert [line.split(": ", 2)[1] for line in lines] == ["two.yaml:4:11", "two.yaml:5:11"]
        assert "more problem" not in result.stderr
