"""Named ways of speaking (such as `calm`) that every engine applies the same way."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from voiceroutine.tts.base import DEFAULT_RATE_WPM, VoiceSettings

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Preset:
    """How a preset changes the voice; 1.0 and 0 dB leave it as it is."""

    name: str
    rate_factor: float = 1.0
    """Multiplies the speaking rate."""
    treble_db: float = 0.0
    """Gain above SHELF_HZ: below 0 dB the voice sounds softer, less bright."""
    steadiness: float = 1.0
    """Multiplies a neural voice's variation in pitch and timing: below 1 is more even."""
    pause_factor: float = 1.0
    """Multiplies the pause between sentences."""


PLAIN = Preset("plain")
PRESETS = MappingProxyType(
    {"calm": Preset("calm", rate_factor=0.85, treble_db=-4.0, steadiness=0.75, pause_factor=1.5)}
)
"""The presets a routine can name: `calm` is slower and softer, for breathing work."""
SHELF_HZ = 3000.0
SHELF_TAPS = 63


def preset_of(voice: VoiceSettings) -> Preset:
    """The preset the voice asks for (the routine's schema admits only known names)."""
    return PRESETS[voice.preset] if voice.preset else PLAIN


def effective_rate(voice: VoiceSettings) -> int:
    """The rate in words per minute once the preset is applied."""
    return round((voice.rate or DEFAULT_RATE_WPM) * preset_of(voice).rate_factor)


def soften(samples: np.ndarray, sample_rate: int, treble_db: float) -> np.ndarray:
    """Turn the treble above SHELF_HZ up or down by `treble_db`, keeping every sample in place.

    A linear-phase shelf: the signal's low band (a windowed-sinc low-pass with
    an odd, symmetric kernel, so no delay) plus its high band scaled by the gain.
    """
    import numpy as np

    if treble_db == 0.0 or samples.size == 0:
        return samples
    half = SHELF_TAPS // 2
    n = np.arange(-half, half + 1)
    cutoff = SHELF_HZ / sample_rate
    kernel = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(SHELF_TAPS)
    kernel /= kernel.sum()
    low = np.convolve(samples, kernel, mode="same")
    gain = 10 ** (treble_db / 20)
    return (low + gain * (samples - low)).astype(np.float32)
