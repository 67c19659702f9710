"""Speech levelling, the peak limiter and the true-peak check, measured on known signals."""

from __future__ import annotations

import time

import numpy as np
import pytest
import soxr

from audio_tools import ebur128
from voiceroutine.audio.dynamics import (
    SPEECH_CEILING,
    SPEECH_RMS,
    LevelledClip,
    active_rms,
    limit_peaks,
    oversampled_peaks,
)
from voiceroutine.audio.encode import encode
from voiceroutine.audio.formats import FORMATS
from voiceroutine.audio.meter import PeakMeter
from voiceroutine.audio.truepeak import GrowingFileCheck, measure_file

RATE = 44_100


def speech_like(seconds: float = 2.0, seed: int = 1) -> np.ndarray:
    """Bursts of harmonics with sharp peaks and pauses, like a spoken line."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(RATE * seconds)) / RATE
    voiced = sum(np.sin(2 * np.pi * 140 * k * t + rng.uniform(0, 6)) / k for k in range(1, 12))
    syllables = (np.sin(2 * np.pi * 3 * t) > 0.2).astype(np.float64)
    clicks = np.zeros_like(t)
    clicks[rng.integers(0, len(t), 12)] = 3.0  # plosive-like spikes far above the rest
    return ((voiced * syllables + clicks) * 0.05).astype(np.float32)


def test_levelled_speech_has_the_reference_level_and_its_peaks_under_the_ceiling() -> None:
    for scale in (0.01, 1.0, 8.0):  # a whisper-quiet engine, a normal one, a clipping one
        levelled = LevelledClip(speech_like() * scale, RATE).limited(SPEECH_CEILING)
        # The limiter takes a little off the voiced level where it pulls peaks down.
        assert active_rms(levelled, RATE) == pytest.approx(SPEECH_RMS, rel=0.1)
        assert float(oversampled_peaks(levelled, RATE).max()) <= SPEECH_CEILING * 1.01


def test_the_limiter_leaves_a_signal_under_the_ceiling_untouched() -> None:
    quiet = speech_like() * 0.5
    assert float(oversampled_peaks(quiet, RATE).max()) < 0.9
    assert np.array_equal(limit_peaks(quiet, RATE, 0.9), quiet)


def test_the_limiter_gain_moves_smoothly_and_only_around_peaks() -> None:
    signal = np.full(RATE, 0.1, dtype=np.float32)
    signal[RATE // 2] = 1.0
    limited = limit_peaks(signal, RATE, 0.3)
    gain = limited / signal
    assert gain[RATE // 2] * 1.0 <= 0.3 + 1e-6
    assert np.max(np.abs(np.diff(gain))) < 0.05  # no steps: a ramp over several samples
    untouched = np.r_[gain[: RATE // 2 - 600], gain[RATE // 2 + 600 :]]
    assert np.allclose(untouched, 1.0)


def test_a_lossless_encode_reports_the_true_peak_of_its_pcm(tmp_path) -> None:
    t = np.arange(RATE * 5) / RATE
    sine = 0.1 * np.sin(2 * np.pi * 997 * t)  # -20 dBFS; its samples miss the crests
    pcm = (sine * 32767).round().astype("<i2").tobytes()
    measured = encode([pcm], tmp_path / "sine.wav", FORMATS["wav"], RATE, 1)
    assert measured.true_peak_dbtp == pytest.approx(-20.0, abs=0.02)
    # BS.1770: a full-scale 997 Hz sine reads -3.01 LUFS, so this one -23.01.
    assert measured.lufs == pytest.approx(-23.01, abs=0.05)
    from_file = measure_file(tmp_path / "sine.wav", RATE, 1)
    assert from_file.true_peak_dbtp == pytest.approx(measured.true_peak_dbtp, abs=0.01)
    assert from_file.lufs == pytest.approx(measured.lufs, abs=0.01)


@pytest.mark.parametrize("name", ["mp3", "ogg", "opus", "flac", "wav", "m4b"])
def test_the_peak_and_loudness_checked_while_encoding_are_those_of_the_written_file(
    tmp_path, name: str
) -> None:
    audio_format = FORMATS[name]
    rate = audio_format.default_rate
    samples = speech_like(3.0)
    pcm = (samples / np.max(np.abs(samples)) * 0.8 * 32767).round().astype("<i2")
    stereo = np.repeat(pcm[:, np.newaxis], 2, axis=1).tobytes()
    target = tmp_path / f"speech.{audio_format.extension}"
    measured = encode([stereo[: len(stereo) // 2], stereo[len(stereo) // 2 :]], target,
                      audio_format, rate, 2)  # fmt: skip
    # Streamed formats were decoded by another decoder than ffmpeg's (miniaudio, for MP3
    # and Vorbis) or not at all (lossless): the written file decoded by ffmpeg agrees,
    # and so does ffmpeg's own loudness meter.
    assert measured.true_peak_dbtp == pytest.approx(
        measure_file(target, rate, 2).true_peak_dbtp, abs=0.05
    )
    assert -8.0 < measured.true_peak_dbtp < 2.0  # lossy codecs round off the clicks
    assert measured.lufs == pytest.approx(ebur128(target).integrated, abs=0.15)


def test_a_file_checked_while_it_is_written_is_checked_to_its_end(tmp_path) -> None:
    # The loudest moment is at the very end: a check that stopped at a moment when it had
    # caught up with the writer would miss it.
    samples = speech_like(4.0) * 0.5
    samples[-RATE // 4 :] *= 3.0
    pcm = (np.clip(samples, -1, 1) * 32767).round().astype("<i2").tobytes()
    written = tmp_path / "whole.mp3"
    whole = encode([pcm], written, FORMATS["mp3"], RATE, 1)
    encoded = written.read_bytes()
    growing = tmp_path / "growing.mp3"
    growing.write_bytes(b"")
    check = GrowingFileCheck(growing, "MP3", RATE, 1, growing.name)
    with growing.open("ab") as writer:  # as an encoder writes: in pieces, with pauses
        for start in range(0, len(encoded), 997):
            writer.write(encoded[start : start + 997])
            writer.flush()
            time.sleep(0.001)
    checked = check.finish()
    assert checked.true_peak_dbtp == pytest.approx(whole.true_peak_dbtp, abs=1e-6)
    assert np.array_equal(checked.frame_powers, whole.frame_powers)
    whole_peak = whole.true_peak_dbtp
    assert whole_peak == pytest.approx(measure_file(written, RATE, 1).true_peak_dbtp, abs=0.05)
    earlier_peak = 20 * np.log10(float(np.max(np.abs(samples[: -RATE // 4]))))
    assert whole_peak > earlier_peak + 3.0  # the end was three times as loud


@pytest.mark.parametrize(("channels", "block"), [(1, 65536), (1, 4000), (2, 65536), (2, 333)])
def test_the_meter_finds_the_peak_that_oversampling_everything_finds(
    channels: int, block: int
) -> None:
    # Quiet noise, a loud stretch of plain samples, and far from it a softer burst near
    # Nyquist whose peaks fall between samples: it has the true peak, though its samples
    # are quieter than the loud stretch's. The meter skips what cannot hold the peak.
    rng = np.random.default_rng(channels * block)
    frames = 300_000
    signal = (rng.standard_normal((frames, channels)) * 0.02).astype(np.float32)
    signal[100:300] = 0.35
    burst = np.arange(4000) / RATE
    start = int(rng.integers(20_000, frames - 5000))
    signal[start : start + 4000] = (0.3 * np.sin(2 * np.pi * 0.45 * RATE * burst + 1.0))[:, None]
    everything = soxr.resample(signal, RATE, RATE * 4, quality="HQ")
    expected = 20 * np.log10(max(np.abs(everything).max(), np.abs(signal).max()))
    meter = PeakMeter(RATE, channels)
    flat = signal.reshape(-1)
    for first in range(0, len(flat), block * channels):
        meter.add(flat[first : first + block * channels])
    assert meter.dbtp() == pytest.approx(expected, abs=1e-4)
    assert expected > 20 * np.log10(0.35) + 0.5  # the burst's peak, between samples, won
