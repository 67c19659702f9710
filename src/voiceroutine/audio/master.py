"""Master the session: level the speech, mix it, measure it and choose the one gain to apply."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from voiceroutine.audio.dynamics import SPEECH_CEILING, LevelledClip
from voiceroutine.audio.loudness import (
    TRUE_PEAK_LIMIT_DBTP,
    LoudnessPlan,
    measure_integrated,
    plan_gain,
)
from voiceroutine.audio.render import SessionMix
from voiceroutine.plan import Sound
from voiceroutine.timeline import Timeline

if TYPE_CHECKING:
    from voiceroutine.audio.bed import MusicBed


@dataclass(frozen=True)
class Mastered:
    """The mix to encode and the gain that brings it to its loudness target."""

    mix: SessionMix
    loudness: LoudnessPlan
    ceiling: float
    """The highest sample the encoder gets: where sources overlap, the mix is limited to it."""


def master(
    timeline: Timeline,
    clips: Mapping[str, np.ndarray],
    sounds: Mapping[Sound, np.ndarray],
    bed: MusicBed | None,
    target_lufs: float,
    peak_headroom_db: float,
    progress: Callable[[int, int], None] | None = None,
) -> Mastered:
    """Level and limit every line, then render the mix once into the loudness meter.

    The gain is planned for the loudest single source, a line of speech at
    its ceiling; where sources overlap, the mix limiter takes the rest.
    """
    rate = timeline.sample_rate
    speech = {
        text: LevelledClip(samples, rate).limited(SPEECH_CEILING) for text, samples in clips.items()
    }
    mix = SessionMix(timeline, speech, sounds, bed)
    measured = measure_integrated(mix.pcm_blocks(1.0, progress), rate, mix.channels)
    loudest_source = SPEECH_CEILING if speech else mix.peak
    loudness = plan_gain(measured, loudest_source, target_lufs, peak_headroom_db)
    ceiling = 10 ** ((TRUE_PEAK_LIMIT_DBTP - peak_headroom_db) / 20)
    return Mastered(SessionMix(timeline, speech, sounds, bed), loudness, ceiling)
