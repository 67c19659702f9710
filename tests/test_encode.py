"""Every lossy format is measured while it is encoded, and what is measured is the file written."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from test_dynamics import RATE, speech_like
from voiceroutine.audio import encode as encode_module
from voiceroutine.audio.encode import encode
from voiceroutine.audio.ffmpeg import ffmpeg_exe
from voiceroutine.audio.formats import FORMATS
from voiceroutine.audio.meter import Measurement
from voiceroutine.audio.truepeak import measure_file
from voiceroutine.timeline import ChapterSpan

CHAPTERS = (ChapterSpan("Warm-up", 0, 2000), ChapterSpan("Hold: 30 s; knees #2", 2000, 4000))


def pcm_blocks(seconds: float = 4.0) -> list[bytes]:
    """Speech-like 16-bit PCM in blocks, as the renderer hands them to the encoder."""
    samples = np.concatenate([speech_like(seconds / 2, seed) for seed in (1, 2)])
    pcm = (np.clip(samples * 4, -1, 1) * 32767).astype("<i2").tobytes()
    return [pcm[start : start + 32_768] for start in range(0, len(pcm), 32_768)]


def no_decode_afterwards(*_: object) -> Measurement:
    raise AssertionError("the file was decoded again after it was written")


@pytest.mark.parametrize("name", ["mp3", "m4a", "m4b", "opus", "ogg"])
@pytest.mark.parametrize("chapters", [(), CHAPTERS], ids=["plain", "chapters"])
def test_a_lossy_file_is_measured_while_it_is_written(
    name: str, chapters: tuple[ChapterSpan, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    audio_format = FORMATS[name]
    rate = audio_format.default_rate if RATE not in audio_format.sample_rates else RATE
    destination = tmp_path / f"session.{audio_format.extension}"
    monkeypatch.setattr(encode_module, "measure_file", no_decode_afterwards)

    measured = encode(pcm_blocks(), destination, audio_format, rate, 1, chapters=chapters)

    decoded = measure_file(destination, rate, 1)
    assert measured.true_peak_dbtp == pytest.approx(decoded.true_peak_dbtp, abs=0.05)
    assert measured.lufs == pytest.approx(decoded.lufs, abs=0.05)
    assert sorted(path.name for path in tmp_path.iterdir()) == [destination.name]


@pytest.mark.parametrize("name", ["m4a", "m4b"])
def test_mp4_checked_while_encoding_keeps_its_chapters_and_starts_fast(
    name: str, tmp_path: Path
) -> None:
    destination = tmp_path / f"session.{name}"
    encode(pcm_blocks(), destination, FORMATS[name], RATE, 1, chapters=CHAPTERS)

    probe = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-i", str(destination), "-f", "ffmetadata", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "title=Warm-up" in probe
    assert "title=Hold: 30 s\\; knees \\#2" in probe
    data = destination.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat"), "the index comes first: players start at once"
