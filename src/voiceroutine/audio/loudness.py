"""Loudness (ITU-R BS.1770): K-weight a session's sources, gate its loudness, pick its gain.

The build computes the session's integrated loudness itself, exactly as
BS.1770 defines it, before anything is encoded, so the gain is set once.
K-weighting is linear and time-invariant: the K-weighted mix is the mix of
the K-weighted sources, and each distinct source (a line, a sound, the music
bed's loop) is filtered once, by FFT convolution with the filter's impulse
response. The weighted mix is then measured in 100 ms frames and gated as
the standard gates. The tests check the result against ffmpeg's ebur128
meter. ffmpeg's loudnorm filter is not used: it silently switches to dynamic
mode when the target cannot be met linearly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

DEFAULT_TARGET_LUFS = -16.0
"""The spoken-word target of the big podcast platforms."""
TRUE_PEAK_LIMIT_DBTP = -1.0
SPEC_TOLERANCE_LU = 0.5
"""How far from the target a finished file may be before the build warns."""
FRAME_MS = 100
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
LOUDNESS_OFFSET_DB = -0.691
"""BS.1770's constant: it makes a 997 Hz sine at full scale read -3.01 LUFS."""
MAX_GAIN_DB = 40.0
SILENCE_LUFS = -70.0

# K-weighting's two stages as analog prototypes (the constants of libebur128 and ffmpeg),
# which reproduce the standard's 48 kHz coefficients and give them at any other rate.
SHELF_HZ = 1681.974450955533
SHELF_GAIN_DB = 3.999843853973347
SHELF_Q = 0.7071752369554196
SHELF_BAND_EXPONENT = 0.4996667741545416
"""The shelf's mid-band gain is its high-frequency gain to this power."""
HIGHPASS_HZ = 38.13547087602444
HIGHPASS_Q = 0.5003270373238773

IMPULSE_MS = 100
"""Length of the K-weighting impulse response used for convolution. Its slowest part is the
high-pass's double pole near 38 Hz (time constant 4.2 ms at any rate): after 100 ms the sum
of the magnitudes of the rest is below 1e-9 (-180 dB) at 48 kHz and smaller at lower rates."""
BLOCK_FFT_SIZE = 1 << 15
"""FFT size of overlap-add convolution: one spectrum of the impulse response serves every clip."""


@dataclass(frozen=True)
class Biquad:
    """A second-order IIR section, a[0] = 1: y[n] = b0 x[n] + b1 x[n-1] + b2 x[n-2]
    - a1 y[n-1] - a2 y[n-2]."""

    b: tuple[float, float, float]
    a: tuple[float, float, float]


def k_weighting_biquads(sample_rate: int) -> tuple[Biquad, Biquad]:
    """BS.1770's high shelf and RLB high-pass at `sample_rate`, by the bilinear transform.

    With K = tan(pi f0 / fs), s = (1 - 1/z) / (K (1 + 1/z)) maps the prototypes
    (Vh s^2 + Vb s / Q + 1) / (s^2 + s / Q + 1) and s^2 / (s^2 + s / Q + 1)
    onto the unit circle with f0 where it belongs. As in the standard's table,
    the high-pass's numerator is left at [1, -2, 1], not divided by a0.
    """
    k = math.tan(math.pi * SHELF_HZ / sample_rate)
    high = 10 ** (SHELF_GAIN_DB / 20)
    band = high**SHELF_BAND_EXPONENT
    a0 = 1 + k / SHELF_Q + k * k
    shelf = Biquad(
        b=(
            (high + band * k / SHELF_Q + k * k) / a0,
            2 * (k * k - high) / a0,
            (high - band * k / SHELF_Q + k * k) / a0,
        ),
        a=(1.0, 2 * (k * k - 1) / a0, (1 - k / SHELF_Q + k * k) / a0),
    )
    k = math.tan(math.pi * HIGHPASS_HZ / sample_rate)
    a0 = 1 + k / HIGHPASS_Q + k * k
    highpass = Biquad(
        b=(1.0, -2.0, 1.0),
        a=(1.0, 2 * (k * k - 1) / a0, (1 - k / HIGHPASS_Q + k * k) / a0),
    )
    return shelf, highpass


def impulse_response(sections: tuple[Biquad, ...], length: int) -> np.ndarray:
    """The first `length` samples of the cascade's response to a unit impulse."""
    signal = [1.0] + [0.0] * (length - 1)
    for section in sections:
        b0, b1, b2 = section.b
        _, a1, a2 = section.a
        x1 = x2 = y1 = y2 = 0.0
        out = []
        for x in signal:  # a few thousand samples once per session: plain Python is quick enough
            y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
            x2, x1, y2, y1 = x1, x, y1, y
            out.append(y)
        signal = out
    return np.array(signal)


class KWeighting:
    """BS.1770's K-weighting filter at one sample rate, applied by FFT convolution."""

    def __init__(self, sample_rate: int) -> None:
        self.impulse = impulse_response(
            k_weighting_biquads(sample_rate), sample_rate * IMPULSE_MS // 1000
        )
        # Blocks at least four times the response's length keep the overlap-add's waste small.
        self._size = max(BLOCK_FFT_SIZE, 1 << (4 * len(self.impulse)).bit_length())
        self._spectra: dict[int, np.ndarray] = {}
        """The response's spectrum at each FFT size used (a short stretch takes a small one)."""

    def filtered(self, samples: np.ndarray) -> np.ndarray:
        """Mono `samples` K-weighted, float32, with the filter's ringing after them kept.

        The output is len(samples) + len(impulse) - 1 long, as the filter would
        give it from silence into silence. Digital silence filters to silence
        once the ringing before it has passed, so the stretches of sound between
        long silences (most of a session is held in silence) are convolved alone
        and added where they start: the same sum, with less to compute.
        """
        tail = len(self.impulse) - 1
        out = np.zeros(len(samples) + tail, dtype=np.float32)
        for start, end in _sounding(samples, tail):
            out[start : end + tail] += self._convolved(samples[start:end])
        return out

    def _convolved(self, samples: np.ndarray) -> np.ndarray:
        """`samples` convolved with the response by overlap-add, ringing included."""
        tail = len(self.impulse) - 1
        size = min(self._size, 1 << (len(samples) + tail - 1).bit_length())
        spectrum = self._spectra.get(size)
        if spectrum is None:
            spectrum = self._spectra[size] = np.fft.rfft(self.impulse, size).astype(np.complex64)
        step = size - tail
        count = max(1, -(-len(samples) // step))
        blocks = np.zeros((count, step), dtype=np.float32)
        blocks.reshape(-1)[: len(samples)] = samples
        spectra = np.fft.rfft(blocks, size, axis=1) * spectrum
        convolved = np.fft.irfft(spectra, size, axis=1).astype(np.float32)
        # Overlap-add: each block's ringing (shorter than a block) falls on the next block.
        # The output is allocated at its exact length: the session holds one per line.
        out = np.zeros(len(samples) + tail, dtype=np.float32)
        for index, block in enumerate(convolved):
            start = index * step
            end = min(start + size, len(out))
            out[start:end] += block[: end - start]
        return out

    def circular(self, loop: np.ndarray) -> np.ndarray:
        """A periodic signal's (n, channels) K-weighted loop: the filter's steady state."""
        n = len(loop)
        # The response wrapped onto one period, so a loop shorter than it is filtered exactly too.
        wrapped = np.zeros(-(-len(self.impulse) // n) * n)
        wrapped[: len(self.impulse)] = self.impulse
        response = np.fft.rfft(wrapped.reshape(-1, n).sum(axis=0).astype(np.float32))
        out = np.empty((n, loop.shape[1]), dtype=np.float32)
        for channel in range(loop.shape[1]):  # one at a time: a music file may last half an hour
            spectrum = np.fft.rfft(loop[:, channel].astype(np.float32)) * response
            out[:, channel] = np.fft.irfft(spectrum, n)
        return out


SILENCE_CHUNK = 256
"""Samples judged together when looking for digital silence."""


def _sounding(samples: np.ndarray, gap: int) -> list[tuple[int, int]]:
    """[start, end) stretches of `samples` that hold every non-zero sample, apart where at
    least `gap` samples in a row are exactly zero (found a chunk at a time, so a stretch may
    begin or end with a few zeros)."""
    chunks = -(-len(samples) // SILENCE_CHUNK)
    padded = np.zeros(chunks * SILENCE_CHUNK, dtype=samples.dtype)
    padded[: len(samples)] = samples
    sounding = np.flatnonzero(padded.reshape(chunks, SILENCE_CHUNK).any(axis=1))
    if sounding.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(sounding) > gap // SILENCE_CHUNK + 1)
    starts = np.concatenate([[sounding[0]], sounding[breaks + 1]]) * SILENCE_CHUNK
    ends = np.minimum(
        (np.concatenate([sounding[breaks], [sounding[-1]]]) + 1) * SILENCE_CHUNK, len(samples)
    )
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


class StreamingLoudness:
    """The K-weighted 100 ms frame powers of audio fed to it block by block, as decoded.

    Each block is K-weighted by the same convolution as the sources, its
    ringing carried into the next block; frames run from the first sample and
    a last partial frame is left out, as the build's own measurement does.
    """

    def __init__(self, sample_rate: int, channels: int) -> None:
        self._weighting = KWeighting(sample_rate)
        self._frame = sample_rate * FRAME_MS // 1000
        self._ringing = np.zeros((len(self._weighting.impulse) - 1, channels), dtype=np.float32)
        self._partial = np.zeros(0, dtype=np.float64)
        """The squared, channel-summed weighted samples of the frame not yet complete."""
        self._powers: list[np.ndarray] = []

    def add(self, frames: np.ndarray) -> None:
        """Meter the next (n, channels) float32 frames."""
        count = len(frames)
        if count == 0:
            return
        squares = np.zeros(count, dtype=np.float64)
        ringing = np.empty_like(self._ringing)
        for channel in range(frames.shape[1]):
            # As long as the block plus the ringing: the previous ringing is added at its start.
            weighted = self._weighting.filtered(frames[:, channel])
            weighted[: len(ringing)] += self._ringing[:, channel]
            squares += np.square(weighted[:count], dtype=np.float64)
            ringing[:, channel] = weighted[count:]
        self._ringing = ringing
        pending = np.concatenate([self._partial, squares])
        whole = len(pending) // self._frame * self._frame
        if whole:
            self._powers.append(pending[:whole].reshape(-1, self._frame).mean(axis=1))
        self._partial = pending[whole:]

    def frame_powers(self) -> np.ndarray:
        """The mean square of each whole frame fed so far, summed over channels."""
        return np.concatenate(self._powers) if self._powers else np.zeros(0)


def integrated_loudness(k_weighted_frame_powers: np.ndarray) -> float:
    """Integrated loudness (LUFS) from the K-weighted mean squares of 100 ms frames (summed over
    channels).

    BS.1770's 400 ms blocks overlapping by 75 % are four consecutive frames;
    blocks under the absolute gate, then those more than 10 LU under the
    mean of the rest, are left out.
    """
    frame_powers = k_weighted_frame_powers
    if len(frame_powers) < 4:
        frame_powers = np.pad(frame_powers, (0, 4 - len(frame_powers)))
    blocks = np.convolve(frame_powers, np.ones(4) / 4, mode="valid")
    levels = LOUDNESS_OFFSET_DB + 10 * np.log10(np.maximum(blocks, 1e-20))
    blocks = blocks[levels > ABSOLUTE_GATE_LUFS]
    if blocks.size == 0:
        return SILENCE_LUFS
    relative = LOUDNESS_OFFSET_DB + 10 * math.log10(float(blocks.mean())) + RELATIVE_GATE_LU
    blocks = blocks[LOUDNESS_OFFSET_DB + 10 * np.log10(blocks) > relative]
    return LOUDNESS_OFFSET_DB + 10 * math.log10(float(blocks.mean()))


@dataclass(frozen=True)
class LoudnessPlan:
    """The session's loudness at unit gain, the one gain that brings it to its target, and,
    once the file is written, what it measures as players decode it."""

    predicted_lufs: float
    """The session's integrated loudness at unit gain, computed from its sources."""
    sample_peak_dbfs: float
    gain_db: float
    target_lufs: float
    true_peak_dbtp: float | None = None
    """The true peak of the encoded file, once it is measured."""
    max_gain_db: float = MAX_GAIN_DB
    """The most gain the peaks allow."""
    measured_lufs: float | None = None
    """The integrated loudness of the encoded file as decoded, once it is measured."""
    encodes: int = 0
    """How many times the file was encoded to reach its target (level.py)."""

    @property
    def expected_lufs(self) -> float:
        return self.predicted_lufs + self.gain_db

    @property
    def lufs(self) -> float:
        """The file's loudness: as measured once it is written, else as planned."""
        return self.measured_lufs if self.measured_lufs is not None else self.expected_lufs

    def problem(self) -> str | None:
        """What keeps the file from its loudness target or the true-peak limit, or None."""
        peak = self.true_peak_dbtp
        if peak is not None and peak > TRUE_PEAK_LIMIT_DBTP:
            return f"true peak {peak:.1f} dBTP, above {TRUE_PEAK_LIMIT_DBTP:g}"
        missed = self.lufs - self.target_lufs
        if abs(missed) <= SPEC_TOLERANCE_LU:
            return None
        side = "under" if missed < 0 else "over"
        if peak is None:
            why = "the speech peaks leave no more room"
        elif missed < 0 and peak - missed > TRUE_PEAK_LIMIT_DBTP:
            why = f"louder would take the true peak ({peak:.1f} dBTP) past {TRUE_PEAK_LIMIT_DBTP:g}"
        else:
            why = f"the encoder changed it by more than {self.encodes} encodes could correct"
        return (
            f"loudness {self.lufs:.1f} LUFS, {abs(missed):.1f} LU {side} the target "
            f"{self.target_lufs:g}: {why}"
        )


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
