"""A build that would produce the same output returns at once; every input that matters counts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from audio_tools import make_audio_file
from fakes import ToneEngine
from voiceroutine import api, fingerprint

ROUTINE = """\
title: Incremental
library: mine.yaml
cover: cover.png
audio: {bell: false}
steps:
  - exercise: wall-sit
  - sound: knock.wav
"""
LIBRARY = """\
exercises:
  - id: wall-sit
    name: Wall sit
    instructions: [Slide down the wall.]
    reps: 1
    hold: 2s
"""

Build = Callable[..., api.BuildResult]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "routine.yaml").write_text(ROUTINE, encoding="utf-8")
    (tmp_path / "mine.yaml").write_text(LIBRARY, encoding="utf-8")
    make_audio_file(tmp_path / "knock.wav", "sine=f=900", 0.2)
    make_audio_file(tmp_path / "cover.png", "color=c=red:s=16x16", 0.04, "-frames:v", "1")
    return tmp_path


@pytest.fixture
def build(folder: Path) -> Build:
    def run(**options: object) -> api.BuildResult:
        engine = ToneEngine()
        result = api.build(
            folder / "routine.yaml", api.BuildOptions(out_dir=folder / "out", **options), engine
        )
        run.spoken = engine.spoken  # type: ignore[attr-defined]
        return result

    return run


def test_an_unchanged_routine_is_up_to_date_and_left_alone(build: Build) -> None:
    first = build()
    assert not first.up_to_date
    stamp = first.audio.stat().st_mtime_ns
    again = build()
    assert again.up_to_date
    assert again.build_id == first.build_id
    assert build.spoken == []  # type: ignore[attr-defined]
    assert again.audio.stat().st_mtime_ns == stamp


def test_force_rebuilds(build: Build) -> None:
    build()
    assert not build(force=True).up_to_date


def edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda f: edit(f / "routine.yaml", "title:", "# a note\ntitle:"), id="comment"
        ),
        pytest.param(lambda f: edit(f / "mine.yaml", "Slide down", "Lean on"), id="catalogue"),
        pytest.param(lambda f: make_audio_file(f / "knock.wav", "sine=f=700", 0.2), id="sound"),
        pytest.param(
            lambda f: make_audio_file(
                f / "cover.png", "color=c=blue:s=16x16", 0.04, "-frames:v", "1"
            ),
            id="cover",
        ),
    ],
)
def test_each_changed_input_rebuilds(
    build: Build, folder: Path, change: Callable[[Path], object]
) -> None:
    first = build()
    change(folder)
    again = build()
    assert not again.up_to_date
    assert again.build_id != first.build_id


def test_a_missing_side_file_rebuilds(build: Build, folder: Path) -> None:
    build()
    (folder / "out" / "routine.vtt").unlink()
    assert not build().up_to_date
    assert (folder / "out" / "routine.vtt").exists()


@pytest.mark.parametrize(
    "options",
    [{"voice": api.VoiceOverrides(rate=120)}, {"loudness": -20.0}, {"bitrate": 96}],
    ids=["voice", "loudness", "bitrate"],
)
def test_each_changed_option_rebuilds(build: Build, options: dict[str, object]) -> None:
    first = build()
    again = build(**options)
    assert not again.up_to_date and again.build_id != first.build_id
    assert build(**options).up_to_date


def test_a_new_version_of_voiceroutine_rebuilds(
    build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = build()
    monkeypatch.setattr(fingerprint, "__version__", "99.0")
    again = build()
    assert not again.up_to_date and again.build_id != first.build_id
