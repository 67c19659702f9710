"""A damaged clip in the cache is noticed and spoken again; the build never uses it."""

from __future__ import annotations

from pathlib import Path

from audio_tools import ANALYSIS_RATE, decode
from voiceroutine import api
from voiceroutine.tts.cache import default_cache_dir

ROUTINE = """\
title: Cache check
audio: {bell: false}
steps:
  - say: Sit tall.
  - pause: 1s
  - say: Roll your shoulders back.
  - pause: 1s
  - say: Breathe out slowly.
  - pause: 1s
  - say: Let your arms hang.
"""


def build(folder: Path) -> api.BuildResult:
    options = api.BuildOptions(out_dir=folder / "out", force=True)
    return api.build(folder / "routine.yaml", options)


def test_truncated_flipped_and_emptied_clips_are_spoken_again(tmp_path: Path) -> None:
    (tmp_path / "routine.yaml").write_text(ROUTINE, encoding="utf-8")
    first = build(tmp_path)
    assert first.synthesized >= 4
    clips = sorted(default_cache_dir().rglob("*.wav"), key=lambda path: path.stat().st_size)
    assert len(clips) == first.synthesized
    truncated, flipped, emptied = clips[-3:]
    data = truncated.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    data = bytearray(flipped.read_bytes())
    data[len(data) // 2] ^= 0x40  # one bit in the middle of the samples
    flipped.write_bytes(bytes(data))
    emptied.write_bytes(b"")

    second = build(tmp_path)
    assert (second.synthesized, second.reused) == (3, first.synthesized - 3)
    assert second.timeline is not None and first.timeline is not None
    # eSpeak's clips of the same line differ by a few milliseconds between runs.
    assert abs(second.timeline.duration_ms - first.timeline.duration_ms) < 100
    decoded = decode(second.audio)
    assert abs(len(decoded) * 1000 / ANALYSIS_RATE - second.timeline.duration_ms) < 100

    third = build(tmp_path)  # the entries written again are whole
    assert (third.synthesized, third.reused) == (0, first.synthesized)
