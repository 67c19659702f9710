"""Encode a session until players hear it at its loudness target, under the true-peak limit.

The gain is planned on the mix (loudness.py), but a lossy encoder changes
both the peaks and, a little, the loudness of what players decode (measured
on eSpeak sessions: MP3 0.5 LU quieter, Opus, Vorbis and AAC 0.1-0.3 LU).
Each encode is measured as it is written (truepeak.py). If the decoded file
is over the peak limit, or further than RETRY_TOLERANCE_LU from its target
while the peaks leave room, it is encoded again with the gain corrected by
what was measured; of the files tried, the one under the peak limit that is
nearest the target is kept.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voiceroutine.audio.loudness import TRUE_PEAK_LIMIT_DBTP
from voiceroutine.audio.meter import Measurement

ENCODE_ATTEMPTS = 3
"""Encodes allowed to bring the decoded file to its target and under the peak limit."""
RETRY_TOLERANCE_LU = 0.4
"""A file measured further than this from its target is encoded again when the peaks allow.
A file nearer is kept: it is within the 0.5 LU promised, with 0.1 LU to spare for players
whose meters differ, and another encode would cost as long as the first."""
PEAK_MARGIN_DB = 0.2
"""How far under the peak limit a corrected encode aims: the encoder's peaks move a little
with every change of level."""
SMALLEST_STEP_DB = 0.05
"""A correction smaller than this is not worth another encode."""


@dataclass(frozen=True)
class Level:
    """How the mix is turned into PCM: its gain, and the limiter's ceiling after that gain."""

    gain_db: float
    ceiling: float

    def scaled(self, step_db: float) -> Level:
        """The whole session `step_db` louder (or quieter): gain and ceiling move together."""
        return Level(self.gain_db + step_db, self.ceiling * 10 ** (step_db / 20))


@dataclass(frozen=True)
class Levelled:
    """The level the kept file was encoded at, what it measures, and how many encodes it took."""

    level: Level
    measurement: Measurement
    encodes: int


def encode_levelled(
    destination: Path,
    first: Level,
    encode_at: Callable[[Path, Level], Measurement],
    target_lufs: float,
    loudest_line: float,
    mix_peak: Callable[[], float],
) -> Levelled:
    """Encode into `destination` at `first`, then again where the measurement says so.

    `loudest_line` is the highest peak a line of speech has at unit gain: the
    limiter's ceiling is only lowered while it stays above that, so limiting
    the peaks where sources overlap never turns the speech down; otherwise the
    whole session is turned down. `mix_peak()` is the mix's sample peak at
    unit gain, known once it has been rendered. Tries after the first are
    written beside `destination`; whichever is kept ends up there and the
    others are removed, also when an encode fails or is interrupted.
    """
    paths: list[Path] = []
    tried: list[tuple[Path, Level, Measurement]] = []
    level: Level | None = first
    try:
        while level is not None and len(tried) < ENCODE_ATTEMPTS:
            path = (
                destination.with_name(f"{destination.name}.{len(paths)}") if paths else destination
            )
            paths.append(path)  # before encoding: a failed encode's file is removed too
            measured = encode_at(path, level)
            tried.append((path, level, measured))
            level = next_level(level, measured, target_lufs, loudest_line, mix_peak())
        path, level_kept, measured = min(tried, key=lambda t: _badness(t[2], target_lufs))
        if path != destination:
            os.replace(path, destination)
        return Levelled(level_kept, measured, len(tried))
    finally:
        for path in paths[1:]:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def next_level(
    level: Level, measured: Measurement, target_lufs: float, loudest_line: float, mix_peak: float
) -> Level | None:
    """The level to encode at next, or None if this encode is as good as it gets."""
    over = measured.true_peak_dbtp - TRUE_PEAK_LIMIT_DBTP
    if over > 0:
        step_db = over + PEAK_MARGIN_DB
        gain = 10 ** (level.gain_db / 20)
        lowered = min(level.ceiling, mix_peak * gain) * 10 ** (-step_db / 20)
        if lowered >= loudest_line * gain:  # the peaks are where sources overlap: limit them
            return Level(level.gain_db, lowered)
        return level.scaled(-step_db)
    short = target_lufs - measured.lufs
    if abs(short) <= RETRY_TOLERANCE_LU:
        return None
    room = TRUE_PEAK_LIMIT_DBTP - PEAK_MARGIN_DB - measured.true_peak_dbtp
    step_db = min(short, room)
    if step_db < SMALLEST_STEP_DB and short > 0:
        return None  # too quiet, but the peaks leave no room
    return level.scaled(step_db)


def _badness(measured: Measurement, target_lufs: float) -> tuple[float, float]:
    """Files under the peak limit first, nearest the target first; else the lowest peak."""
    over = max(0.0, measured.true_peak_dbtp - TRUE_PEAK_LIMIT_DBTP)
    return over, abs(measured.lufs - target_lufs)
