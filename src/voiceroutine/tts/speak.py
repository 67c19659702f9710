"""The speak stage: every distinct line becomes one trimmed clip, synthesized once and cached."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from voiceroutine.audio.clip import resample, trim_silence
from voiceroutine.errors import VoiceroutineError
from voiceroutine.tts.base import Engine, VoiceSettings
from voiceroutine.tts.cache import CACHE_DIR_ENV, ClipCache

Progress = Callable[[str, int, int], None]
"""Called as progress(stage, done, total) while work goes on."""


@dataclass(frozen=True)
class SpeechClips:
    """Each line's samples at the session's sample rate, and how many clips had to be made."""

    clips: dict[str, np.ndarray]
    sample_rate: int
    synthesized: int
    reused: int

    def length_samples(self, text: str) -> int:
        return len(self.clips[text])


def speak_all(
    texts: Sequence[str],
    engine: Engine,
    voice: VoiceSettings,
    cache: ClipCache,
    sample_rate: int,
    progress: Progress | None = None,
) -> SpeechClips:
    """Clips for every text, from the cache where possible, else from the engine."""
    identity = engine.identity(voice)
    clips: dict[str, np.ndarray] = {}
    synthesized = 0
    distinct = list(dict.fromkeys(texts))
    for done, text in enumerate(distinct, start=1):
        key = cache.key(identity, text)
        raw = cache.get(key)
        if raw is None:
            raw = trim_silence(engine.synthesize(text, voice), text)
            try:
                cache.put(key, raw)
            except OSError as error:
                raise VoiceroutineError(
                    f"cannot write to the clip cache {cache.folder}: {error.strerror or error}"
                    f" (set {CACHE_DIR_ENV} to another folder)"
                ) from None
            synthesized += 1
        clips[text] = resample(raw, sample_rate)
        if progress:
            progress("Speaking", done, len(distinct))
    return SpeechClips(clips, sample_rate, synthesized, len(distinct) - synthesized)
