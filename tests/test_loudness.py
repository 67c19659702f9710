"""BS.1770 loudness computed from a session's sources, checked against ffmpeg's ebur128 meter."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from audio_tools import ebur128
from voiceroutine.audio.ambience import ambience_loop
from voiceroutine.audio.bed import Ducking, MusicBed
from voiceroutine.audio.dynamics import SPEECH_RMS
from voiceroutine.audio.ffmpeg import ffmpeg_exe
from voiceroutine.audio.kpowers import weighted_frame_powers
from voiceroutine.audio.loudness import (
    FRAME_MS,
    TRUE_PEAK_LIMIT_DBTP,
    Biquad,
    KWeighting,
    StreamingLoudness,
    integrated_loudness,
    k_weighting_biquads,
    plan_gain,
)
from voiceroutine.audio.master import master
from voiceroutine.audio.render import SessionMix, ms_to_samples
from voiceroutine.audio.sources import render_sounds
from voiceroutine.plan import PaletteSound, Sound, Tone
from voiceroutine.timeline import ChapterSpan, Cue, Timeline

FFMPEG_TOLERANCE_LU = 0.1


def speech_like(rate: int, seconds: float, seed: int) -> np.ndarray:
    """Bursts of harmonics with sharp peaks and pauses, like a spoken line."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    pitch = rng.uniform(100, 220)
    voiced = sum(np.sin(2 * np.pi * pitch * k * t + rng.uniform(0, 6)) / k for k in range(1, 12))
    syllables = (np.sin(2 * np.pi * rng.uniform(2.5, 4) * t) > 0.2).astype(np.float64)
    clicks = np.zeros_like(t)
    clicks[rng.integers(0, len(t), 12)] = 3.0  # plosive-like spikes far above the rest
    return ((voiced * syllables + clicks) * 0.05 * rng.uniform(0.3, 3)).astype(np.float32)


def recursive(sections: tuple[Biquad, ...], signal: np.ndarray) -> np.ndarray:
    """The cascade run sample by sample, as a meter runs it (direct form I)."""
    values = [float(v) for v in signal]
    for section in sections:
        x1 = x2 = y1 = y2 = 0.0
        out = []
        for x in values:
            y = (
                section.b[0] * x + section.b[1] * x1 + section.b[2] * x2
                - section.a[1] * y1 - section.a[2] * y2
            )  # fmt: skip
            x2, x1, y2, y1 = x1, x, y1, y
            out.append(y)
        values = out
    return np.array(values)


def frame_powers(samples: np.ndarray, rate: int) -> np.ndarray:
    frame = rate * FRAME_MS // 1000
    count = len(samples) // frame
    return np.mean(np.square(samples[: count * frame].reshape(count, frame), dtype=np.float64), 1)


def test_the_filter_at_48_khz_is_the_standards_table() -> None:
    shelf, highpass = k_weighting_biquads(48_000)
    table = {
        "shelf b": (shelf.b, (1.53512485958697, -2.69169618940638, 1.19839281085285)),
        "shelf a": (shelf.a, (1.0, -1.69065929318241, 0.73248077421585)),
        "high-pass b": (highpass.b, (1.0, -2.0, 1.0)),
        "high-pass a": (highpass.a, (1.0, -1.99004745483398, 0.99007225036621)),
    }
    for name, (computed, standard) in table.items():
        assert computed == pytest.approx(standard, abs=1e-9), name


@pytest.mark.parametrize("rate", [22_050, 44_100, 48_000])
def test_fft_filtering_is_the_recursive_filter(rate: int) -> None:
    weighting = KWeighting(rate)
    sections = k_weighting_biquads(rate)
    # Longer than one overlap-add block, so a block boundary is crossed.
    signal = np.random.default_rng(rate).standard_normal(40_000).astype(np.float32)
    ringing = len(weighting.impulse) - 1
    expected = recursive(sections, np.concatenate([signal, np.zeros(ringing)]))
    filtered = weighting.filtered(signal)
    assert filtered.shape == (len(signal) + ringing,) and filtered.dtype == np.float32
    assert np.max(np.abs(filtered - expected)) < 1e-4 * np.max(np.abs(expected))
    # A loop shorter than the impulse response: its steady state, after many periods.
    loop = np.random.default_rng(1).standard_normal((3_001, 2)).astype(np.float32)
    periods = recursive(sections, np.tile(loop[:, 1], 30))
    steady = weighting.circular(loop)
    assert steady.shape == loop.shape
    assert np.max(np.abs(steady[:, 1] - periods[-len(loop) :])) < 1e-4


def test_sound_between_long_silences_is_filtered_as_one_signal() -> None:
    """Stretches between runs of digital silence are convolved alone: the sum is the same."""
    rate = 44_100
    weighting = KWeighting(rate)
    ringing = len(weighting.impulse) - 1
    rng = np.random.default_rng(7)
    parts = []
    # Gaps shorter than, as long as and much longer than the ringing; sound of every length.
    for gap, sound in [(0, 300), (ringing - 1, 5_000), (ringing, 1), (ringing + 1, 70_000),
                       (3 * ringing, 257), (100_000, 2_000)]:  # fmt: skip
        parts += [np.zeros(gap), rng.standard_normal(sound)]
    signal = np.concatenate([*parts, np.zeros(ringing // 2)]).astype(np.float32)
    expected = recursive(k_weighting_biquads(rate), np.concatenate([signal, np.zeros(ringing)]))
    filtered = weighting.filtered(signal)
    assert filtered.shape == expected.shape
    assert np.max(np.abs(filtered - expected)) < 1e-4 * np.max(np.abs(expected))
    assert not weighting.filtered(np.zeros(10_000, dtype=np.float32)).any()


@pytest.mark.parametrize("rate", [44_100, 48_000])
def test_a_997_hz_sine_at_minus_20_dbfs_is_minus_23_lufs(rate: int) -> None:
    t = np.arange(rate * 5) / rate
    sine = (0.1 * np.sin(2 * np.pi * 997 * t)).astype(np.float32)
    weighted = KWeighting(rate).filtered(sine)[: len(sine)]
    assert integrated_loudness(frame_powers(weighted, rate)) == pytest.approx(-23.01, abs=0.02)


def test_silence_and_whispers_are_gated_out_as_bs1770_says() -> None:
    frames = np.full(100, 0.01)  # 10 s at a steady level
    steady = integrated_loudness(frames)
    assert steady == pytest.approx(-0.691 - 20.0)
    with_silence = integrated_loudness(np.concatenate([frames, np.zeros(300)]))
    # Only the three blocks that straddle the edge count a little silence.
    assert with_silence == pytest.approx(steady, abs=0.1)  # absolute gate
    with_whisper = integrated_loudness(np.concatenate([frames, np.full(100, 1e-5)]))
    assert with_whisper == pytest.approx(steady, abs=0.1)  # relative gate
    ungated = integrated_loudness(np.concatenate([frames, np.full(100, 1e-3)]))
    assert ungated < steady - 2.0  # 10 dB down is just above the relative gate: it counts
    assert integrated_loudness(np.zeros(50)) == -70.0


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


def session(rate: int) -> tuple[Timeline, dict[str, np.ndarray], dict[Sound, np.ndarray]]:
    """About a minute of lines with pauses, a long silence, a tone under one line and a bell
    over the end of another."""
    lines: dict[str, np.ndarray] = {}
    cues: list[Cue] = []
    clock = 500
    for index in range(9):
        text = f"line {index}"
        lines[text] = speech_like(rate, 1.5 + (index * 0.7) % 3, seed=index)
        length = -(-len(lines[text]) * 1000 // rate)
        cues.append(Cue(clock, clock + length, "speech", text, 0))
        clock += length + (8000 if index == 4 else 700 + 300 * (index % 4))
    tone, bell = Tone("inhale", 4000), PaletteSound("bell")
    sounds = render_sounds([tone, bell], rate)
    under = cues[2].start_ms + 300
    over = cues[6].end_ms - 400
    cues.append(Cue(under, under + 4000, "tone", None, 0, tone))
    bell_ms = -(-len(sounds[bell]) * 1000 // rate)
    cues.append(Cue(over, over + bell_ms, "sound", None, 0, bell))
    cues.sort(key=lambda cue: cue.start_ms)
    duration = clock + 1000
    timeline = Timeline(
        "Loudness", None, duration, rate, (ChapterSpan("Loudness", 0, duration),),
        tuple(cues), (), (),
    )  # fmt: skip
    return timeline, lines, sounds


def bed_under(timeline: Timeline, loop: np.ndarray) -> MusicBed:
    rate = timeline.sample_rate
    spans = [
        (ms_to_samples(cue.start_ms, rate), ms_to_samples(cue.end_ms, rate))
        for cue in timeline.cues
        if cue.kind == "speech"
    ]
    total = ms_to_samples(timeline.duration_ms, rate)
    # Loud enough for the bed alone to pass the relative gate in pauses: its weighting counts.
    return MusicBed(loop, total, spans, Ducking(level_db=-8.0), SPEECH_RMS, rate)


def ffmpeg_integrated_lufs(pcm: bytes, rate: int, channels: int, folder: Path) -> float:
    """Write the PCM to a WAV file and read its integrated loudness with ffmpeg's meter."""
    wav = folder / "session.wav"
    command = [
        ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
        "-f", "s16le", "-ar", str(rate), "-ac", str(channels), "-i", "pipe:0", str(wav),
    ]  # fmt: skip
    subprocess.run(command, input=pcm, check=True, capture_output=True)
    return ebur128(wav).integrated


@pytest.mark.parametrize(
    ("rate", "music"),
    [(44_100, None), (44_100, ("rain",)), (48_000, ("rain", "brown-noise"))],
    ids=["speech and sounds", "rain", "stereo bed"],
)
def test_the_computed_loudness_is_what_ffmpeg_measures(
    tmp_path: Path, rate: int, music: tuple[str, ...] | None
) -> None:
    timeline, lines, sounds = session(rate)
    bed = None
    if music is not None:
        loop = np.hstack([ambience_loop(name, rate, seconds=10.0) for name in music])
        bed = bed_under(timeline, loop)
    mastered = master(timeline, lines, sounds, bed, -16.0, 1.0)
    plan = mastered.loudness
    gain = 10 ** (plan.gain_db / 20)
    mix = mastered.mix
    pcm = b"".join(mix.pcm_blocks(gain, ceiling=mastered.ceiling))
    measured = ffmpeg_integrated_lufs(pcm, rate, mix.channels, tmp_path)
    difference = plan.expected_lufs - measured
    print(f"computed {plan.expected_lufs:.3f} LUFS, ffmpeg {measured:.3f}: {difference:+.3f} LU")
    assert abs(difference) <= FFMPEG_TOLERANCE_LU
    assert mix.peak > 0  # the mix that was encoded tracked its own (unweighted) peak


def test_without_speech_the_gain_is_planned_for_the_mix_peak() -> None:
    rate = 22_050
    bell = PaletteSound("bell")
    sounds = render_sounds([bell], rate)
    cues = (Cue(1000, 3000, "sound", None, 0, bell), Cue(2000, 4000, "sound", None, 0, bell))
    timeline = Timeline("Bells", None, 6000, rate, (ChapterSpan("Bells", 0, 6000),), cues, (), ())
    mastered = master(timeline, {}, sounds, None, -16.0, 1.0)
    whole = mastered.mix.render(0, mastered.mix.total_samples)
    assert mastered.loudness.sample_peak_dbfs == pytest.approx(
        20 * np.log10(np.max(np.abs(whole))), abs=1e-6
    )


@pytest.mark.parametrize("rate", [44_100, 24_000])
def test_weighting_one_line_at_a_time_gives_the_weighted_mix_powers(rate: int) -> None:
    # The session above, plus a line said again where it overlaps another, a line that
    # touches the next without a gap, and a last line whose filter ringing outlasts the end.
    timeline, lines, sounds = session(rate)
    cues = list(timeline.cues)
    again = cues[0]
    cues.append(Cue(cues[3].start_ms + 200, cues[3].start_ms + 200 + again.end_ms - again.start_ms,
                    "speech", again.text, 0))  # fmt: skip
    touching = cues[7]
    length = touching.end_ms - touching.start_ms
    cues.append(Cue(touching.end_ms, touching.end_ms + length, "speech", touching.text, 0))
    last = cues[8]
    duration = last.end_ms
    timeline = replace(
        timeline, duration_ms=duration, cues=tuple(sorted(cues, key=lambda c: c.start_ms))
    )
    weighting = KWeighting(rate)
    frame = rate * FRAME_MS // 1000
    weighted_mix = SessionMix(
        timeline,
        {text: weighting.filtered(samples) for text, samples in lines.items()},
        {sound: weighting.filtered(samples) for sound, samples in sounds.items()},
    )
    expected = weighted_mix.frame_powers(frame)
    found = weighted_frame_powers(
        timeline, lines, sounds, weighting.filtered, len(weighting.impulse) - 1, frame
    )
    assert len(found) == len(expected) == ms_to_samples(duration, rate) // frame
    assert np.allclose(found, expected, rtol=1e-4, atol=1e-12)
    assert integrated_loudness(found) == pytest.approx(integrated_loudness(expected), abs=1e-6)


@pytest.mark.parametrize(("channels", "block"), [(1, 65536), (1, 333), (2, 4000)])
def test_loudness_metered_block_by_block_is_the_loudness_of_the_whole(
    channels: int, block: int
) -> None:
    rate = 48_000
    rng = np.random.default_rng(block)
    signal = (rng.standard_normal((rate * 6, channels)) * 0.05).astype(np.float32)
    signal[rate : 2 * rate] *= 4.0  # a louder second, so the gates have work to do
    weighting = KWeighting(rate)
    frame = rate * FRAME_MS // 1000
    whole = sum(
        np.square(weighting.filtered(signal[:, c])[: len(signal)], dtype=np.float64)
        for c in range(channels)
    )
    expected = whole[: len(whole) // frame * frame].reshape(-1, frame).mean(axis=1)
    meter = StreamingLoudness(rate, channels)
    for first in range(0, len(signal), block):
        meter.add(signal[first : first + block])
    assert np.allclose(meter.frame_powers(), expected, rtol=1e-4)
    assert integrated_loudness(meter.frame_powers()) == pytest.approx(
        integrated_loudness(expected), abs=1e-3
    )
