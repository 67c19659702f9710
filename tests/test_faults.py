"""Faults outside the routine (no ffmpeg, a crashing one, a read-only or full disk) lose nothing."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli_tools import run_cli

ROUTINE = """\
title: Faults
audio: {bell: false}
steps:
  - say: Sit tall.
  - pause: 2s
  - say: Roll your shoulders back.
"""


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def build(folder: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("build", "routine.yaml", "-o", "out", "--force", cwd=folder)


def assert_failed_cleanly(
    result: subprocess.CompletedProcess[str], out: Path, before: dict[str, bytes]
) -> str:
    """One line on stderr, exit 1, the previous files untouched, nothing half-written."""
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert snapshot(out) == before
    return lines[0]


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    (tmp_path / "routine.yaml").write_text(ROUTINE, encoding="utf-8")
    result = build(tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path, snapshot(tmp_path / "out")


def fake_ffmpeg(folder: Path, body: str) -> Path:
    script = folder / "ffmpeg"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_a_missing_ffmpeg_is_named(
    built: tuple[Path, dict[str, bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, before = built
    monkeypatch.setenv("VOICEROUTINE_FFMPEG", str(folder / "no-such-ffmpeg"))
    result = build(folder)
    line = assert_failed_cleanly(result, folder / "out", before)
    assert "cannot run ffmpeg" in line and "no-such-ffmpeg" in line


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        # Reads part of the session, then dies of a segmentation fault.
        ("head -c 200000 > /dev/null; kill -SEGV $$", "it was killed by SIGSEGV"),
        ('echo "Unknown encoder libmp3lame" >&2; exit 1', "Unknown encoder libmp3lame"),
    ],
    ids=["crashes", "fails"],
)
def test_a_broken_ffmpeg_says_why(
    built: tuple[Path, dict[str, bytes]],
    monkeypatch: pytest.MonkeyPatch,
    script: str,
    reason: str,
) -> None:
    folder, before = built
    monkeypatch.setenv("VOICEROUTINE_FFMPEG", str(fake_ffmpeg(folder, script)))
    line = assert_failed_cleanly(build(folder), folder / "out", before)
    assert line.endswith(f"ffmpeg could not encode routine.mp3: {reason}")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs of our own (needs root and permission to mount), unmounted afterwards."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small disk needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_full_disk_is_reported_and_the_previous_output_kept(small_disk: Path) -> None:
    (small_disk / "routine.yaml").write_text(ROUTINE, encoding="utf-8")
    assert build(small_disk).returncode == 0
    before = snapshot(small_disk / "out")
    free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
    (small_disk / "filler").write_bytes(b"\0" * (free - 8192))
    result = build(small_disk)
    line = assert_failed_cleanly(result, small_disk / "out", before)
    assert "No space left on device" in line


def test_a_read_only_output_folder_is_reported_and_left_alone(small_disk: Path) -> None:
    (small_disk / "routine.yaml").write_text(ROUTINE, encoding="utf-8")
    assert build(small_disk).returncode == 0
    before = snapshot(small_disk / "out")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    result = build(small_disk)
    line = assert_failed_cleanly(result, small_disk / "out", before)
    assert "Read-only file system" in line
