"""The built-in ambiences (brown noise, rain, a drone), synthesized as seamless loops."""

from __future__ import annotations

import numpy as np

from voiceroutine.audio.loops import unit_rms
from voiceroutine.names import AMBIENCES

SEED = 20_240_917
BROWN_LEAK_HZ = 20.0
"""Corner of the leaky integrator that turns white noise brown."""
BROWN_HIGHPASS_HZ = 100.0
"""Second-order high-pass: no drift, no DC, and little that phone speakers cannot play."""
RAIN_BAND_HZ = (400.0, 9000.0)
RAIN_DROPS_PER_SECOND = 60.0
RAIN_DROP_LEVEL = 0.6
"""RMS of the droplets relative to the hiss of the rain."""
DRONE_NOTES: tuple[tuple[float, float, float], ...] = (
    (196.0, 1.0, 0.11),
    (293.66, 0.7, 0.15),
    (392.0, 0.45, 0.2),
    (587.33, 0.25, 0.27),
)
"""(frequency Hz, amplitude, detune Hz) of the drone's chord: G3 D4 G4 D5, open fifths. Each
note is a louder sine below it and a softer one above it by the detune, beating slowly."""
DRONE_SWELL_DEPTH = 0.25


def ambience_loop(name: str, sample_rate: int, seconds: float = 30.0) -> np.ndarray:
    """A seamless loop, shape (n, 1) float32 at unit RMS, of a built-in ambience.

    Every ambience is made periodic by construction: the noises are shaped in
    the frequency domain of one loop length (circular filtering), and the
    drone's frequencies and movements complete whole cycles in the loop, so
    the last sample runs into the first with nothing to crossfade.
    """
    n = round(seconds * sample_rate)
    if n < sample_rate:
        raise ValueError("an ambience loop must be at least one second long")
    rng = np.random.default_rng(SEED)
    if name == "brown-noise":
        samples = _brown_noise(rng, n, sample_rate)
    elif name == "rain":
        samples = _rain(rng, n, sample_rate)
    elif name == "drone":
        samples = _drone(rng, n, sample_rate)
    else:
        raise ValueError(f"unknown ambience {name!r}; known: {', '.join(AMBIENCES)}")
    return unit_rms(samples.reshape(-1, 1))


def _white_spectrum(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.fft.rfft(rng.standard_normal(n))


def _highpass(frequencies: np.ndarray, corner_hz: float) -> np.ndarray:
    """Magnitude response of a second-order Butterworth high-pass."""
    ratio = (frequencies / corner_hz) ** 2
    return ratio / np.sqrt(1 + ratio**2)


def _lowpass(frequencies: np.ndarray, corner_hz: float) -> np.ndarray:
    """Magnitude response of a second-order Butterworth low-pass."""
    return 1 / np.sqrt(1 + (frequencies / corner_hz) ** 4)


def _brown_noise(rng: np.random.Generator, n: int, sample_rate: int) -> np.ndarray:
    """White noise through a leaky integrator and a high-pass, in its periodic steady state."""
    frequencies = np.fft.rfftfreq(n, 1 / sample_rate)
    leak = np.exp(-2 * np.pi * BROWN_LEAK_HZ / sample_rate)
    integrator = 1 / (1 - leak * np.exp(-2j * np.pi * frequencies / sample_rate))
    spectrum = _white_spectrum(rng, n) * integrator * _highpass(frequencies, BROWN_HIGHPASS_HZ)
    return np.fft.irfft(spectrum, n)


def _rain(rng: np.random.Generator, n: int, sample_rate: int) -> np.ndarray:
    """A soft band of pinkish hiss with many small droplets: decaying pings at random times."""
    frequencies = np.fft.rfftfreq(n, 1 / sample_rate)
    low, high = RAIN_BAND_HZ
    band = _highpass(frequencies, low) * _lowpass(frequencies, high)
    pink = 1 / np.sqrt(np.maximum(frequencies, low))
    hiss = np.fft.irfft(_white_spectrum(rng, n) * band * pink, n)
    drops = np.fft.irfft(_droplet_spectrum(rng, n, sample_rate) * band, n)
    return unit_rms(hiss) + RAIN_DROP_LEVEL * unit_rms(drops)


def _droplet_spectrum(rng: np.random.Generator, n: int, sample_rate: int) -> np.ndarray:
    """Spectrum of droplets placed circularly: a few kinds of ping, each at its own random times."""
    kinds = 6
    count = max(1, round(RAIN_DROPS_PER_SECOND * n / sample_rate))
    positions = rng.integers(0, n, size=count)
    kind_of_drop = rng.integers(0, kinds, size=count)
    amplitudes = rng.lognormal(0.0, 0.5, size=count)
    pitches = rng.uniform(1800.0, 5500.0, size=kinds)
    decays = rng.uniform(0.0015, 0.004, size=kinds)
    t = np.arange(round(0.025 * sample_rate)) / sample_rate
    spectrum = np.zeros(n // 2 + 1, dtype=np.complex128)
    for kind in range(kinds):
        train = np.zeros(n)
        chosen = kind_of_drop == kind
        np.add.at(train, positions[chosen], amplitudes[chosen])
        ping = np.sin(2 * np.pi * pitches[kind] * t) * np.exp(-t / decays[kind])
        ping *= 1 - np.exp(-t / 0.0003)
        spectrum += np.fft.rfft(train) * np.fft.rfft(ping, n)
    return spectrum


def _drone(rng: np.random.Generator, n: int, sample_rate: int) -> np.ndarray:
    """Detuned sine pairs of a soft chord, each breathing slowly; every cycle divides the loop."""
    index = np.arange(n, dtype=np.int64)
    samples = np.zeros(n)
    for hz, amplitude, detune in DRONE_NOTES:
        for offset, share in ((-detune / 2, 0.6), (detune / 2, 0.4)):
            cycles = round((hz + offset) * n / sample_rate)
            swells = int(rng.integers(1, 5))
            phase, swell_phase = rng.uniform(0, 2 * np.pi, size=2)
            carrier = np.sin(2 * np.pi * ((cycles * index) % n) / n + phase)
            swell = 1 + DRONE_SWELL_DEPTH * np.sin(
                2 * np.pi * ((swells * index) % n) / n + swell_phase
            )
            samples += share * amplitude * carrier * swell
    return samples
