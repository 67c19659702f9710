"""Master the session: level the speech, mix it, compute its loudness and choose the one gain."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from voiceroutine.audio.dynamics import SPEECH_CEILING, LevelledClip
from voiceroutine.audio.kpowers import weighted_frame_powers
from voiceroutine.audio.loudness import (
    FRAME_MS,
    TRUE_PEAK_LIMIT_DBTP,
    KWeighting,
    LoudnessPlan,
    integrated_loudness,
    plan_gain,
)
from voiceroutine.audio.render import SessionMix
from voiceroutine.plan import Sound
from voiceroutine.threads import map_in_threads
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
    clips: dict[str, np.ndarray],
    sounds: Mapping[Sound, np.ndarray],
    bed: MusicBed | None,
    target_lufs: float,
    peak_headroom_db: float,
) -> Mastered:
    """Level and limit every line, then compute the mix's loudness and plan its gain.

    `clips` is emptied: each line's samples are replaced by their levelled copy
    in the mix, so a session's speech is held once, not twice.

    The gain is planned for the loudest single source, a line of speech at
    its ceiling; where sources overlap, the mix limiter takes the rest.
    """
    rate = timeline.sample_rate
    texts = list(clips)
    # Each line is let go as soon as it is levelled: one copy at a time.
    levelled = map_in_threads(
        lambda samples: LevelledClip(samples, rate).limited(SPEECH_CEILING),
        (clips.pop(text) for text in texts),
    )
    speech = dict(zip(texts, levelled, strict=True))
    mix = SessionMix(timeline, speech, sounds, bed)
    lufs = session_loudness(timeline, speech, sounds, bed)
    loudest_source = SPEECH_CEILING if speech else mix.sample_peak()
    loudness = plan_gain(lufs, loudest_source, target_lufs, peak_headroom_db)
    ceiling = 10 ** ((TRUE_PEAK_LIMIT_DBTP - peak_headroom_db) / 20)
    return Mastered(mix, loudness, ceiling)


def session_loudness(
    timeline: Timeline,
    speech: Mapping[str, np.ndarray],
    sounds: Mapping[Sound, np.ndarray],
    bed: MusicBed | None,
) -> float:
    """The integrated loudness (BS.1770) of the mix at unit gain, before any limiting.

    K-weighting is linear and time-invariant, so the weighted mix is the mix
    of the weighted sources: each distinct line and sound is filtered once,
    with its ringing after it, and the bed's loop is filtered as the periodic
    signal it is. Without a bed, the lines are weighted and measured one at a
    time (kpowers.py); with one, the weighted copies live only while their
    mix is measured.
    """
    weighting = KWeighting(timeline.sample_rate)
    frame = timeline.sample_rate * FRAME_MS // 1000
    if bed is None:  # a mono session: one weighted line at a time (kpowers.py)
        ringing = len(weighting.impulse) - 1
        powers = weighted_frame_powers(timeline, speech, sounds, weighting.filtered, ringing, frame)
        return integrated_loudness(powers)
    texts = list(dict.fromkeys(cue.text for cue in timeline.cues if cue.text is not None))
    played = list(dict.fromkeys(cue.sound for cue in timeline.cues if cue.sound is not None))
    weighted = SessionMix(
        timeline,
        _each_weighted(weighting, speech, texts),
        _each_weighted(weighting, sounds, played),
        bed.filtered(weighting.circular) if bed is not None else None,
    )
    return integrated_loudness(weighted.frame_powers(frame))


K = TypeVar("K")


def _each_weighted(
    weighting: KWeighting, sources: Mapping[K, np.ndarray], keys: list[K]
) -> dict[K, np.ndarray]:
    """The sources named by `keys`, K-weighted on every core."""
    weighted = map_in_threads(weighting.filtered, (sources[key] for key in keys))
    return dict(zip(keys, weighted, strict=True))
