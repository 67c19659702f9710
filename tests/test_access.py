"""A routine reads files from its own folder only, unless the user allows another folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from audio_tools import make_audio_file
from cli_tools import run_cli

ROUTINE = """\
title: Reach
audio:
  music: {music}
steps:
  - say: Settle in.
"""


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A routine folder and a folder beside it holding a sound file; no user config."""
    monkeypatch.setenv("VOICEROUTINE_CONFIG", str(tmp_path / "no-config.yaml"))
    routines = tmp_path / "routines"
    elsewhere = tmp_path / "elsewhere"
    routines.mkdir()
    elsewhere.mkdir()
    make_audio_file(elsewhere / "waves.wav", "sine=frequency=220", 5.0)
    return routines, elsewhere


def write(folder: Path, music: str, name: str = "routine.yaml") -> Path:
    path = folder / name
    path.write_text(ROUTINE.format(music=music), encoding="utf-8")
    return path


def assert_refused(result: object, name: str) -> None:
    assert result.returncode == 1
    assert "routine.yaml:3:10: " in result.stderr
    assert f"'{name}' is outside the routine's folder" in result.stderr
    assert "--allow-dir" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_file_in_the_routines_folder_or_below_is_read(layout: tuple[Path, Path]) -> None:
    routines, _ = layout
    (routines / "sounds").mkdir()
    make_audio_file(routines / "sounds" / "waves.wav", "sine=frequency=220", 5.0)  # loops
    write(routines, "sounds/waves.wav")
    result = run_cli("check", "routine.yaml", cwd=routines)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "reference", ["../elsewhere/waves.wav", "ABSOLUTE", "sounds/../../elsewhere/waves.wav"]
)
def test_a_path_leading_out_of_the_folder_is_refused(
    layout: tuple[Path, Path], reference: str
) -> None:
    routines, elsewhere = layout
    if reference == "ABSOLUTE":
        reference = str(elsewhere / "waves.wav")
    write(routines, reference)
    assert_refused(run_cli("check", "routine.yaml", cwd=routines), reference)


def test_a_symlink_leading_out_of_the_folder_is_refused(layout: tuple[Path, Path]) -> None:
    routines, elsewhere = layout
    (routines / "waves.wav").symlink_to(elsewhere / "waves.wav")
    write(routines, "waves.wav")
    assert_refused(run_cli("check", "routine.yaml", cwd=routines), "waves.wav")
    (routines / "linked").symlink_to(elsewhere, target_is_directory=True)
    write(routines, "linked/waves.wav")
    assert_refused(run_cli("check", "routine.yaml", cwd=routines), "linked/waves.wav")


def test_a_library_file_outside_the_folder_is_refused(layout: tuple[Path, Path]) -> None:
    routines, elsewhere = layout
    (elsewhere / "mine.yaml").write_text("exercises: []\n", encoding="utf-8")
    (routines / "routine.yaml").write_text(
        "title: Reach\nlibrary: ../elsewhere/mine.yaml\nsteps:\n  - say: Hello.\n",
        encoding="utf-8",
    )
    result = run_cli("check", "routine.yaml", cwd=routines)
    assert result.returncode == 1
    assert "routine.yaml:2:10: '../elsewhere/mine.yaml' is outside" in result.stderr


def test_allow_dir_on_the_command_line_lets_the_file_in(layout: tuple[Path, Path]) -> None:
    routines, elsewhere = layout
    write(routines, "../elsewhere/waves.wav")
    result = run_cli("--allow-dir", str(elsewhere), "check", "routine.yaml", cwd=routines)
    assert result.returncode == 0, result.stderr
    # Allowing one folder does not allow its parent.
    write(routines, "../elsewhere/../routines/../../outside.wav")
    result = run_cli("--allow-dir", str(elsewhere), "check", "routine.yaml", cwd=routines)
    assert result.returncode == 1


def test_allow_dirs_in_the_config_file_let_the_file_in(
    layout: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    routines, elsewhere = layout
    config = tmp_path / "config.yaml"
    config.write_text(f"allow_dirs:\n  - {elsewhere}\n", encoding="utf-8")
    monkeypatch.setenv("VOICEROUTINE_CONFIG", str(config))
    write(routines, "../elsewhere/waves.wav")
    result = run_cli("check", "routine.yaml", cwd=routines)
    assert result.returncode == 0, result.stderr


def test_a_broken_config_file_is_named_in_the_message(
    layout: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    routines, _ = layout
    config = tmp_path / "config.yaml"
    config.write_text("allow_dirs: just-one-folder\n", encoding="utf-8")
    monkeypatch.setenv("VOICEROUTINE_CONFIG", str(config))
    write(routines, "brown-noise")
    result = run_cli("check", "routine.yaml", cwd=routines)
    assert result.returncode == 1
    assert f"{config}: `allow_dirs` must be a list of folders" in result.stderr


def test_a_media_file_larger_than_the_limit_is_refused(layout: tuple[Path, Path]) -> None:
    routines, _ = layout
    huge = routines / "huge.wav"
    with huge.open("wb") as file:  # sparse: takes no disk space
        file.truncate(200_000_001)
    write(routines, "huge.wav")
    result = run_cli("check", "routine.yaml", cwd=routines)
    assert result.returncode == 1
    assert (
        "routine.yaml:3:10: music: the music file 'huge.wav' is larger than 200 MB" in result.stderr
    )
    assert os.path.getsize(huge) == 200_000_001


def test_allowed_folders_reach_shared_and_published_builds(layout: tuple[Path, Path]) -> None:
    routines, elsewhere = layout
    write(routines, "../elsewhere/waves.wav")
    allow = ("--allow-dir", str(elsewhere))
    result = run_cli(*allow, "build", "routine.yaml", "-o", "out", "--share", cwd=routines)
    assert result.returncode == 0, result.stderr
    assert (routines / "out" / "routine.zip").is_file()
    site = routines.parent / "site"
    result = run_cli(
        *allow, "publish", "routine.yaml", "-o", str(site), "--build-dir", "out", cwd=routines
    )
    assert result.returncode == 0, result.stderr
    assert (site / "feed.xml").is_file()


@pytest.mark.parametrize("name", ["a" * 300 + ".wav", "~no-such-user-here/waves.wav"])
def test_a_file_name_the_system_cannot_use_is_one_clear_message(
    layout: tuple[Path, Path], name: str
) -> None:
    routines, _ = layout
    write(routines, name)
    result = run_cli("check", "routine.yaml", cwd=routines)
    assert result.returncode == 1
    assert "routine.yaml:3:10: music: cannot use the music file" in result.stderr
    assert "Traceback" not in result.stderr


LONG_ROUTINE = "title: Long\nsteps:\n" + "  - rest: 1h\n" * 13


def test_sessions_over_12_hours_need_max_hours(
    layout: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    routines, _ = layout
    (routines / "long.yaml").write_text(LONG_ROUTINE, encoding="utf-8")
    refused = run_cli("check", "long.yaml", cwd=routines)
    assert refused.returncode == 1
    assert "long.yaml:15:5: the routine is too long" in refused.stderr
    assert "more than 12 hours" in refused.stderr
    allowed = run_cli("--max-hours", "14", "check", "long.yaml", cwd=routines)
    assert allowed.returncode == 0, allowed.stderr
    assert "about 13:0" in allowed.stdout
    assert run_cli("--max-hours", "100", "check", "long.yaml", cwd=routines).returncode == 2
    config = tmp_path / "config.yaml"
    config.write_text("max_hours: 14\n", encoding="utf-8")
    monkeypatch.setenv("VOICEROUTINE_CONFIG", str(config))
    assert run_cli("check", "long.yaml", cwd=routines).returncode == 0
    shorter = run_cli("--max-hours", "2", "check", "long.yaml", cwd=routines)
    assert "more than 2 hours" in shorter.stderr


def test_a_command_reads_the_config_file_once(
    layout: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from voiceroutine import access
    from voiceroutine.cli import app

    routines, _ = layout
    write(routines, "brown-noise")
    reads: list[Path] = []
    real = access.read_config
    monkeypatch.setattr(access, "read_config", lambda path: reads.append(path) or real(path))
    files = [str(routines / "routine.yaml")]
    for name in ("a", "b", "c"):
        (routines / f"{name}.yaml").write_text((routines / "routine.yaml").read_text())
        files.append(str(routines / f"{name}.yaml"))
    result = CliRunner().invoke(app, ["check", "--no-chapters", *files])
    assert result.exit_code == 0, result.output
    assert result.output.count("ok ") == 4
    assert len(reads) == 1
