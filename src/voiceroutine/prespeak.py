"""Speak every line that many sessions say into the clip cache, each once, on every core.

A course or a batch of personalised sessions shares most of its lines; speaking
them first, in one pool of speaking processes, and then building each session
from the cache spends each line's synthesis once for all of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from voiceroutine.compiled import Compiled, speaking_engine
from voiceroutine.tts.base import Engine
from voiceroutine.tts.registry import EngineSpec

if TYPE_CHECKING:
    from voiceroutine.build import BuildOptions
    from voiceroutine.progress import Progress


class Engines:
    """The speech engines a build asks, one per engine spec, each made on first use."""

    def __init__(self, options: BuildOptions) -> None:
        self.options = options
        self._made: dict[EngineSpec, Engine] = {}

    def of(self, compiled: Compiled) -> Engine:
        engine = self._made.get(compiled.engine)
        if engine is None:
            engine = self._made[compiled.engine] = speaking_engine(compiled, self.options.voice)
        return engine


def speak_every_line(
    stale: list[Compiled], engines: Engines, jobs: int, progress: Progress | None
) -> int:
    """Speak into the clip cache each line the sessions to build say, each once, on `jobs`
    cores; how many were new."""
    if not stale:
        return 0
    from voiceroutine.tts.cache import ClipCache, default_cache_dir
    from voiceroutine.tts.speak import SpeakingProcesses, speak_missing

    cache = ClipCache(engines.options.cache_dir or default_cache_dir())
    spoken = 0
    for compiled, texts in lines_by_voice(stale):
        processes = SpeakingProcesses(compiled.engine, jobs)
        engine = engines.of(compiled)
        spoken += speak_missing(texts, engine, compiled.voice, cache, progress, processes)
    return spoken


def lines_by_voice(sessions: list[Compiled]) -> list[tuple[Compiled, list[str]]]:
    """The distinct lines the sessions say, grouped by engine and voice: with each group, one
    of its sessions (whose engine and voice speak the group)."""
    by_voice: dict[str, tuple[Compiled, list[str]]] = {}
    for compiled in sessions:
        key = repr((compiled.engine, compiled.voice))
        by_voice.setdefault(key, (compiled, []))[1].extend(compiled.plan.texts())
    return [(compiled, list(dict.fromkeys(texts))) for compiled, texts in by_voice.values()]
