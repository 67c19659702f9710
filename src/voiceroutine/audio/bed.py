"""A music bed looped under the whole session, ducked under speech, rendered block by block."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voiceroutine.audio.sounds import read_audio_file
from voiceroutine.errors import Place, VoiceroutineError
from voiceroutine.names import AMBIENCES as BUILT_IN_AMBIENCES

AMBIENCES: tuple[str, ...] = BUILT_IN_AMBIENCES

MAX_MUSIC_SECONDS = 30 * 60.0
MIN_MUSIC_SECONDS = 4.0
SILENT_MUSIC_DBFS = -70.0
"""A music file whose RMS is below this is taken for silence."""
TRIM_DB = -60.0
"""Leading and trailing samples this far below the file's peak are cut before looping."""
LOOP_CROSSFADE_MS = 2000
SPLICE_SEARCH_MS = 50
"""How far back from its end make_seamless looks for the loop point that best matches its head."""

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
    return _unit_rms(samples.reshape(-1, 1))


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
    return _unit_rms(hiss) + RAIN_DROP_LEVEL * _unit_rms(drops)


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


def _unit_rms(samples: np.ndarray) -> np.ndarray:
    level = np.sqrt(np.mean(np.square(samples), dtype=np.float64))
    return (samples / level).astype(np.float32)


def file_loop(path: Path, sample_rate: int) -> np.ndarray:
    """A user's music file as a seamless (n, channels) float32 loop at unit RMS.

    Mono and stereo files keep their channels. The file's silent ends are cut,
    then its tail is crossfaded into its head (2 s, or a quarter of a short file).
    """
    samples = read_audio_file(path, sample_rate, MAX_MUSIC_SECONDS, "music file")
    rms = float(np.sqrt(np.mean(np.square(samples), dtype=np.float64)))
    if rms < 10 ** (SILENT_MUSIC_DBFS / 20):
        raise VoiceroutineError("the music file is silent", Place(path))
    samples = _trim_silent_ends(samples)
    seconds = len(samples) / sample_rate
    if seconds < MIN_MUSIC_SECONDS:
        raise VoiceroutineError(
            f"the music file is too short to loop ({seconds:.1f} s of sound; at least "
            f"{MIN_MUSIC_SECONDS:g} s)",
            Place(path),
        )
    crossfade_ms = min(LOOP_CROSSFADE_MS, int(seconds * 1000 / 4))
    return _unit_rms(make_seamless(samples, sample_rate, crossfade_ms))


def _trim_silent_ends(samples: np.ndarray) -> np.ndarray:
    loudness = np.max(np.abs(samples), axis=1)
    loud = np.flatnonzero(loudness >= loudness.max() * 10 ** (TRIM_DB / 20))
    return samples[loud[0] : loud[-1] + 1]


def make_seamless(
    samples: np.ndarray,
    sample_rate: int,
    crossfade_ms: int = LOOP_CROSSFADE_MS,
    search_ms: int = SPLICE_SEARCH_MS,
) -> np.ndarray:
    """Shorten `samples` ((n,) or (n, channels)) into a loop whose last sample runs into its first.

    The tail is crossfaded into the head. The loop point is chosen within
    `search_ms` of the end where the tail best matches the head, and the fade
    keeps the power constant for how alike the two are: an equal-power fade
    for unrelated sound (noise), tending to a linear one for identical sound
    (a held chord), so the level neither dips nor bumps at the seam. The loop
    is shorter than the input by the crossfade plus at most `search_ms`.
    """
    frames = samples.reshape(len(samples), -1)
    n = len(frames)
    fade = min(round(crossfade_ms * sample_rate / 1000), n // 3)
    search = min(round(search_ms * sample_rate / 1000), n // 3)
    if fade < 2:
        return samples.astype(np.float32)
    head = frames[:fade].astype(np.float64)
    end = n - search + _best_splice(head, frames[n - search - fade :].astype(np.float64))
    tail = frames[end - fade : end].astype(np.float64)
    fade_in, fade_out = _crossfade_gains(fade, _correlation(head, tail))
    loop = frames[: end - fade].astype(np.float32)
    loop[:fade] = head * fade_in[:, None] + tail * fade_out[:, None]
    return loop.reshape(-1, *samples.shape[1:])


def _best_splice(head: np.ndarray, region: np.ndarray) -> int:
    """The offset k where region[k : k + len(head)] best matches head (normalised correlation)."""
    fade, lags = len(head), len(region) - len(head) + 1
    if lags == 1:
        return 0
    size = 1 << int(np.ceil(np.log2(len(region))))
    products = np.fft.rfft(region, size, axis=0) * np.conj(np.fft.rfft(head, size, axis=0))
    correlation = np.fft.irfft(products, size, axis=0)[:lags].sum(axis=1)
    energy = np.concatenate([[0.0], np.cumsum(np.square(region).sum(axis=1))])
    window_energy = energy[fade : fade + lags] - energy[:lags]
    return int(np.argmax(correlation / np.sqrt(np.maximum(window_energy, 1e-12))))


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    denominator = np.sqrt(np.sum(a * a) * np.sum(b * b))
    return float(np.sum(a * b) / denominator) if denominator > 0 else 0.0


def _crossfade_gains(fade: int, correlation: float) -> tuple[np.ndarray, np.ndarray]:
    """Raised-cosine gains scaled so a^2 + b^2 + 2 r a b = 1 (constant power for correlation r)."""
    r = min(max(correlation, 0.0), 1.0)
    rising = 0.5 - 0.5 * np.cos(np.pi * np.arange(fade) / fade)
    falling = 1 - rising
    scale = 1 / np.sqrt(rising**2 + falling**2 + 2 * r * rising * falling)
    return rising * scale, falling * scale


@dataclass(frozen=True)
class Ducking:
    """How loud the bed is, and how it gets out of the way of speech."""

    level_db: float = -24.0
    """Bed level in gaps, dB relative to the speech reference level."""
    duck_db: float = 15.0
    """How much lower the bed is under speech."""
    attack_ms: int = 300
    """The bed starts going down this long before a spoken cue..."""
    release_ms: int = 600
    """...and comes back up over this long after it ends."""
    fade_in_ms: int = 3000
    fade_out_ms: int = 5000


def merge_spans(spans: Sequence[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends of the spans' union, sorted, overlapping and touching ones merged."""
    ordered = sorted((start, end) for start, end in spans if end > start)
    starts: list[int] = []
    ends: list[int] = []
    for start, end in ordered:
        if ends and start <= ends[-1]:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return np.array(starts, dtype=np.float64), np.array(ends, dtype=np.float64)


class MusicBed:
    """The bed's samples for any stretch of the session, computed on demand in O(length)."""

    def __init__(
        self,
        loop: np.ndarray,
        total_samples: int,
        speech_spans: Sequence[tuple[int, int]],
        ducking: Ducking,
        reference_rms: float,
        sample_rate: int,
    ) -> None:
        """`loop`: (n, channels) unit-RMS loop; `speech_spans`: (start, end) sample of every
        spoken cue, in any order, overlapping or not; `reference_rms`: the mix level of 0 dB."""
        if loop.ndim != 2 or len(loop) == 0:
            raise ValueError("the loop must be a non-empty (samples, channels) array")
        self._loop = np.asarray(loop, dtype=np.float32)
        self.channels: int = loop.shape[1]
        self._total = total_samples
        self._starts, self._ends = merge_spans(speech_spans)
        self._level = reference_rms * 10 ** (ducking.level_db / 20)
        self._ducked = 10 ** (-ducking.duck_db / 20)
        self._attack = max(1, round(ducking.attack_ms * sample_rate / 1000))
        self._release = max(1, round(ducking.release_ms * sample_rate / 1000))
        self._fade_in = max(1, round(ducking.fade_in_ms * sample_rate / 1000))
        self._fade_out = max(1, round(ducking.fade_out_ms * sample_rate / 1000))
        self._corners: tuple[np.ndarray, np.ndarray] | None = None
        """The duck envelope's corners, found on first use."""

    def filtered(self, circular_filter: Callable[[np.ndarray], np.ndarray]) -> MusicBed:
        """This bed with its loop passed through `circular_filter`, under the same envelopes.

        For a linear, time-invariant filter applied to the loop as one period
        of a periodic signal (its steady state), this is the bed that filter
        would give, to a tiny error: the envelopes ramp over hundreds of
        milliseconds, slowly next to the few milliseconds a filter remembers.
        """
        loop = np.asarray(circular_filter(self._loop), dtype=np.float32)
        if loop.shape != self._loop.shape:
            raise ValueError("a circular filter must keep the loop's shape")
        twin = copy.copy(self)
        twin._loop = loop
        return twin

    def block(self, start: int, length: int) -> np.ndarray:
        """The bed's samples [start, start + length) as (length, channels) float32."""
        t = np.arange(start, start + length, dtype=np.int64)
        gain = self.duck_envelope(t) * self.fade_envelope(t)
        gain *= self._level
        samples = self._looped(start, length)
        samples *= gain[:, None].astype(np.float32)
        return samples

    def _looped(self, start: int, length: int) -> np.ndarray:
        """The loop repeated over [start, start + length): copied in whole runs, not gathered."""
        out = np.empty((length, self.channels), dtype=np.float32)
        size = len(self._loop)
        at, done = start % size, 0
        while done < length:
            run = min(size - at, length - done)
            out[done : done + run] = self._loop[at : at + run]
            done += run
            at = 0
        return out

    def duck_envelope(self, t: np.ndarray) -> np.ndarray:
        """1 in gaps, the ducked gain under speech, linear ramps around each span.

        The envelope is piecewise linear, so it is interpolated between its
        corners (found once, `_duck_corners`) instead of worked out sample by
        sample.
        """
        if not len(self._starts):
            return np.ones(len(t))
        if self._corners is None:
            self._corners = self._duck_corners()
        times, gains = self._corners
        return np.interp(t.astype(np.float64), times, gains)

    def _duck_corners(self) -> tuple[np.ndarray, np.ndarray]:
        """Where the duck envelope changes slope, and its value there.

        Around each gap the release ramp of the span before and the attack
        ramp of the one after meet; the lower wins, so besides the ramps'
        ends a corner can lie where they cross.
        """
        attack, release = float(self._attack), float(self._release)
        corners = [self._starts - attack, self._starts, self._ends, self._ends + release]
        gap_ends, gap_starts = self._starts[1:], self._ends[:-1]
        crossing = (attack * gap_starts + release * gap_ends) / (attack + release)
        corners.append(crossing[(crossing > gap_starts) & (crossing < gap_ends)])
        times = np.unique(np.concatenate(corners))
        return times, self._duck_at(times)

    def _duck_at(self, time: np.ndarray) -> np.ndarray:
        """The duck envelope at `time` (float samples), from its definition.

        Spans are merged and sorted, so only the span at or before each
        sample and the one after it can pull the gain down there: the
        lower of its release ramp and the next one's attack ramp wins.
        """
        after = np.searchsorted(self._starts, time, side="right")
        far = np.float64(np.inf)
        previous_end = np.where(after > 0, self._ends[np.maximum(after - 1, 0)], -far)
        next_start = np.where(
            after < len(self._starts), self._starts[np.minimum(after, len(self._starts) - 1)], far
        )
        released = np.clip((time - previous_end) / self._release, 0.0, 1.0)
        approached = np.clip((next_start - time) / self._attack, 0.0, 1.0)
        depth = 1.0 - self._ducked
        return 1.0 - depth * (1.0 - np.minimum(released, approached))

    def fade_envelope(self, t: np.ndarray) -> np.ndarray:
        """Raised-cosine fade in from 0 at the first sample and out to 0 at the last."""
        gain = np.ones(len(t))
        # Cosines only where a fade is: the first and last seconds of the session.
        for fading, position in (
            (t < self._fade_in, lambda x: x / self._fade_in),
            (
                t > self._total - 1 - self._fade_out,
                lambda x: (self._total - 1 - x) / self._fade_out,
            ),
        ):
            if fading.any():
                into = np.clip(position(t[fading]), 0.0, 1.0)
                gain[fading] *= 0.5 - 0.5 * np.cos(np.pi * into)
        return gain
