"""Synthesize the palette of cue sounds (bell, chime, tick, breathing tones) and read users' own."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voiceroutine.audio.ffmpeg import audio_segment_class
from voiceroutine.errors import Place, VoiceroutineError
from voiceroutine.names import PALETTE_SOUNDS
from voiceroutine.plan import TONES

SOUND_NAMES: tuple[str, ...] = PALETTE_SOUNDS
"""Fixed-length sounds a routine can ask for by name."""
TONE_NAMES: tuple[str, ...] = TONES
"""Breathing tones that span a phase of a breathing pattern."""

PALETTE_PEAK = 0.5
"""Sample peak of every palette sound (-6 dBFS): a little under full-scale speech."""
MAX_SOUND_FILE_SECONDS = 60.0
"""A user's sound file is a cue, not music: longer files are refused."""

BELL_HZ = 520.0
BELL_SECONDS = 3.5
CHIME_SECONDS = 1.2
TICK_MS = 50
HOLD_MS = 350
HOLD_HZ = 262.0
BREATH_LOW_HZ = 220.0
BREATH_HIGH_HZ = 330.0
BREATH_HARMONICS: tuple[float, ...] = (1.0, 0.3, 0.12)
"""Amplitudes of the breathing tones' harmonics 1, 2, 3: the upper ones carry on phone speakers."""


@dataclass(frozen=True)
class Partial:
    """One exponentially decaying sine of a struck sound."""

    ratio: float
    """Frequency as a multiple of the sound's fundamental."""
    amplitude: float
    decay_s: float
    """Time constant of the exponential decay."""
    beat_hz: float = 0.0
    """A quieter twin this much higher makes the partial shimmer slowly, as a real bowl does."""


BELL_PARTIALS: tuple[Partial, ...] = (
    Partial(1.0, 1.0, 1.5, beat_hz=1.1),
    Partial(2.76, 0.45, 0.9, beat_hz=2.3),
    Partial(5.4, 0.2, 0.5),
    Partial(8.9, 0.1, 0.3),
)
CHIME_PARTIALS: tuple[Partial, ...] = (
    Partial(1.0, 1.0, 0.45),
    Partial(2.0, 0.15, 0.25),
    Partial(3.0, 0.05, 0.15),
)
CHIME_NOTES: tuple[tuple[float, float, float], ...] = ((880.0, 0.0, 1.0), (1318.5, 0.18, 0.8))
"""(frequency Hz, onset s, amplitude) of the chime's two notes: A5 then E6, a rising fifth."""
TICK_PARTIALS: tuple[Partial, ...] = (
    Partial(1.0, 1.0, 0.006),
    Partial(1.37, 0.6, 0.004),
)
TICK_HZ = 1750.0


def synthesize(name: str, sample_rate: int, duration_ms: int | None = None) -> np.ndarray:
    """Mono float32 samples of a palette sound, peaking at PALETTE_PEAK.

    `duration_ms` is how long a breathing tone lasts (required for them; the
    compiler makes it a little shorter than its phase); bell, chime and tick
    have fixed lengths and ignore it.
    """
    if name in SOUND_NAMES:
        if name == "bell":
            raw = _bell(sample_rate)
        elif name == "chime":
            raw = _chime(sample_rate)
        else:
            raw = _tick(sample_rate)
    elif name in TONE_NAMES:
        if duration_ms is None or duration_ms <= 0:
            raise ValueError(f"the {name!r} tone needs its length (duration_ms > 0)")
        tone_ms = duration_ms
        if name == "hold":
            raw = _hold(sample_rate, min(HOLD_MS, tone_ms))
        else:
            rising = name == "inhale"
            raw = _breath(sample_rate, tone_ms, rising)
    else:
        known = ", ".join((*SOUND_NAMES, *TONE_NAMES))
        raise ValueError(f"unknown sound {name!r}; known sounds: {known}")
    return _finish(raw)


def _samples(ms: float, sample_rate: int) -> int:
    return max(1, round(ms * sample_rate / 1000))


def _edges(n: int, attack: int, release: int) -> np.ndarray:
    """1.0 inside; raised-cosine ramps from exactly 0 at the first and to exactly 0 at the last."""
    envelope = np.ones(n)
    attack, release = min(attack, n // 2), min(release, n // 2)
    if attack:
        envelope[:attack] = 0.5 - 0.5 * np.cos(np.pi * np.arange(attack) / attack)
    if release:
        envelope[n - release :] = 0.5 - 0.5 * np.cos(
            np.pi * np.arange(release - 1, -1, -1) / release
        )
    return envelope


def _struck(
    t: np.ndarray, hz: float, partials: tuple[Partial, ...], onset_s: float, attack_s: float
) -> np.ndarray:
    """A struck note starting at `onset_s`: decaying partials behind a soft (cos^4) attack."""
    local = np.maximum(t - onset_s, 0.0)[:, None]
    ratios = np.array([p.ratio for p in partials])
    amplitudes = np.array([p.amplitude for p in partials])
    decays = np.array([p.decay_s for p in partials])
    beats = np.array([p.beat_hz for p in partials])
    decay = amplitudes * np.exp(-local / decays)
    tone = 0.75 * np.sin(2 * np.pi * hz * ratios * local) + 0.25 * np.sin(
        2 * np.pi * (hz * ratios + beats) * local
    )
    attack = (0.5 - 0.5 * np.cos(np.pi * np.clip(t - onset_s, 0.0, attack_s) / attack_s)) ** 2
    return (decay * tone).sum(axis=1) * attack


def _bell(sample_rate: int) -> np.ndarray:
    n = round(BELL_SECONDS * sample_rate)
    t = np.arange(n) / sample_rate
    return _struck(t, BELL_HZ, BELL_PARTIALS, 0.0, 0.004) * _edges(n, 0, _samples(600, sample_rate))


def _chime(sample_rate: int) -> np.ndarray:
    n = round(CHIME_SECONDS * sample_rate)
    t = np.arange(n) / sample_rate
    notes = sum(
        amplitude * _struck(t, hz, CHIME_PARTIALS, onset, 0.006)
        for hz, onset, amplitude in CHIME_NOTES
    )
    return notes * _edges(n, 0, _samples(250, sample_rate))


def _tick(sample_rate: int) -> np.ndarray:
    n = _samples(TICK_MS, sample_rate)
    t = np.arange(n) / sample_rate
    return _struck(t, TICK_HZ, TICK_PARTIALS, 0.0, 0.0025) * _edges(n, 0, _samples(10, sample_rate))


def _hold(sample_rate: int, length_ms: float) -> np.ndarray:
    """A soft low 'boop': a short tone with a gentle swell and an exponential fade."""
    n = _samples(length_ms, sample_rate)
    t = np.arange(n) / sample_rate
    phase = 2 * np.pi * HOLD_HZ * t
    tone = sum(a * np.sin((k + 1) * phase) for k, a in enumerate(BREATH_HARMONICS))
    envelope = np.exp(-t / 0.15) * _edges(n, _samples(25, sample_rate), _samples(80, sample_rate))
    return tone * envelope


def _breath(sample_rate: int, length_ms: float, rising: bool) -> np.ndarray:
    """A glide between BREATH_LOW_HZ and BREATH_HIGH_HZ (up for inhale, down for exhale).

    The frequency moves along a smoothstep in log-frequency and the phase is
    its running integral, so there is no click anywhere. The loudness swells
    towards the end of an inhale and from the start of an exhale.
    """
    n = _samples(length_ms, sample_rate)
    x = np.arange(n) / n
    progress = x * x * (3 - 2 * x)
    low, high = (BREATH_LOW_HZ, BREATH_HIGH_HZ) if rising else (BREATH_HIGH_HZ, BREATH_LOW_HZ)
    frequency = low * (high / low) ** progress
    phase = 2 * np.pi * (np.cumsum(frequency) - frequency[0]) / sample_rate
    tone = sum(a * np.sin((k + 1) * phase) for k, a in enumerate(BREATH_HARMONICS))
    rise, fall = (2.5, 1.5) if rising else (1.5, 2.5)
    swell = x**rise * (1 - x) ** fall
    return tone * swell


def _finish(samples: np.ndarray) -> np.ndarray:
    """Remove any DC (a Hann-shaped correction keeps both ends at zero) and peak-normalise."""
    n = len(samples)
    if n < 3:
        return np.zeros(n, dtype=np.float32)
    window = np.hanning(n)
    samples = samples - samples.mean() * window / window.mean()
    peak = float(np.max(np.abs(samples)))
    if peak == 0.0:
        return samples.astype(np.float32)
    return (samples * (PALETTE_PEAK / peak)).astype(np.float32)


def load_sound_file(path: Path, sample_rate: int) -> np.ndarray:
    """A user's own sound file (any format ffmpeg reads) as mono float32 at `sample_rate`."""
    samples = read_audio_file(path, sample_rate, MAX_SOUND_FILE_SECONDS, "sound file")
    mono = samples.mean(axis=1, dtype=np.float32)
    if not mono.size or float(np.max(np.abs(mono))) < 1e-4:
        raise VoiceroutineError("the sound file is silent", Place(path))
    return mono


def read_audio_file(path: Path, sample_rate: int, max_seconds: float, kind: str) -> np.ndarray:
    """Decode an audio file with pydub as (frames, channels) float32 at `sample_rate`.

    Stereo stays stereo; more channels are mixed down to mono. Files longer
    than `max_seconds` are refused (only a little more than that is decoded).
    `kind` names the file in error messages ("sound file", "music file").
    """
    place = Place(path)
    if not path.is_file():
        problem = "not a file" if path.exists() else "no such file"
        raise VoiceroutineError(f"cannot read the {kind}: {problem}", place)
    segment_class = audio_segment_class()
    from pydub.exceptions import CouldntDecodeError

    try:
        # Not from_file: it asks ffprobe for the codec, and only ffmpeg is bundled.
        segment = segment_class.from_file_using_temporary_files(str(path), duration=max_seconds + 1)
    except (CouldntDecodeError, OSError, ValueError, EOFError) as error:
        reason = _ffmpeg_reason(str(error))
        raise VoiceroutineError(f"cannot read the {kind} as audio: {reason}", place) from None
    if segment.frame_count() > max_seconds * segment.frame_rate:
        raise VoiceroutineError(
            f"the {kind} is longer than {max_seconds:g} s, the most allowed", place
        )
    if segment.frame_count() < 1:
        raise VoiceroutineError(f"the {kind} contains no audio", place)
    return _to_float(segment, sample_rate)


def _ffmpeg_reason(message: str) -> str:
    """The last line ffmpeg wrote, without the (temporary) file name it starts with."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    if not lines:
        return "unknown format"
    return lines[-1].rsplit(": ", 1)[-1]


def _to_float(segment: Any, sample_rate: int) -> np.ndarray:
    """A pydub segment's samples as (frames, channels) float32 in [-1, 1] at `sample_rate`."""
    width: int = segment.sample_width
    channels: int = segment.channels
    rate: int = segment.frame_rate
    # pydub holds signed samples (8-bit unbiased, 24-bit widened to 32) in native order.
    dtype = {1: np.int8, 2: np.int16, 4: np.int32}[width]
    raw = np.frombuffer(segment.raw_data, dtype=dtype)
    samples = raw.reshape(-1, channels).astype(np.float32)
    samples *= np.float32(1 / (1 << (8 * width - 1)))
    if channels > 2:
        samples = samples.mean(axis=1, keepdims=True, dtype=np.float32)
    if rate != sample_rate:
        import soxr

        samples = soxr.resample(samples, rate, sample_rate, quality="HQ").reshape(
            -1, samples.shape[1]
        )
    samples = samples.astype(np.float32, copy=False)
    return np.clip(samples, -1.0, 1.0, out=samples)
