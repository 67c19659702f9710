"""Condition a speech clip: trim silence at both ends, soften its edges, resample it."""

from __future__ import annotations

import numpy as np

from voiceroutine.errors import VoiceroutineError
from voiceroutine.tts.base import RawClip

TRIM_THRESHOLD_DB = -40.0
"""Samples quieter than this, relative to the clip's peak, count as silence at the ends."""
FADE_IN_MS = 1.0
FADE_OUT_MS = 5.0


def trim_silence(clip: RawClip, text: str) -> RawClip:
    """Cut leading and trailing silence so the clip starts with its first sound."""
    samples = np.asarray(clip.samples, dtype=np.float32)
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if peak < 1e-4:
        raise VoiceroutineError(f"the speech engine produced only silence for {text!r}")
    loud = np.flatnonzero(np.abs(samples) >= peak * 10 ** (TRIM_THRESHOLD_DB / 20))
    trimmed = samples[loud[0] : loud[-1] + 1].copy()
    _fade(trimmed, clip.sample_rate)
    return RawClip(trimmed, clip.sample_rate)


def _fade(samples: np.ndarray, sample_rate: int) -> None:
    fade_in = min(len(samples), max(1, int(sample_rate * FADE_IN_MS / 1000)))
    fade_out = min(len(samples), max(1, int(sample_rate * FADE_OUT_MS / 1000)))
    samples[:fade_in] *= np.linspace(0.0, 1.0, fade_in, endpoint=False, dtype=np.float32) ** 0.5
    samples[-fade_out:] *= np.linspace(1.0, 0.0, fade_out, dtype=np.float32)


def resample(clip: RawClip, sample_rate: int) -> np.ndarray:
    """The clip's samples at `sample_rate` (high-quality sinc resampling via soxr)."""
    if clip.sample_rate == sample_rate:
        return np.asarray(clip.samples, dtype=np.float32)
    import soxr

    return soxr.resample(clip.samples, clip.sample_rate, sample_rate, quality="HQ").astype(
        np.float32
    )
