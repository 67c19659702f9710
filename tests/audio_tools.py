"""Decode audio files with the bundled ffmpeg and measure them the way a listener would."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voiceroutine.audio.ffmpeg import ffmpeg_exe

ANALYSIS_RATE = 44_100


def decode(path: Path, sample_rate: int = ANALYSIS_RATE) -> np.ndarray:
    """The file's audio as mono float32 samples, decoded by ffmpeg (encoder delay removed)."""
    command = [
        ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-i", str(path),
        "-f", "f32le", "-ac", "1", "-ar", str(sample_rate), "pipe:1",
    ]  # fmt: skip
    raw = subprocess.run(command, check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype="<f4")


def dbfs(level: float) -> float:
    return 20 * np.log10(max(level, 1e-12))


def onset_ms(
    samples: np.ndarray, from_ms: float, to_ms: float, threshold_dbfs: float
) -> float | None:
    """The first moment in [from_ms, to_ms) where the signal rises above `threshold_dbfs`."""
    lo = max(0, int(from_ms * ANALYSIS_RATE / 1000))
    hi = min(len(samples), int(to_ms * ANALYSIS_RATE / 1000))
    loud = np.flatnonzero(np.abs(samples[lo:hi]) >= 10 ** (threshold_dbfs / 20))
    if loud.size == 0:
        return None
    return (lo + int(loud[0])) * 1000 / ANALYSIS_RATE


def onset_errors_ms(
    samples: np.ndarray, cues: Iterable[dict[str, Any]], threshold_dbfs: float
) -> list[float]:
    """For each spoken cue, how far from its start_ms the sound really begins.

    Each search starts a little before the cue and after the previous cue's end.
    """
    errors = []
    previous_end = 0
    for cue in cues:
        found = onset_ms(
            samples, max(previous_end + 5, cue["start_ms"] - 100), cue["end_ms"], threshold_dbfs
        )
        assert found is not None, f"no sound for {cue['text']!r} at {cue['start_ms']} ms"
        errors.append(found - cue["start_ms"])
        previous_end = cue["end_ms"]
    return errors


def peak_dbfs(samples: np.ndarray, from_ms: float, to_ms: float) -> float:
    lo = max(0, int(from_ms * ANALYSIS_RATE / 1000))
    hi = min(len(samples), int(to_ms * ANALYSIS_RATE / 1000))
    if hi <= lo:
        return -240.0
    return dbfs(float(np.max(np.abs(samples[lo:hi]))))


def make_audio_file(path: Path, source: str, seconds: float, *options: str) -> Path:
    """Write `seconds` of an ffmpeg lavfi source to `path` (format from its suffix)."""
    command = [
        ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
        "-f", "lavfi", "-i", source, "-t", str(seconds), *options, str(path),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    return path


@dataclass(frozen=True)
class Loudness:
    integrated: float
    """LUFS, to three decimals."""
    true_peak: float
    """dBTP, to one decimal."""


def ebur128(path: Path) -> Loudness:
    """Integrated loudness and true peak of the decoded file, by ffmpeg's EBU R128 meter."""
    command = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-i", str(path), "-af",
        "ebur128=peak=true:framelog=quiet:metadata=1,ametadata=mode=print:key=lavfi.r128.I",
        "-f", "null", "-",
    ]  # fmt: skip
    report = subprocess.run(command, check=True, capture_output=True, text=True).stderr
    summary = float(re.findall(r"I:\s*(-?[\d.]+) LUFS", report)[-1])
    # The summary has one decimal; the metadata of the last frame has the same value to three.
    precise = float(re.findall(r"lavfi\.r128\.I=(-?[\d.]+)", report)[-1])
    assert abs(precise - summary) <= 0.051
    true_peak = float(re.findall(r"Peak:\s*(-?[\d.]+) dBFS", report)[-1])
    return Loudness(precise, true_peak)
