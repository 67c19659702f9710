"""The music bed: seamless loops (built-in and from real encoded files) and ducking, measured."""

from __future__ import annotations

import math
import wave
from pathlib import Path

import numpy as np
import pytest

from audio_tools import make_audio_file
from voiceroutine.audio.ambience import ambience_loop
from voiceroutine.audio.bed import Ducking, MusicBed
from voiceroutine.audio.loops import file_loop, make_seamless
from voiceroutine.errors import VoiceroutineError
from voiceroutine.names import AMBIENCES

RATE = 22_050


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


def db(ratio: float) -> float:
    return 20 * float(np.log10(ratio))


def assert_seamless(loop: np.ndarray, sample_rate: int) -> None:
    """Played twice in a row, the seam neither clicks nor changes the level."""
    twice = np.concatenate([loop, loop]).astype(np.float64)
    n = len(loop)
    for channel in range(loop.shape[1]):
        signal = twice[:, channel]
        inside = np.abs(np.diff(signal[:n]))
        seam = abs(signal[n] - signal[n - 1])
        assert seam <= np.percentile(inside, 99.9), f"click at the seam (channel {channel})"
        half = sample_rate // 2
        around_seam = signal[n - half : n + half]
        assert abs(db(rms(around_seam) / rms(signal[:n]))) < 1.5


@pytest.fixture(scope="module", params=AMBIENCES)
def ambience(request: pytest.FixtureRequest) -> tuple[str, np.ndarray]:
    return request.param, ambience_loop(request.param, RATE)


def test_ambiences_are_seamless_unit_rms_loops(ambience: tuple[str, np.ndarray]) -> None:
    _, loop = ambience
    assert loop.shape == (30 * RATE, 1) and loop.dtype == np.float32
    assert rms(loop) == pytest.approx(1.0, rel=1e-4)
    assert abs(float(np.mean(loop))) < 1e-3
    assert_seamless(loop, RATE)


def test_ambiences_are_the_same_every_time(ambience: tuple[str, np.ndarray]) -> None:
    name, loop = ambience
    assert np.array_equal(ambience_loop(name, RATE), loop)


def test_ambiences_differ_in_character(ambience: tuple[str, np.ndarray]) -> None:
    """Brown noise is dark, rain is bright, the drone is a few pure lines."""
    name, loop = ambience
    power = np.abs(np.fft.rfft(loop[:, 0])) ** 2
    hz = np.fft.rfftfreq(len(loop), 1 / RATE)
    share_above_1k = power[hz > 1000].sum() / power.sum()
    strongest_bins = np.sort(power)[::-1]
    if name == "brown-noise":
        assert share_above_1k < 0.15 and power[hz < 30].sum() / power.sum() < 0.01
    elif name == "rain":
        assert share_above_1k > 0.5
    else:
        assert strongest_bins[:32].sum() / power.sum() > 0.99


def test_unknown_ambience_is_refused() -> None:
    with pytest.raises(ValueError, match="brown-noise, rain, drone"):
        ambience_loop("waves", RATE)


CHORD = "aevalsrc=0.3*sin(2*PI*261.6*t)+0.2*sin(2*PI*329.6*t)+0.2*sin(2*PI*392*t):s=44100"
STEREO = "aevalsrc=0.4*sin(2*PI*220*t)|0.3*sin(2*PI*331*t)+0.1*sin(2*PI*497*t):s=44100"


@pytest.mark.parametrize(
    ("name", "source", "channels"),
    [
        ("noise.ogg", "anoisesrc=color=pink:seed=7:sample_rate=44100", 1),
        ("chord.mp3", CHORD, 1),
        ("stereo.mp3", STEREO, 2),
    ],
)
def test_music_files_become_seamless_loops(
    tmp_path: Path, name: str, source: str, channels: int
) -> None:
    path = make_audio_file(tmp_path / name, source, 10.0)
    loop = file_loop(path, RATE)
    assert loop.ndim == 2 and loop.shape[1] == channels and loop.dtype == np.float32
    assert 7.8 * RATE < len(loop) < 8.1 * RATE, "shortened by the 2 s crossfade"
    assert rms(loop) == pytest.approx(1.0, rel=1e-4)
    assert_seamless(loop, RATE)


def test_crossfade_keeps_the_level_of_a_held_tone() -> None:
    """A tail in phase with the head must not bump, one out of phase must not dip."""
    for hz in (200.0, 203.3, 211.7):
        t = np.arange(5 * RATE) / RATE
        tone = np.sin(2 * np.pi * hz * t).astype(np.float32)
        loop = make_seamless(tone, RATE)
        assert loop.ndim == 1
        assert_seamless(loop[:, None], RATE)
        whole_periods = len(loop) // 441 * 441
        envelope = np.abs(loop[:whole_periods]).reshape(-1, 441).max(axis=1)
        assert envelope.min() > 0.9 and envelope.max() < 1.1


def test_make_seamless_shortens_by_the_crossfade() -> None:
    noise = np.random.default_rng(1).standard_normal((RATE * 6, 2)).astype(np.float32)
    assert make_seamless(noise, RATE, 1000, search_ms=0).shape == (RATE * 5, 2)
    searched = make_seamless(noise, RATE, 1000)
    assert RATE * 5 - RATE // 20 <= len(searched) <= RATE * 5


def test_unusable_music_files_are_clear_errors(tmp_path: Path) -> None:
    short = make_audio_file(tmp_path / "short.mp3", CHORD, 3.0)
    silent = make_audio_file(tmp_path / "silent.ogg", "anullsrc=r=22050:cl=mono", 6.0)
    garbage = tmp_path / "music.ogg"
    garbage.write_bytes(b"\x00\x01 definitely not music " * 100)
    for path, problem in ((short, "too short"), (silent, "silent"), (garbage, "cannot read")):
        with pytest.raises(VoiceroutineError, match=problem) as caught:
            file_loop(path, RATE)
        assert caught.value.place is not None and caught.value.place.file == path


def test_music_longer_than_half_an_hour_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(1)
        writer.setframerate(4000)
        writer.writeframes(bytes([128, 140]) * (4000 * 60 * 31 // 2))
    with pytest.raises(VoiceroutineError, match="longer than 1800 s"):
        file_loop(path, RATE)


SPANS = [(4 * RATE, 11 * RATE // 2), (8 * RATE, 9 * RATE), (37 * RATE // 4, 10 * RATE)]
TOTAL = 16 * RATE
DUCKING = Ducking()
REFERENCE = 0.1


def unit_bed(spans: list[tuple[int, int]] = SPANS, total: int = TOTAL) -> MusicBed:
    """A bed over a constant loop: its samples are its gain."""
    return MusicBed(np.ones((1000, 1), dtype=np.float32), total, spans, DUCKING, REFERENCE, RATE)


def test_bed_is_ducked_under_speech_by_duck_db() -> None:
    noise = np.random.default_rng(3).standard_normal((3 * RATE + 17, 2)).astype(np.float32)
    noise /= rms(noise)
    bed = MusicBed(noise, TOTAL, SPANS, DUCKING, REFERENCE, RATE)
    assert bed.channels == 2
    gap = bed.block(13 * RATE // 2, RATE)
    speech = bed.block(17 * RATE // 4, RATE)
    assert db(rms(gap) / REFERENCE) == pytest.approx(DUCKING.level_db, abs=0.2)
    assert db(rms(gap) / rms(speech)) == pytest.approx(DUCKING.duck_db, abs=0.5)


def test_duck_ramps_start_attack_ms_before_and_end_release_ms_after_speech() -> None:
    bed = unit_bed()
    level = REFERENCE * 10 ** (DUCKING.level_db / 20)
    ducked = level * 10 ** (-DUCKING.duck_db / 20)
    attack = DUCKING.attack_ms * RATE // 1000
    release = DUCKING.release_ms * RATE // 1000
    start, end = SPANS[0]
    samples = bed.block(0, TOTAL)[:, 0].astype(np.float64)
    assert samples[start - attack - 1] == pytest.approx(level, rel=1e-6)
    assert samples[start - attack // 2] == pytest.approx((level + ducked) / 2, rel=1e-3)
    assert samples[start] == pytest.approx(ducked, rel=1e-6)
    assert samples[end + release // 2] == pytest.approx((level + ducked) / 2, rel=1e-3)
    assert samples[end + release + 1] == pytest.approx(level, rel=1e-6)
    after_fade_in = int(3.2 * RATE)
    moving = np.flatnonzero(np.abs(np.diff(samples[after_fade_in : 7 * RATE])) > 1e-9)
    moving += after_fade_in
    assert moving[0] == start - attack and moving[-1] < end + release
    # Lines a quarter second apart: the bed stays down between them.
    between = samples[9 * RATE : 37 * RATE // 4]
    assert between.max() < (level + ducked) / 2


def test_overlapping_and_touching_spans_merge() -> None:
    spans = [(6 * RATE, 7 * RATE), (5 * RATE, 6 * RATE), (int(5.5 * RATE), int(6.5 * RATE))]
    samples = unit_bed(spans).block(5 * RATE, 2 * RATE)[:, 0]
    assert np.ptp(samples) == 0.0


def test_bed_fades_in_from_and_out_to_silence() -> None:
    bed = unit_bed(spans=[])
    level = REFERENCE * 10 ** (DUCKING.level_db / 20)
    samples = bed.block(0, TOTAL)[:, 0]
    fade_in = DUCKING.fade_in_ms * RATE // 1000
    fade_out = DUCKING.fade_out_ms * RATE // 1000
    assert samples[0] == 0.0 and samples[-1] == 0.0
    assert samples[fade_in // 2] == pytest.approx(level / 2, rel=1e-3)
    assert samples[fade_in] == pytest.approx(level, rel=1e-6)
    assert samples[TOTAL - 1 - fade_out] == pytest.approx(level, rel=1e-6)
    assert np.all(np.diff(samples[:fade_in]) >= 0) and np.all(np.diff(samples[-fade_out:]) <= 0)
    assert not bed.block(TOTAL, 100).any()


@pytest.mark.parametrize("block_samples", [4096, 65_536, 10_007])
def test_blocks_of_any_size_give_the_same_bed(block_samples: int) -> None:
    loop = ambience_loop("rain", RATE, seconds=3.3)
    stereo = np.concatenate([loop, loop[::-1]], axis=1)
    bed = MusicBed(stereo, TOTAL, SPANS, DUCKING, REFERENCE, RATE)
    whole = bed.block(0, TOTAL)
    assert whole.shape == (TOTAL, 2) and whole.dtype == np.float32
    pieces = [
        bed.block(start, min(block_samples, TOTAL - start))
        for start in range(0, TOTAL, block_samples)
    ]
    assert np.array_equal(np.concatenate(pieces), whole)


def reference_gain(bed_spans: list[tuple[int, int]], total: int, t: int) -> float:
    """The bed's gain at sample t, sample by sample from the rules: the loop level, down by
    duck_db under speech with linear attack and release ramps (the lower ramp wins), and a
    raised-cosine fade in and out."""
    attack = round(DUCKING.attack_ms * RATE / 1000)
    release = round(DUCKING.release_ms * RATE / 1000)
    duck = 1.0
    for start, end in bed_spans:
        if start <= t < end:
            ramp = 0.0
        elif t < start:
            ramp = min(1.0, (start - t) / attack)
        else:
            ramp = min(1.0, (t - end) / release)
        duck = min(duck, ramp)
    ducked = 10 ** (-DUCKING.duck_db / 20)
    fade_in = round(DUCKING.fade_in_ms * RATE / 1000)
    fade_out = round(DUCKING.fade_out_ms * RATE / 1000)
    into = min(1.0, max(0.0, t / fade_in))
    left = min(1.0, max(0.0, (total - 1 - t) / fade_out))
    fades = (0.5 - 0.5 * math.cos(math.pi * into)) * (0.5 - 0.5 * math.cos(math.pi * left))
    level = REFERENCE * 10 ** (DUCKING.level_db / 20)
    return level * (1.0 - (1.0 - ducked) * (1.0 - duck)) * fades


def test_the_bed_gain_follows_its_rules_at_every_sample() -> None:
    # Gaps shorter than attack plus release make the ramps cross; spans closer than a ramp
    # and far apart, at the session's start and end, at random.
    rng = np.random.default_rng(11)
    spans, clock = [], int(0.2 * RATE)
    while clock < TOTAL - RATE:
        length = int(rng.integers(RATE // 10, RATE))
        spans.append((clock, clock + length))
        clock += length + int(rng.integers(RATE // 50, 2 * RATE))
    samples = unit_bed(spans).block(0, TOTAL)[:, 0].astype(np.float64)
    expected = np.array([reference_gain(spans, TOTAL, t) for t in range(TOTAL)])
    assert np.max(np.abs(samples - expected)) < 1e-7 * REFERENCE
