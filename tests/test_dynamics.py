"""Speech levelling, the peak limiter and the loudness meter, measured on known signals."""

from __future__ import annotations

import numpy as np
import pytest

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
from voiceroutine.audio.loudness import (
    TRUE_PEAK_LIMIT_DBTP,
    corrected,
    plan_gain,
    predict_integrated,
)
from voiceroutine.audio.truepeak import true_peak_dbtp

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


def test_the_encoder_measures_a_sine_as_bs1770_says(tmp_path) -> None:
    # A 997 Hz sine at full scale reads -3.01 LUFS; at -20 dBFS, -23.01 LUFS.
    t = np.arange(RATE * 5) / RATE
    sine = 0.1 * np.sin(2 * np.pi * 997 * t)
    pcm = (sine * 32767).round().astype("<i2").tobytes()
    measured = encode([pcm], tmp_path / "sine.wav", FORMATS["wav"], RATE, 1)
    assert measured.integrated_lufs == pytest.approx(-23.0, abs=0.1)
    assert measured.true_peak_dbtp == pytest.approx(-20.0, abs=0.05)


@pytest.mark.parametrize("name", ["mp3", "ogg", "opus", "flac", "wav", "m4b"])
def test_the_peak_checked_while_encoding_is_the_peak_of_the_written_file(
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
    assert measured.true_peak_dbtp == pytest.approx(true_peak_dbtp(target, rate), abs=0.05)
    assert -8.0 < measured.true_peak_dbtp < 2.0  # lossy codecs round off the clicks


def test_the_prediction_gates_silence_out_as_bs1770_does() -> None:
    frames = np.full(100, 0.01)  # 10 s at a steady level
    steady = predict_integrated(frames)
    with_silence = predict_integrated(np.concatenate([frames, np.zeros(300)]))
    # Only the three blocks that straddle the edge count a little silence.
    assert with_silence == pytest.approx(steady, abs=0.1)  # absolute gate
    with_whisper = predict_integrated(np.concatenate([frames, np.full(100, 1e-5)]))
    assert with_whisper == pytest.approx(steady, abs=0.1)  # relative gate


def test_a_missed_target_is_corrected_within_what_the_peaks_allow() -> None:
    plan = plan_gain(-26.0, 0.1, -16.0, 2.0)
    assert corrected(plan, -16.3) is None
    louder = corrected(plan, -17.0)
    assert louder is not None and louder.gain_db == pytest.approx(plan.gain_db + 1.0)
    capped = plan_gain(-26.0, 0.5, -16.0, 2.0)
    assert corrected(capped, -19.0) is None


def test_the_gain_reaches_the_target_unless_peaks_would_pass_the_limit() -> None:
    easy = plan_gain(-26.0, 0.1, -16.0, 2.0)
    assert easy.gain_db == pytest.approx(10.0)
    assert easy.expected_lufs == pytest.approx(-16.0)
    assert easy.problem() is None
    peaky = plan_gain(-26.0, 0.5, -16.0, 2.0)
    assert 20 * np.log10(0.5) + peaky.gain_db <= TRUE_PEAK_LIMIT_DBTP - 1.99
    assert peaky.expected_lufs < -16.5
    assert "loudness" in (peaky.problem() or "")
    silent = plan_gain(-70.0, 0.0, -16.0, 2.0)
    assert silent.gain_db == 0.0
