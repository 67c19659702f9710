"""Rendering in blocks gives exactly what one whole render gives; builds can share a cache."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

from audio_tools import decode
from fakes import ToneEngine
from voiceroutine import api
from voiceroutine.audio.render import SessionMix
from voiceroutine.audio.sources import music_bed

ROUTINE = """\
title: Blocks
audio: {music: rain}
steps:
  - say: Settle in.
  - breathe: {inhale: 3, hold: 1, exhale: 3, cycles: 2}
    guide: both
  - sound: chime
  - exercise: {name: Reach, reps: 2, hold: 2s}
"""


def test_streamed_blocks_are_bit_identical_to_one_render(tmp_path: Path) -> None:
    path = tmp_path / "blocks.yaml"
    path.write_text(ROUTINE, encoding="utf-8")
    compiled = api.compile_file(path)
    timeline, speech, sounds = api.spoken_timeline(compiled, ToneEngine(), tmp_path / "cache")
    bed = music_bed("rain", timeline, -20.0, 15.0)

    def render(block_samples: int) -> bytes:
        mix = SessionMix(timeline, speech.clips, sounds, bed, block_samples=block_samples)
        # A gain and ceiling that make the limiter work where tones meet speech.
        return b"".join(mix.pcm_blocks(gain=4.0, ceiling=0.5))

    whole = render(10**9)
    assert len(whole) == round(timeline.duration_ms * 44.1) * 2
    for block_samples in (4096, 10_007, 1 << 16):
        assert render(block_samples) == whole
    # Ranges, as the parts of a long MP3 are rendered, are the same samples as the whole.
    mix = SessionMix(timeline, speech.clips, sounds, bed)
    cuts = [0, 33_333, 100_000, mix.total_samples]
    ranges = [
        b"".join(mix.pcm_blocks(gain=4.0, ceiling=0.5, start=start, stop=stop))
        for start, stop in itertools.pairwise(cuts)
    ]
    assert b"".join(ranges) == whole
    samples = np.frombuffer(whole, dtype="<i2") / 32767
    assert np.max(np.abs(samples)) <= 0.5 + 1e-4


def test_builds_at_the_same_time_share_one_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    environment = {**os.environ, "VOICEROUTINE_CACHE_DIR": str(cache)}
    routines = []
    for index in range(3):
        path = tmp_path / f"r{index}.yaml"
        # Each routine has its own line and shares the rest with the others.
        path.write_text(
            f"title: Shared {index}\nsteps:\n  - say: Line number {index + 1}.\n"
            "  - exercise: {name: Reach, reps: 2, hold: 3s}\n",
            encoding="utf-8",
        )
        routines.append(path)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "voiceroutine", "build", str(path), "-o", str(tmp_path / "out")],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for path in routines
    ]
    for process in processes:
        _, errors = process.communicate(timeout=300)
        assert process.returncode == 0, errors.decode()
    for path in routines:
        result = api.build(path, api.BuildOptions(out_dir=tmp_path / "out"))
        assert result.up_to_date
        decoded_ms = len(decode(result.audio)) * 1000 / 44_100
        timeline = api.check(path)
        assert decoded_ms > timeline.duration_ms * 0.8
    entries = list(cache.rglob("*"))
    assert not [entry for entry in entries if entry.name.endswith(".partial")]
    for entry in (entry for entry in entries if entry.suffix == ".wav"):
        with wave.open(str(entry)) as clip:
            assert clip.getnframes() > 0


def test_two_builds_of_one_routine_at_once_leave_a_whole_set(tmp_path: Path) -> None:
    routine = tmp_path / "same.yaml"
    routine.write_text(
        "title: Same\nsteps:\n  - exercise: {name: Reach, reps: 2, hold: 3s}\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    first = api.build(routine, api.BuildOptions(out_dir=out))  # the clips are cached now
    expected = first.timeline_file.read_text(encoding="utf-8")
    command = [sys.executable, "-m", "voiceroutine", "build", str(routine), "-o", str(out)]
    processes = [
        subprocess.Popen([*command, "--force"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for process in processes:
        _, errors = process.communicate(timeout=300)
        assert process.returncode == 0, errors.decode()
    assert sorted(path.name for path in out.iterdir()) == [
        "same.chapters.json", "same.json", "same.mp3", "same.vtt",
    ]  # fmt: skip
    assert first.timeline_file.read_text(encoding="utf-8") == expected
    assert first.timeline is not None
    decoded_ms = len(decode(first.audio)) * 1000 / 44_100
    assert abs(decoded_ms - first.timeline.duration_ms) < 60
