"""The synthesized palette sounds, measured; and users' sound files, decoded from real files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from audio_tools import make_audio_file
from voiceroutine.audio.sounds import (
    MAX_SOUND_FILE_SECONDS,
    PALETTE_PEAK,
    SOUND_NAMES,
    TONE_NAMES,
    load_sound_file,
    synthesize,
)
from voiceroutine.errors import VoiceroutineError
from voiceroutine.plan import PaletteSound
from voiceroutine.tts.estimate import estimate_sound_ms

RATE = 44_100
PHASE_MS = {"inhale": 4000, "exhale": 6000, "hold": 4000}
EXPECTED_MS = {
    "bell": 3500,
    "chime": 1200,
    "tick": 50,
    "inhale": 4000,
    "exhale": 6000,
    "hold": 350,
}


@pytest.fixture(scope="module")
def palette() -> dict[str, np.ndarray]:
    return {name: synthesize(name, RATE, PHASE_MS.get(name)) for name in SOUND_NAMES + TONE_NAMES}


def dominant_hz(samples: np.ndarray, sample_rate: int = RATE) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / sample_rate)[np.argmax(spectrum)])


def energy_below(samples: np.ndarray, hz: float, sample_rate: int = RATE) -> float:
    power = np.abs(np.fft.rfft(samples)) ** 2
    return float(power[np.fft.rfftfreq(len(samples), 1 / sample_rate) < hz].sum() / power.sum())


@pytest.mark.parametrize("name", SOUND_NAMES + TONE_NAMES)
def test_every_sound_has_its_length_level_and_quiet_ends(
    palette: dict[str, np.ndarray], name: str
) -> None:
    samples = palette[name]
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert len(samples) == round(EXPECTED_MS[name] * RATE / 1000)
    assert np.max(np.abs(samples)) == pytest.approx(PALETTE_PEAK, abs=1e-6)
    assert np.max(np.abs(samples[:4])) < 1e-3
    assert np.max(np.abs(samples[-4:])) < 1e-3
    assert abs(float(np.mean(samples))) < 1e-5
    assert energy_below(samples, 150.0) < 0.01, "phone speakers cannot play it"


@pytest.mark.parametrize("name", SOUND_NAMES + TONE_NAMES)
def test_sounds_are_the_same_every_time(palette: dict[str, np.ndarray], name: str) -> None:
    assert np.array_equal(synthesize(name, RATE, PHASE_MS.get(name)), palette[name])


def test_bell_rings_at_its_fundamental_and_decays(palette: dict[str, np.ndarray]) -> None:
    bell = palette["bell"]
    assert dominant_hz(bell) == pytest.approx(520.0, abs=5.0)
    first, last = bell[: RATE // 2], bell[-RATE // 2 :]
    assert np.sqrt(np.mean(last**2)) < 0.1 * np.sqrt(np.mean(first**2))


def test_chime_is_bright_and_tick_is_a_high_click(palette: dict[str, np.ndarray]) -> None:
    chime = dominant_hz(palette["chime"])
    assert chime == pytest.approx(880.0, abs=5) or chime == pytest.approx(1318.5, abs=5)
    assert 1500.0 <= dominant_hz(palette["tick"]) <= 2500.0


def test_inhale_rises_and_exhale_falls(palette: dict[str, np.ndarray]) -> None:
    for name, rising in (("inhale", True), ("exhale", False)):
        samples = palette[name]
        quarter = len(samples) // 4
        first, last = dominant_hz(samples[:quarter]), dominant_hz(samples[-quarter:])
        assert min(first, last) > 200.0 and max(first, last) < 350.0
        assert (first < last - 50.0) if rising else (first > last + 50.0), (name, first, last)


def test_breathing_tones_have_no_clicks(palette: dict[str, np.ndarray]) -> None:
    """A phase-continuous glide: no sample-to-sample step much larger than the tone's own."""
    for name in ("inhale", "exhale"):
        samples = palette[name].astype(np.float64)
        steps = np.abs(np.diff(samples))
        assert steps.max() < 2 * np.pi * 3 * 330.0 / RATE * PALETTE_PEAK


def test_tones_last_exactly_as_long_as_asked() -> None:
    for name in ("inhale", "exhale"):
        for tone_ms in (200, 1000, 8000):
            assert len(synthesize(name, 22_050, tone_ms)) == round(tone_ms * 22.05)
    assert len(synthesize("hold", RATE, 300)) == round(300 * RATE / 1000)
    assert len(synthesize("hold", RATE, 4000)) == round(350 * RATE / 1000)


def test_bad_requests_are_refused() -> None:
    with pytest.raises(ValueError, match="bell, chime, tick, inhale, exhale, hold"):
        synthesize("gong", RATE)
    with pytest.raises(ValueError, match="duration_ms"):
        synthesize("inhale", RATE)


@pytest.mark.parametrize("suffix", ["wav", "mp3"])
def test_a_users_sound_file_is_decoded_and_resampled(tmp_path: Path, suffix: str) -> None:
    path = make_audio_file(
        tmp_path / f"cue.{suffix}", "sine=frequency=660:sample_rate=22050", 1.0, "-ac", "2"
    )
    samples = load_sound_file(path, RATE)
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert abs(len(samples) - RATE) < RATE * 0.03
    assert dominant_hz(samples) == pytest.approx(660.0, abs=3.0)
    assert 0.05 < np.max(np.abs(samples)) <= 1.0


def test_garbage_and_missing_files_are_clear_errors(tmp_path: Path) -> None:
    garbage = tmp_path / "cue.mp3"
    garbage.write_bytes(b"this is not audio at all\n" * 50)
    with pytest.raises(VoiceroutineError, match="cannot read the sound file") as caught:
        load_sound_file(garbage, RATE)
    assert caught.value.place is not None and caught.value.place.file == garbage
    with pytest.raises(VoiceroutineError, match="no such file"):
        load_sound_file(tmp_path / "missing.wav", RATE)


@pytest.mark.parametrize("suffix", ["wav", "mp3"])
def test_a_long_sound_file_is_refused(tmp_path: Path, suffix: str) -> None:
    path = make_audio_file(
        tmp_path / f"long.{suffix}",
        "sine=frequency=440:sample_rate=8000",
        MAX_SOUND_FILE_SECONDS + 5,
    )
    with pytest.raises(VoiceroutineError, match="longer than 60 s") as caught:
        load_sound_file(path, RATE)
    assert caught.value.place is not None and caught.value.place.file == path


def test_check_estimates_the_built_in_sounds_at_their_real_length() -> None:
    for name in SOUND_NAMES:
        real_ms = len(synthesize(name, RATE)) * 1000 / RATE
        assert estimate_sound_ms(PaletteSound(name)) == pytest.approx(real_ms, abs=1)
