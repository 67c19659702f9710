"""Loudness (ITU-R BS.1770): predict a session's, pick its gain, read ffmpeg's measurement.

The meter of record is ffmpeg's ebur128 filter, which measures the session
in the same process that encodes it. The gain has to be known before that,
so it comes from a quick prediction: the unweighted power of the mix in
100 ms frames, gated as BS.1770 gates, plus the few tenths of a dB that
K-weighting adds to speech. When the encoder's measurement misses the target
by more than half a LU, the session is encoded again with the corrected
gain. ffmpeg's loudnorm filter is not used: it silently switches to dynamic
mode when the target cannot be met linearly.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from voiceroutine.errors import VoiceroutineError

DEFAULT_TARGET_LUFS = -16.0
"""The spoken-word target of the big podcast platforms."""
TRUE_PEAK_LIMIT_DBTP = -1.0
TARGET_TOLERANCE_LU = 0.5
"""An encode whose measured loudness is further than this from the target is done again."""
SPEC_TOLERANCE_LU = 1.0
"""How far from the target a finished file may be before the build warns."""
K_WEIGHTING_OFFSET_DB = 0.7
"""What K-weighting adds to the unweighted power of eSpeak speech: measured by ffmpeg's
meter on the bundled routines, 0.69 to 0.76 dB."""
FRAME_MS = 100
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
MAX_GAIN_DB = 40.0
SILENCE_LUFS = -70.0

_INTEGRATED = re.compile(r"Integrated loudness:\s*I:\s*(-?[\d.]+|-inf|nan)\s*LUFS")


@dataclass(frozen=True)
class LoudnessPlan:
    """What the first pass measured and the gain the second pass applies."""

    predicted_lufs: float
    """The session's loudness at unit gain, as predicted."""
    sample_peak_dbfs: float
    gain_db: float
    target_lufs: float
    measured_lufs: float | None = None
    """What ffmpeg's meter measured on the session as it was encoded, with the gain."""
    true_peak_dbtp: float | None = None
    """The true peak of the encoded file, once it is measured."""
    max_gain_db: float = MAX_GAIN_DB
    """The most gain the peaks allow."""

    @property
    def expected_lufs(self) -> float:
        if self.measured_lufs is not None:
            return self.measured_lufs
        return self.predicted_lufs + self.gain_db

    def problem(self) -> str | None:
        """What keeps the file from its loudness target or the true-peak limit, or None."""
        if self.true_peak_dbtp is not None and self.true_peak_dbtp > TRUE_PEAK_LIMIT_DBTP:
            return f"true peak {self.true_peak_dbtp:.1f} dBTP, above {TRUE_PEAK_LIMIT_DBTP:g}"
        if abs(self.expected_lufs - self.target_lufs) > SPEC_TOLERANCE_LU:
            return (
                f"loudness {self.expected_lufs:.1f} LUFS, not within {SPEC_TOLERANCE_LU:g} LU "
                f"of {self.target_lufs:g} (speech peaks leave no more room)"
            )
        return None


def integrated_from_report(report: str) -> float:
    """The integrated loudness in the summary ffmpeg's ebur128 filter prints."""
    found = _INTEGRATED.findall(report)
    if not found:
        raise VoiceroutineError("ffmpeg's loudness meter printed no summary")
    value = float(found[-1])
    return value if math.isfinite(value) else SILENCE_LUFS


def plan_gain(
    predicted_lufs: float, sample_peak: float, target_lufs: float, headroom_db: float
) -> LoudnessPlan:
    """The gain that reaches `target_lufs`, lowered if peaks would come within `headroom_db`
    of the true-peak limit."""
    peak_dbfs = 20 * math.log10(sample_peak) if sample_peak > 0 else -math.inf
    if predicted_lufs <= SILENCE_LUFS:
        return LoudnessPlan(predicted_lufs, peak_dbfs, 0.0, target_lufs, max_gain_db=0.0)
    allowed = min(TRUE_PEAK_LIMIT_DBTP - headroom_db - peak_dbfs, MAX_GAIN_DB)
    gain = min(target_lufs - predicted_lufs, allowed)
    return LoudnessPlan(predicted_lufs, peak_dbfs, gain, target_lufs, max_gain_db=allowed)


def corrected(plan: LoudnessPlan, measured_lufs: float) -> LoudnessPlan | None:
    """The plan with its gain corrected after the encoder's meter read `measured_lufs`, or
    None when the measurement is close enough or the peaks allow no more."""
    miss = plan.target_lufs - measured_lufs
    if abs(miss) <= TARGET_TOLERANCE_LU:
        return None
    gain = min(plan.gain_db + miss, plan.max_gain_db)
    if gain - plan.gain_db <= 0.05 and miss > 0:
        return None  # already as loud as the peaks allow
    return LoudnessPlan(
        plan.predicted_lufs, plan.sample_peak_dbfs, gain, plan.target_lufs,
        max_gain_db=plan.max_gain_db,
    )  # fmt: skip


def predict_integrated(frame_powers: np.ndarray) -> float:
    """Integrated loudness predicted from 100 ms mean squares (summed over channels).

    BS.1770's 400 ms blocks overlapping by 75 % are four consecutive frames;
    the absolute and relative gates follow the standard. Only K-weighting is
    left out and replaced by a constant (see K_WEIGHTING_OFFSET_DB).
    """
    if len(frame_powers) < 4:
        frame_powers = np.pad(frame_powers, (0, 4 - len(frame_powers)))
    blocks = np.convolve(frame_powers, np.ones(4) / 4, mode="valid")
    offset = -0.691 + K_WEIGHTING_OFFSET_DB
    levels = offset + 10 * np.log10(np.maximum(blocks, 1e-20))
    blocks = blocks[levels > ABSOLUTE_GATE_LUFS]
    if blocks.size == 0:
        return SILENCE_LUFS
    relative = offset + 10 * math.log10(float(blocks.mean())) + RELATIVE_GATE_LU
    blocks = blocks[offset + 10 * np.log10(blocks) > relative]
    return offset + 10 * math.log10(float(blocks.mean()))
