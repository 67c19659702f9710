"""Even out speech clips: bring each line to one level and hold its peaks under a ceiling.

Text-to-speech engines speak some lines louder than others and with sharp
peaks (eSpeak's true peaks sit about 17 dB above the RMS of its voiced
sound), so a session normalised to -16 LUFS would clip. Every clip is
therefore set to the same voiced level and passed through a look-ahead peak
limiter before mixing; the session gain applied later (loudness.py) is then
the same for every line.
"""

from __future__ import annotations

import numpy as np

SPEECH_RMS = 0.1
"""The RMS of the voiced part of every clip in the mix, before the session gain (-20 dBFS)."""
SPEECH_CEILING = 0.25
"""The highest (4x oversampled) peak a clip may reach in the mix: 8 dB above SPEECH_RMS.
Lower ceilings do not help: eSpeak's peaks come with every pitch period, so limiting
harder only turns the whole line down (measured: 2 dB lower ceiling, 2.3 dB less loud)."""
ACTIVE_FRAME_MS = 20
ACTIVE_BELOW_PEAK_DB = 35.0
"""Frames quieter than this below the clip's loudest frame are pauses, left out of its level."""
LOOKAHEAD_MS = 4.0
SMOOTHING_MS = 4.0
OVERSAMPLING = 4


class LevelledClip:
    """A clip scaled to the voiced level, with its peaks found once for any later ceiling."""

    def __init__(self, samples: np.ndarray, sample_rate: int, rms: float = SPEECH_RMS) -> None:
        samples = np.asarray(samples, dtype=np.float32)
        level = active_rms(samples, sample_rate)
        self.samples = samples * np.float32(rms / level) if level > 0.0 else samples.copy()
        self.sample_rate = sample_rate
        self.peaks = oversampled_peaks(self.samples, sample_rate)

    def limited(self, ceiling: float) -> np.ndarray:
        """The clip with its true peaks held at or below `ceiling`."""
        return _apply_limit(self.samples, self.peaks, self.sample_rate, ceiling)


def active_rms(samples: np.ndarray, sample_rate: int) -> float:
    """The RMS of the frames that carry sound (pauses between words do not count)."""
    frame = max(1, sample_rate * ACTIVE_FRAME_MS // 1000)
    count = len(samples) // frame
    if count == 0:
        return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0
    power = np.mean(
        np.square(samples[: count * frame].reshape(count, frame), dtype=np.float64), axis=1
    )
    loudest = float(power.max())
    if loudest <= 0.0:
        return 0.0
    active = power[power >= loudest * 10 ** (-ACTIVE_BELOW_PEAK_DB / 10)]
    return float(np.sqrt(active.mean()))


def limit_peaks(samples: np.ndarray, sample_rate: int, ceiling: float) -> np.ndarray:
    """A look-ahead limiter: the gain comes down smoothly before each peak above `ceiling`.

    Peaks are found on a 4x oversampled copy, so the limit holds between
    samples too (true peak, ITU-R BS.1770).
    """
    return _apply_limit(samples, oversampled_peaks(samples, sample_rate), sample_rate, ceiling)


def _apply_limit(
    samples: np.ndarray, peaks: np.ndarray, sample_rate: int, ceiling: float
) -> np.ndarray:
    gain = limiter_gain(peaks, ceiling, sample_rate)
    if gain is None:
        return samples.copy()
    return (samples * gain).astype(np.float32)


def limiter_margin(sample_rate: int) -> int:
    """How many samples on each side a stretch needs for its limiter gain to be exact."""
    return 2 * max(1, round(sample_rate * LOOKAHEAD_MS / 1000)) + 2


def limiter_gain(peaks: np.ndarray, ceiling: float, sample_rate: int) -> np.ndarray | None:
    """The smooth gain that keeps `peaks` (per-sample magnitudes) at or below `ceiling`.

    None when no sample needs it. The running minimum over +-lookahead, averaged
    over a shorter window, stays at or below the gain each peak needs while it
    ramps smoothly into and out of it.
    """
    needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-9)).astype(np.float32)
    if float(needed.min()) >= 1.0:
        return None
    lookahead = max(1, round(sample_rate * LOOKAHEAD_MS / 1000))
    smoothing = max(1, min(lookahead, round(sample_rate * SMOOTHING_MS / 1000)))
    held = _running_min(needed, 2 * lookahead + 1)
    return _moving_average(held, smoothing)


def oversampled_peaks(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Per sample, the largest magnitude of the signal between it and the next sample."""
    import soxr

    upsampled = soxr.resample(samples, sample_rate, sample_rate * OVERSAMPLING, quality="HQ")
    upsampled = np.abs(np.asarray(upsampled, dtype=np.float32))
    count = min(len(samples), len(upsampled) // OVERSAMPLING)
    peaks = np.abs(samples).astype(np.float32)
    # One maximum per phase, not max(axis=1) over rows of four: numpy reduces short rows slowly.
    for phase in range(OVERSAMPLING):
        np.maximum(peaks[:count], upsampled[phase : count * OVERSAMPLING : OVERSAMPLING],
                   out=peaks[:count])  # fmt: skip
    return peaks


def _running_min(values: np.ndarray, window: int) -> np.ndarray:
    """The minimum over a centred window of `window` samples (edges padded with 1.0)."""
    half = window // 2
    padded = np.concatenate([np.ones(half, np.float32), values, np.ones(window - half, np.float32)])
    result = padded.copy()
    span = 1
    while span < window:  # min over [i, i + 2 * span) from two windows of `span`
        step = min(span, window - span)
        result[:-step] = np.minimum(result[:-step], result[step:])
        span += step
    return result[: len(values)]


def _moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """The mean over a centred window of `window` samples (edges padded with 1.0)."""
    half = window // 2
    padded = np.concatenate(
        [np.ones(half + 1, np.float64), values, np.ones(window - half, np.float64)]
    )
    sums = np.cumsum(padded)
    return ((sums[window:] - sums[:-window])[: len(values)] / window).astype(np.float32)
