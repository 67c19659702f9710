"""A user's music file made into a seamless loop: silent ends cut, tail crossfaded into head."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from voiceroutine.audio.sounds import read_audio_file
from voiceroutine.errors import Place, VoiceroutineError

MAX_MUSIC_SECONDS = 30 * 60.0
MIN_MUSIC_SECONDS = 4.0
SILENT_MUSIC_DBFS = -70.0
"""A music file whose RMS is below this is taken for silence."""
TRIM_DB = -60.0
"""Leading and trailing samples this far below the file's peak are cut before looping."""
LOOP_CROSSFADE_MS = 2000
SPLICE_SEARCH_MS = 50
"""How far back from its end make_seamless looks for the loop point that best matches its head."""


def unit_rms(samples: np.ndarray) -> np.ndarray:
    """The samples scaled to an RMS of 1, as float32: a loop's level is set where it is mixed."""
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
    return unit_rms(make_seamless(samples, sample_rate, crossfade_ms))


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
