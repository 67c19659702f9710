"""Prepare the mix's sources besides speech: sounds and tones at their levels, and the music bed.

Levels are set against the speech level of dynamics.py (voiced RMS 0.1,
true peaks at most 0.25), so one session gain later moves everything together.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from voiceroutine.audio.dynamics import SPEECH_RMS
from voiceroutine.plan import Sound, SoundFile, Tone
from voiceroutine.timeline import Timeline

if TYPE_CHECKING:
    from voiceroutine.audio.bed import MusicBed

SOUND_PEAKS = {"bell": 0.2, "chime": 0.16, "tick": 0.14}
"""Peak of each built-in sound in the mix: a bell about as loud as speech, a tick softer."""
TONE_PEAK = 0.1
"""Breathing tones sit well under the voice: they guide, they do not announce."""
FILE_PEAK = 0.2


def render_sounds(sounds: Iterable[Sound], sample_rate: int) -> dict[Sound, np.ndarray]:
    """The samples of every sound, mono at `sample_rate`, scaled to its level in the mix."""
    from voiceroutine.audio.sounds import load_sound_file, synthesize

    rendered: dict[Sound, np.ndarray] = {}
    for sound in sounds:
        if isinstance(sound, SoundFile):
            samples, peak = load_sound_file(sound.path, sample_rate), FILE_PEAK
        elif isinstance(sound, Tone):
            samples, peak = synthesize(sound.name, sample_rate, sound.length_ms), TONE_PEAK
        else:
            samples, peak = synthesize(sound.name, sample_rate), SOUND_PEAKS[sound.name]
        rendered[sound] = _at_peak(samples, peak)
    return rendered


def _at_peak(samples: np.ndarray, peak: float) -> np.ndarray:
    loudest = float(np.max(np.abs(samples))) if samples.size else 0.0
    if loudest <= 0.0:
        return samples.astype(np.float32)
    return (samples * (peak / loudest)).astype(np.float32)


def music_bed(
    music: str | None,
    timeline: Timeline,
    level_db: float,
    duck_db: float,
) -> MusicBed | None:
    """The ducked music bed for `timeline`, or None when the routine has no music."""
    if music is None:
        return None
    from voiceroutine.audio.ambience import ambience_loop
    from voiceroutine.audio.bed import Ducking, MusicBed
    from voiceroutine.audio.loops import file_loop
    from voiceroutine.audio.render import ms_to_samples
    from voiceroutine.names import AMBIENCES

    rate = timeline.sample_rate
    loop = ambience_loop(music, rate) if music in AMBIENCES else file_loop(Path(music), rate)
    spans = [
        (ms_to_samples(cue.start_ms, rate), ms_to_samples(cue.end_ms, rate))
        for cue in timeline.cues
        if cue.kind == "speech"
    ]
    return MusicBed(
        loop,
        ms_to_samples(timeline.duration_ms, rate),
        spans,
        Ducking(level_db=level_db, duck_db=duck_db),
        reference_rms=SPEECH_RMS,
        sample_rate=rate,
    )
