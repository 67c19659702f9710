"""Choose the one gain applied to the whole session so speech is loud and never clips."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

TARGET_PEAK_DBFS = -2.0
"""Where the loudest line's sample peak lands, leaving headroom for the encoder."""


def session_gain(clips: Iterable[np.ndarray], target_peak_dbfs: float = TARGET_PEAK_DBFS) -> float:
    """A single gain that brings the loudest clip's peak to `target_peak_dbfs`."""
    peak = max((float(np.max(np.abs(clip))) for clip in clips if clip.size), default=0.0)
    if peak <= 0.0:
        return 1.0
    return 10 ** (target_peak_dbfs / 20) / peak
