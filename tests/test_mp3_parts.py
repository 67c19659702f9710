"""A long MP3 encoded in parts at once and joined decodes to the same session as one encode."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from mutagen.mp3 import MP3

from audio_tools import decode, onset_errors_ms
from fakes import ToneEngine
from test_dynamics import speech_like
from voiceroutine import api
from voiceroutine.audio import session_file
from voiceroutine.audio.encode import encode, encode_in_parts
from voiceroutine.audio.ffmpeg import ffmpeg_exe
from voiceroutine.audio.formats import FORMATS
from voiceroutine.audio.mp3join import (
    FRAME,
    PART_TAIL,
    QUIET_MARGIN,
    crc16,
    crc16_combine,
    find_info_frame,
    frame_shape,
    part_bounds,
    tag_crc,
)
from voiceroutine.audio.truepeak import measure_file
from voiceroutine.errors import VoiceroutineError

RATE = 44_100
MP3_FORMAT = FORMATS["mp3"]


def test_the_checksum_is_lames_and_combines_as_if_computed_over_both() -> None:
    assert crc16(b"123456789") == 0xBB3D  # CRC-16/ARC's check value
    rng = np.random.default_rng(3)
    for first_length, second_length in ((0, 5), (7, 0), (1000, 1), (3, 40_000)):
        first = rng.integers(0, 256, first_length, dtype=np.uint8).tobytes()
        second = rng.integers(0, 256, second_length, dtype=np.uint8).tobytes()
        combined = crc16_combine(crc16(first), crc16(second), len(second))
        assert combined == crc16(first + second)


def test_frame_lengths_come_from_the_header() -> None:
    assert frame_shape(bytes([0xFF, 0xFB, 0x50, 0xC4])) == (208, 1, 1)  # 64k, 44.1 kHz, mono
    assert frame_shape(bytes([0xFF, 0xFB, 0x52, 0xC4])) == (209, 1, 1)  # the same, padded
    assert frame_shape(bytes([0xFF, 0xFB, 0x94, 0x00])) == (384, 1, 2)  # 128k, 48 kHz, stereo
    assert frame_shape(bytes([0xFF, 0xF3, 0x88, 0xC4])) == (288, 2, 1)  # MPEG-2, 64k, 16 kHz
    with pytest.raises(ValueError, match="not an MPEG"):
        frame_shape(b"ID3\x04")


def test_cuts_fall_on_whole_frames_inside_silences_long_enough() -> None:
    total = 1_000_000
    # A silence just long enough holds one cut at a whole frame; a sample less, none.
    start = 417 * FRAME
    shortest = PART_TAIL + 2 * QUIET_MARGIN
    assert part_bounds([(start, start + shortest - 1)], total, 2, 100_000) == [(0, total)]
    exact = part_bounds([(start, start + shortest)], total, 2, 100_000)
    assert exact == [(0, start + QUIET_MARGIN), (start + QUIET_MARGIN + PART_TAIL, total)]
    # Of two silences that fit, the cut goes in the one nearer the middle.
    long = (495_000, 540_000)
    bounds = part_bounds([(start, start + shortest), long], total, 2, min_part=100_000)
    (first_start, first_stop), (cut, last_stop) = bounds
    assert (first_start, last_stop) == (0, total)
    assert cut % FRAME == 0
    assert first_stop == cut - PART_TAIL
    assert long[0] <= first_stop - QUIET_MARGIN and cut + QUIET_MARGIN <= long[1]


def test_no_cut_without_a_silence_far_enough_from_both_ends() -> None:
    total = 1_000_000
    assert part_bounds([], total, 2, 100_000) == [(0, total)]
    assert part_bounds([(10_000, 60_000)], total, 2, 100_000) == [(0, total)]
    assert part_bounds([(950_000, total)], total, 2, 100_000) == [(0, total)]
    three = part_bounds([(300_000, 340_000), (650_000, 700_000)], total, 3, 100_000)
    assert [start for start, _ in three][1:] == [332_928, 667_008]  # nearest the thirds
    assert all(start < stop for start, stop in three)


def session_with_pauses(seconds_of_speech: list[float]) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Speech-like bursts separated by a second of digital silence; the silences' ranges."""
    pieces: list[np.ndarray] = []
    quiet = []
    position = 0
    for index, seconds in enumerate(seconds_of_speech):
        burst = speech_like(seconds, seed=index + 1) * 0.8
        pieces += [burst, np.zeros(RATE, dtype=np.float32)]
        position += len(burst)
        quiet.append((position, position + RATE))
        position += RATE
    return np.concatenate(pieces), quiet


def pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1, 1) * 32767).round().astype("<i2").tobytes()


def test_parts_joined_decode_to_the_session_at_its_own_times(tmp_path: Path) -> None:
    samples, quiet = session_with_pauses([3.0, 2.5, 4.0, 3.0])
    total = len(samples)
    bounds = part_bounds(quiet, total, 3, min_part=3 * RATE)
    assert len(bounds) == 3
    pcm = pcm16(samples)

    def render(start: int, stop: int) -> list[bytes]:
        return [pcm[2 * a : 2 * min(a + 10_000, stop)] for a in range(start, stop, 10_000)]

    joined = tmp_path / "joined.mp3"
    single = tmp_path / "single.mp3"
    measured = encode_in_parts(render, bounds, joined, MP3_FORMAT, RATE, 1)
    encode([pcm], single, MP3_FORMAT, RATE, 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["joined.mp3", "single.mp3"]

    heard, whole = decode(joined), decode(single)
    assert len(heard) == len(whole) == total
    # Up to the first cut the first part's encoder saw what the single encoder saw.
    first_stop = bounds[0][1]
    assert np.array_equal(heard[: first_stop - FRAME], whole[: first_stop - FRAME])
    for cut, _ in bounds[1:]:
        # Silent across each join, and the next part in its place, not a sample early or late.
        assert np.max(np.abs(heard[cut - PART_TAIL - QUIET_MARGIN : cut + QUIET_MARGIN])) < 1e-4
        speech_again = next(end for start, end in quiet if start <= cut < end)
        span = slice(speech_again - 100, speech_again - 100 + RATE // 2)
        source = samples[span.start - 50 : span.stop + 50]
        lags = [float(np.dot(heard[span], source[50 + lag : 50 + lag + RATE // 2]))
                for lag in range(-50, 51)]  # fmt: skip
        assert int(np.argmax(lags)) - 50 == 0
    for part in (heard, whole):  # an encode as good as the single one, everywhere
        noise = np.sum((part - samples) ** 2)
        assert 10 * np.log10(np.sum(samples**2) / noise) > 15

    # One header for the whole file: players read its length and remove its delay and padding.
    data = joined.read_bytes()
    info = find_info_frame(data)
    frames, size, padding, length, music_crc = info.read(data)
    assert frames * FRAME - 576 - padding == total
    assert size == length == len(data) - info.offset
    assert music_crc == crc16(data[info.offset + info.length :])
    for file in (joined, single):  # the header's own checksum, computed as ffmpeg does
        data = file.read_bytes()
        info = find_info_frame(data)
        frame = data[info.offset : info.offset + info.length]
        assert int.from_bytes(frame[info.tag + 154 : info.tag + 156], "big") == tag_crc(
            frame, info.tag
        )
    assert MP3(joined).info.length == MP3(single).info.length
    from_file = measure_file(joined, RATE, 1)
    assert measured.true_peak_dbtp == pytest.approx(from_file.true_peak_dbtp, abs=0.02)
    # The parts' frames, joined: each part's last partial frame (in silence) is left out.
    assert measured.lufs == pytest.approx(from_file.lufs, abs=0.05)


@pytest.mark.parametrize("rate", [32_000, 48_000])
def test_parts_join_at_the_other_mpeg1_rates(tmp_path: Path, rate: int) -> None:
    samples, quiet = session_with_pauses([2.0, 2.0])  # at 44.1 kHz; played at `rate` here
    bounds = part_bounds(quiet, len(samples), 2, min_part=RATE)
    assert len(bounds) == 2
    pcm = pcm16(samples)
    joined, single = tmp_path / "joined.mp3", tmp_path / "single.mp3"
    encode_in_parts(lambda a, b: [pcm[2 * a : 2 * b]], bounds, joined, MP3_FORMAT, rate, 1)
    encode([pcm], single, MP3_FORMAT, rate, 1)
    heard, whole = decode(joined, rate), decode(single, rate)
    assert len(heard) == len(whole) == len(samples)
    first_stop = bounds[0][1]
    assert np.array_equal(heard[: first_stop - FRAME], whole[: first_stop - FRAME])
    assert MP3(joined).info.length == MP3(single).info.length


def test_the_peak_of_a_later_part_is_found_as_it_is_written(tmp_path: Path) -> None:
    samples, quiet = session_with_pauses([3.0, 3.0, 3.0])
    samples *= 0.4
    loud = quiet[-2][1] + RATE  # a second into the last part: a tone far above the rest
    samples[loud : loud + 4410] += 0.5 * np.sin(2 * np.pi * 440 * np.arange(4410) / RATE)
    bounds = part_bounds(quiet, len(samples), 3, min_part=2 * RATE)
    assert bounds[2][0] < loud
    pcm = pcm16(samples)
    joined = tmp_path / "loud-end.mp3"
    measured = encode_in_parts(
        lambda a, b: [pcm[2 * a : 2 * b]], bounds, joined, MP3_FORMAT, RATE, 1
    )
    peak = measured.true_peak_dbtp
    earlier = 20 * np.log10(float(np.max(np.abs(samples[: bounds[2][0]]))))
    assert peak > earlier + 10
    assert peak == pytest.approx(measure_file(joined, RATE, 1).true_peak_dbtp, abs=0.02)


def test_a_part_failing_midway_stops_the_others_and_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    samples, quiet = session_with_pauses([3.0, 3.0, 3.0])
    bounds = part_bounds(quiet, len(samples), 3, min_part=2 * RATE)
    pcm = pcm16(samples)
    threads_before = threading.active_count()
    failed = threading.Event()
    pulled = [0, 0, 0]

    def render(start: int, stop: int) -> Iterator[bytes]:
        part = [first for first, _ in bounds].index(start)
        for number, first in enumerate(range(start, stop, 1000)):
            if part == 1 and number == 5:
                failed.set()
                raise VoiceroutineError("the mix failed")
            if number >= 5:  # the others are still going when part 1 fails, slowly
                assert failed.wait(10)
                time.sleep(0.02)
            pulled[part] += 1
            yield pcm[2 * first : 2 * min(first + 1000, stop)]

    with pytest.raises(VoiceroutineError, match="the mix failed"):
        encode_in_parts(render, bounds, tmp_path / "broken.mp3", MP3_FORMAT, RATE, 1)
    assert [p.name for p in tmp_path.iterdir()] == ["broken.mp3"]  # write_session removes it
    assert threading.active_count() == threads_before
    assert pulled[1] == 5
    assert pulled[0] < 100 and pulled[2] < 100  # of about 176 blocks each


def test_an_encoder_failing_stops_the_other_parts_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    samples, quiet = session_with_pauses([3.0, 3.0])
    bounds = part_bounds(quiet, len(samples), 2, min_part=2 * RATE)
    pcm = pcm16(samples)
    # An ffmpeg that fails on the second part, as a full disk would make it.
    failing = tmp_path / "bin" / "ffmpeg"
    failing.parent.mkdir()
    failing.write_text(
        f"#!{sys.executable}\n"
        "import os, sys\n"
        "if sys.argv[-1].endswith('.part1'):\n"
        "    sys.stderr.write('Error writing trailer: No space left on device\\n')\n"
        "    sys.exit(1)\n"
        f"os.execv({ffmpeg_exe()!r}, [{ffmpeg_exe()!r}, *sys.argv[1:]])\n",
        encoding="utf-8",
    )
    failing.chmod(0o755)
    monkeypatch.setenv("VOICEROUTINE_FFMPEG", str(failing))
    out = tmp_path / "out"
    out.mkdir()
    threads_before = threading.active_count()

    def render(start: int, stop: int) -> Iterator[bytes]:
        for first in range(start, stop, 1000):
            yield pcm[2 * first : 2 * min(first + 1000, stop)]

    with pytest.raises(VoiceroutineError, match=r"broken\.mp3: .*No space left on device"):
        encode_in_parts(render, bounds, out / "broken.mp3", MP3_FORMAT, RATE, 1)
    assert [p.name for p in out.iterdir()] == ["broken.mp3"]
    assert threading.active_count() == threads_before


ROUTINE = """\
title: Parts
steps:
  - say: Lie on your back.
  - rest: 50s
  - exercise: {name: Reach, reps: 2, hold: 3s}
  - rest: 50s
  - say: Roll to your side and rest.
  - rest: 30s
  - say: Well done.
"""


def test_a_build_on_two_cores_matches_a_build_on_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "parts.yaml"
    path.write_text(ROUTINE, encoding="utf-8")
    monkeypatch.setattr(session_file, "MIN_PART_SECONDS", 20)
    parts_encoded: list[list[tuple[int, int]]] = []
    real = session_file.encode_in_parts

    def counted(*args: object, **kwargs: object) -> float:
        parts_encoded.append(list(args[1]))  # type: ignore[call-overload]
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(session_file, "encode_in_parts", counted)
    built = {}
    for jobs in (0, 1, 2):  # the first fills the cache: then both read the same clips
        options = api.BuildOptions(out_dir=tmp_path / f"j{jobs}", cache_dir=tmp_path / "cache",
                                   jobs=max(jobs, 1))  # fmt: skip
        built[jobs] = api.build(path, options, engine=ToneEngine())
    assert [len(bounds) for bounds in parts_encoded] == [2]
    timelines = [json.loads(built[j].timeline_file.read_text(encoding="utf-8")) for j in (1, 2)]
    assert timelines[0] == timelines[1]
    one, two = decode(built[1].audio), decode(built[2].audio)
    assert len(one) == len(two) == round(timelines[0]["duration_ms"] * RATE / 1000)
    speech = [cue for cue in timelines[0]["cues"] if cue["kind"] == "speech"]
    assert max(abs(e) for e in onset_errors_ms(two, speech, -40)) < 30
    # The first line after the cut sits at the very sample where the single encode has it.
    cut = parts_encoded[0][1][0]
    after = next(cue for cue in speech if cue["start_ms"] * RATE / 1000 > cut)
    span = slice(round(after["start_ms"] * RATE / 1000), round(after["end_ms"] * RATE / 1000))
    lags = [float(np.dot(two[span], one[span.start + lag : span.stop + lag]))
            for lag in range(-50, 51)]  # fmt: skip
    assert int(np.argmax(lags)) - 50 == 0
    assert np.array_equal(
        two[: parts_encoded[0][0][1] - FRAME], one[: parts_encoded[0][0][1] - FRAME]
    )
    assert MP3(built[2].audio).info.length == MP3(built[1].audio).info.length
    assert built[2].loudness is not None and built[2].loudness.true_peak_dbtp <= -1.0
