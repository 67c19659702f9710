"""Encode a mastered session into its file: in parts where it can be, levelled to its target.

A long MP3 is cut where the session is silent and its parts are encoded on
several cores at once (mp3join.py); everything else is one ffmpeg. Either
way the file is measured as it is written and encoded again if the
measurement asks for it (level.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from voiceroutine.audio.encode import encode, encode_in_parts
from voiceroutine.audio.level import Level, encode_levelled
from voiceroutine.progress import StageProgress

if TYPE_CHECKING:
    from voiceroutine.audio.formats import AudioFormat
    from voiceroutine.audio.loudness import LoudnessPlan
    from voiceroutine.audio.master import Mastered
    from voiceroutine.audio.meter import Measurement
    from voiceroutine.audio.render import SessionMix
    from voiceroutine.timeline import ChapterSpan

MIN_PART_SECONDS = 60
"""The shortest part a long MP3 is cut into to be encoded on several cores at once."""


@dataclass(frozen=True)
class AudioChoices:
    """The output settings of one build, from the options, else the routine, else defaults."""

    audio_format: AudioFormat
    sample_rate: int
    bitrate: int | None
    loudness: float


def encode_session(
    destination: Path,
    mastered: Mastered,
    choices: AudioChoices,
    chapters: Sequence[ChapterSpan],
    name: str,
    jobs: int = 1,
    report: StageProgress | None = None,
) -> LoudnessPlan:
    """Write the session's audio into `destination`; the loudness plan as the file measures.

    `name` is the file's name in messages (`destination` is a temporary one).
    Lossy encoders make the decoded file a little quieter, so the first encode
    aims that much higher (within the peaks' room); `report` hears of every
    encode's progress.
    """
    mix = mastered.mix
    bounds = encoder_parts(mix, choices.audio_format, choices.sample_rate, jobs)

    def encode_at(path: Path, level: Level) -> Measurement:
        gain = 10 ** (level.gain_db / 20)
        if len(bounds) > 1:
            done = _summed_progress(report, sum(stop - start for start, stop in bounds))
            return encode_in_parts(
                lambda start, stop: mix.pcm_blocks(gain, done(), level.ceiling, start, stop),
                bounds, path, choices.audio_format, choices.sample_rate, mix.channels,
                choices.bitrate, name,
            )  # fmt: skip
        return encode(
            mix.pcm_blocks(gain, report, ceiling=level.ceiling),
            path, choices.audio_format, choices.sample_rate, mix.channels, choices.bitrate,
            chapters, name,
        )  # fmt: skip

    planned = mastered.loudness
    aimed = min(planned.gain_db + choices.audio_format.loudness_loss_lu, planned.max_gain_db)
    levelled = encode_levelled(
        destination, Level(aimed, mastered.ceiling), encode_at, choices.loudness,
        10 ** (planned.sample_peak_dbfs / 20), lambda: mix.peak,
    )  # fmt: skip
    return replace(
        planned,
        gain_db=levelled.level.gain_db,
        true_peak_dbtp=levelled.measurement.true_peak_dbtp,
        measured_lufs=levelled.measurement.lufs,
        encodes=levelled.encodes,
    )


def encoder_parts(
    mix: SessionMix, audio_format: AudioFormat, rate: int, jobs: int
) -> list[tuple[int, int]]:
    """The sample ranges to encode at once: up to `jobs` parts of an MP3, else the whole.

    MP3 frames can be joined where the session is silent (mp3join.py); other
    formats, and sessions under a music bed, are encoded in one piece.
    """
    from voiceroutine.audio.mp3join import MPEG1_RATES, part_bounds

    whole = [(0, mix.total_samples)]
    if jobs < 2 or not audio_format.in_parts or rate not in MPEG1_RATES:
        return whole
    minimum = MIN_PART_SECONDS * rate
    return part_bounds(mix.quiet_stretches(), mix.total_samples, jobs, minimum)


def _summed_progress(
    report: StageProgress | None, total: int
) -> Callable[[], StageProgress | None]:
    """Progress callbacks for parts rendered at once, reported as one sum over `total`."""
    if report is None:
        return lambda: None
    lock = threading.Lock()
    done: list[int] = []

    def part() -> StageProgress:
        with lock:  # parts start on their own threads
            index = len(done)
            done.append(0)

        def update(part_done: int, _part_total: int) -> None:
            with lock:
                done[index] = part_done
                report(sum(done), total)

        return update

    return part
