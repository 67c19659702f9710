"""The speak stage: every distinct line becomes one trimmed clip, synthesized once and cached.

Lines missing from the cache can be synthesized by several worker processes,
each with its own engine built from the engine's spec.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from voiceroutine.audio.clip import resample, trim_silence
from voiceroutine.errors import VoiceroutineError
from voiceroutine.interrupts import (
    end_worker_when_terminated,
    init_worker,
    signals_held,
    stop_workers,
)
from voiceroutine.progress import Progress
from voiceroutine.threads import map_in_threads
from voiceroutine.tts.base import Engine, RawClip, VoiceSettings
from voiceroutine.tts.cache import CACHE_DIR_ENV, ClipCache
from voiceroutine.tts.pronounce import respelled
from voiceroutine.tts.registry import EngineSpec

MIN_LINES_PER_WORKER = 8
"""Starting a worker and its engine costs about as much as speaking a few lines."""


@dataclass(frozen=True)
class SpeakingProcesses:
    """Worker processes to speak new lines in, each with its own engine made from `engine`."""

    engine: EngineSpec
    count: int


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
    processes: SpeakingProcesses | None = None,
) -> SpeechClips:
    """Clips for every text, from the cache where possible, else from the engine.

    Missing lines are spoken by `engine` in this process, or with `processes`
    in that many worker processes when there are enough of them to pay for it.
    """
    identity = engine.identity(voice)
    distinct = list(dict.fromkeys(texts))
    keys = {text: cache.key(identity, said(text, voice)) for text in distinct}
    raw = {text: clip for text in distinct if (clip := cache.get(keys[text])) is not None}
    missing = [text for text in distinct if text not in raw]
    _speak_and_store(
        missing, engine, voice, cache, keys, progress, processes, len(raw), len(distinct), raw
    )
    # Each engine-rate clip is let go as soon as it is resampled: one copy at a time.
    resampled = map_in_threads(
        lambda clip: resample(clip, sample_rate), (raw.pop(text) for text in distinct)
    )
    clips = dict(zip(distinct, resampled, strict=True))
    return SpeechClips(clips, sample_rate, len(missing), len(distinct) - len(missing))


def speak_missing(
    texts: Sequence[str],
    engine: Engine,
    voice: VoiceSettings,
    cache: ClipCache,
    progress: Progress | None = None,
    processes: SpeakingProcesses | None = None,
) -> int:
    """Speak into the cache every text it lacks, keeping no clip here; how many were spoken.

    Many sessions that share lines (a course) speak them all once this way, on
    every core, before each session is built from the cache.
    """
    identity = engine.identity(voice)
    distinct = list(dict.fromkeys(texts))
    keys = {text: cache.key(identity, said(text, voice)) for text in distinct}
    missing = [text for text in distinct if not cache.path(keys[text]).exists()]
    _speak_and_store(missing, engine, voice, cache, keys, progress, processes, 0, len(missing))
    return len(missing)


def _speak_and_store(
    missing: list[str],
    engine: Engine,
    voice: VoiceSettings,
    cache: ClipCache,
    keys: dict[str, str],
    progress: Progress | None,
    processes: SpeakingProcesses | None,
    done_before: int,
    total: int,
    kept: dict[str, RawClip] | None = None,
) -> None:
    """Speak each missing line and store it in the cache (and in `kept`, if given);
    `progress` counts up to `total`."""
    done = done_before

    def stored(text: str, clip: RawClip) -> None:
        nonlocal done
        _store(cache, keys[text], clip)
        if kept is not None:
            kept[text] = clip
        done += 1
        if progress:
            progress("Speaking", done, total)

    _synthesize(missing, engine, voice, processes, stored)


def _synthesize(
    texts: list[str],
    engine: Engine,
    voice: VoiceSettings,
    processes: SpeakingProcesses | None,
    on_spoken: Callable[[str, RawClip], None],
) -> None:
    """Speak each text, handing each clip to `on_spoken` as it comes.

    A function, not a generator: a generator left suspended by an interrupt
    in its consumer would keep its pool running, its workers blocked on a
    full result pipe after this process has gone.
    """
    workers = min(processes.count, len(texts) // MIN_LINES_PER_WORKER) if processes else 0
    if processes is None or workers <= 1:
        for text in texts:
            on_spoken(text, trim_silence(engine.synthesize(said(text, voice), voice), text))
        return
    prepare = getattr(engine, "prepare", None)
    if prepare is not None:
        prepare(voice)
    # Longest first, so that no worker is left speaking one long line while the others wait.
    texts = sorted(texts, key=len, reverse=True)
    with ProcessPoolExecutor(workers, initializer=init_worker) as pool:
        try:
            # Futures, not pool.map: map cancels what is left when it is abandoned, and the pool
            # (its workers ended by stop_workers) then fails on the cancelled ones, printing a
            # traceback (Python 3.11).
            with signals_held():  # the workers start now: none may see a signal before it is set
                futures = [pool.submit(_speak_in_worker, processes.engine, t, voice) for t in texts]
            for text, future in zip(texts, futures, strict=True):
                on_spoken(text, future.result())
        except BaseException:
            stop_workers(pool)
            raise


def _store(cache: ClipCache, key: str, clip: RawClip) -> None:
    try:
        cache.put(key, clip)
    except OSError as error:
        raise VoiceroutineError(
            f"cannot write to the clip cache {cache.folder}: {error.strerror or error}"
            f" (set {CACHE_DIR_ENV} to another folder)"
        ) from None


@functools.cache
def _worker_engine(spec: EngineSpec) -> Engine:
    """The engine of a synthesis worker process, built once on its first line."""
    return spec.create()


def _speak_in_worker(spec: EngineSpec, text: str, voice: VoiceSettings) -> RawClip:
    return end_worker_when_terminated(
        lambda: trim_silence(_worker_engine(spec).synthesize(said(text, voice), voice), text)
    )


def said(text: str, voice: VoiceSettings) -> str:
    """What the engine is given to say for a line: the line with the voice's respellings."""
    return respelled(text, voice.pronounce)
