"""Measure a session's integrated loudness (ITU-R BS.1770, ffmpeg's ebur128) and pick its gain.

The session is rendered once at unit gain into ffmpeg's EBU R128 meter; the
gain that brings it to the target is then applied, linearly, while the
second render streams into the encoder. ffmpeg's loudnorm filter is not
used: it silently switches to dynamic mode when the target cannot be met
linearly.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from voiceroutine.audio.ffmpeg import pipe_into_ffmpeg
from voiceroutine.errors import VoiceroutineError

DEFAULT_TARGET_LUFS = -16.0
"""The spoken-word target of the big podcast platforms."""
TRUE_PEAK_LIMIT_DBTP = -1.0
LOSSLESS_HEADROOM_DB = 0.5
"""How far below the true-peak limit the mix's sample peak stays before a lossless encoder:
room for the peaks between samples. Lossy encoders need more (encode.py says how much)."""
TARGET_TOLERANCE_LU = 0.25
MAX_GAIN_DB = 40.0
SILENCE_LUFS = -70.0

_INTEGRATED = re.compile(r"Integrated loudness:\s*I:\s*(-?[\d.]+|-inf|nan)\s*LUFS")


@dataclass(frozen=True)
class LoudnessPlan:
    """What the first pass measured and the gain the second pass applies."""

    measured_lufs: float
    sample_peak_dbfs: float
    gain_db: float
    target_lufs: float
    true_peak_dbtp: float | None = None
    """The true peak of the encoded file, once it is measured."""

    @property
    def expected_lufs(self) -> float:
        return self.measured_lufs + self.gain_db

    @property
    def reaches_target(self) -> bool:
        return abs(self.expected_lufs - self.target_lufs) <= TARGET_TOLERANCE_LU


def measure_integrated(pcm_blocks: Iterable[bytes], sample_rate: int, channels: int) -> float:
    """Integrated loudness in LUFS of 16-bit PCM blocks, by ffmpeg's EBU R128 meter."""
    run = pipe_into_ffmpeg(
        ["-nostats", "-f", "s16le", "-ar", str(sample_rate), "-ac", str(channels),
         "-i", "pipe:0", "-af", "ebur128=framelog=quiet", "-f", "null", "-"],
        pcm_blocks,
    )  # fmt: skip
    found = _INTEGRATED.findall(run.stderr)
    if run.code != 0 or not found:
        raise VoiceroutineError(f"ffmpeg could not measure the loudness: {run.last_line()}")
    value = float(found[-1])
    return value if math.isfinite(value) else SILENCE_LUFS


def plan_gain(
    measured_lufs: float, sample_peak: float, target_lufs: float, headroom_db: float
) -> LoudnessPlan:
    """The gain that reaches `target_lufs`, lowered if peaks would come within `headroom_db`
    of the true-peak limit."""
    peak_dbfs = 20 * math.log10(sample_peak) if sample_peak > 0 else -math.inf
    if measured_lufs <= SILENCE_LUFS:
        return LoudnessPlan(measured_lufs, peak_dbfs, 0.0, target_lufs)
    gain = min(target_lufs - measured_lufs, MAX_GAIN_DB)
    allowed = TRUE_PEAK_LIMIT_DBTP - headroom_db - peak_dbfs
    return LoudnessPlan(measured_lufs, peak_dbfs, min(gain, allowed), target_lufs)
