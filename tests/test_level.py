"""Encoding until the decoded file is at its loudness target and under the true-peak limit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voiceroutine.audio.level import (
    ENCODE_ATTEMPTS,
    PEAK_MARGIN_DB,
    Level,
    encode_levelled,
    next_level,
)
from voiceroutine.audio.loudness import LoudnessPlan
from voiceroutine.audio.meter import Measurement

FIRST = Level(gain_db=9.0, ceiling=0.7)
LINE_PEAK = 0.25  # at unit gain: 0.25 * 10 ** (9 / 20) = 0.70 after the gain


def measured(lufs: float, peak_dbtp: float) -> Measurement:
    """A steady 10 s measurement at `lufs` (the gates keep every frame)."""
    return Measurement(peak_dbtp, np.full(100, 10 ** ((lufs + 0.691) / 10)))


def test_a_file_at_its_target_under_the_limit_is_kept() -> None:
    assert measured(-16.2, -2.0).lufs == pytest.approx(-16.2)
    assert next_level(FIRST, measured(-16.2, -2.0), -16.0, LINE_PEAK, 0.3) is None


@pytest.mark.parametrize("lufs", [-16.37, -15.62])
def test_a_file_within_what_is_promised_is_not_encoded_again(lufs: float) -> None:
    # Measured on a 25-minute MP3: -16.37 LUFS; a second encode doubled the build's time.
    assert next_level(FIRST, measured(lufs, -2.17), -16.0, LINE_PEAK, 0.3) is None


def test_a_file_near_the_edge_of_what_is_promised_is_encoded_again() -> None:
    raised = next_level(FIRST, measured(-16.45, -2.17), -16.0, LINE_PEAK, 0.3)
    assert raised is not None and raised.gain_db == pytest.approx(9.45)


def test_a_quiet_file_with_room_is_raised_by_what_it_missed() -> None:
    raised = next_level(FIRST, measured(-16.7, -2.6), -16.0, LINE_PEAK, 0.3)
    assert raised is not None and raised.gain_db == pytest.approx(9.7)
    assert raised.ceiling == pytest.approx(0.7 * 10 ** (0.7 / 20))  # the PCM scales as a whole


def test_a_quiet_file_is_raised_only_as_far_as_the_peaks_allow() -> None:
    raised = next_level(FIRST, measured(-17.5, -1.8), -16.0, LINE_PEAK, 0.3)
    assert raised is not None
    assert raised.gain_db == pytest.approx(9.0 + 0.8 - PEAK_MARGIN_DB)
    assert next_level(FIRST, measured(-17.5, -1.2 + 0.01), -16.0, LINE_PEAK, 0.3) is None


def test_peaks_where_sources_overlap_are_limited_without_turning_the_speech_down() -> None:
    # The mix peaks at 0.5 (a bell over a line), far above the lines' 0.25, and the lines
    # reach 0.63 after the gain, under the ceiling: limiting the peaks leaves them alone.
    quieter = Level(gain_db=8.0, ceiling=0.7)
    lowered = next_level(quieter, measured(-16.0, -0.5), -16.0, LINE_PEAK, 0.5)
    assert lowered is not None and lowered.gain_db == quieter.gain_db
    assert lowered.ceiling == pytest.approx(0.7 * 10 ** (-(0.5 + PEAK_MARGIN_DB) / 20))
    assert lowered.ceiling >= LINE_PEAK * 10 ** (quieter.gain_db / 20)


def test_peaks_in_the_speech_turn_the_whole_session_down() -> None:
    lowered = next_level(FIRST, measured(-16.0, 0.4), -16.0, LINE_PEAK, LINE_PEAK)
    assert lowered is not None
    assert lowered.gain_db == pytest.approx(9.0 - 1.4 - PEAK_MARGIN_DB)


def encoder(results: list[Measurement], written: list[tuple[Path, Level]]):
    def encode_at(path: Path, level: Level) -> Measurement:
        path.write_text(f"encoded at {level.gain_db:.2f} dB")
        written.append((path, level))
        return results[len(written) - 1]

    return encode_at


def test_the_best_file_tried_is_kept_and_the_others_removed(tmp_path: Path) -> None:
    destination = tmp_path / ".session.opus.partial"
    # Over the limit, then far too quiet, then within the limit but a little quiet.
    results = [measured(-16.0, 0.4), measured(-18.5, -4.0), measured(-16.1, -1.3)]
    written: list[tuple[Path, Level]] = []
    levelled = encode_levelled(
        destination, FIRST, encoder(results, written), -16.0, LINE_PEAK, lambda: LINE_PEAK
    )
    assert len(written) == ENCODE_ATTEMPTS == levelled.encodes
    assert levelled.measurement is results[2]
    assert destination.read_text() == f"encoded at {written[2][1].gain_db:.2f} dB"
    assert [p.name for p in tmp_path.iterdir()] == [destination.name]


def test_a_failed_retry_leaves_only_the_destination(tmp_path: Path) -> None:
    destination = tmp_path / ".session.mp3.partial"
    calls: list[Path] = []

    def encode_at(path: Path, level: Level) -> Measurement:
        calls.append(path)
        path.write_text("partly written")
        if len(calls) == 2:
            raise KeyboardInterrupt
        return measured(-17.0, -3.0)

    with pytest.raises(KeyboardInterrupt):
        encode_levelled(destination, FIRST, encode_at, -16.0, LINE_PEAK, lambda: LINE_PEAK)
    assert [p.name for p in tmp_path.iterdir()] == [destination.name]


def test_a_miss_says_by_how_much_and_why() -> None:
    plan = LoudnessPlan(-25.0, -12.0, 9.0, -16.0, true_peak_dbtp=-1.1, measured_lufs=-16.9)
    assert plan.problem() == (
        "loudness -16.9 LUFS, 0.9 LU under the target -16: "
        "louder would take the true peak (-1.1 dBTP) past -1"
    )
    near = LoudnessPlan(-25.0, -12.0, 9.0, -16.0, true_peak_dbtp=-2.0, measured_lufs=-16.4)
    assert near.problem() is None
