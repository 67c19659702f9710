"""What runs on a Dask worker: its speech engines (a worker plugin) and a batch's tasks.

Imported on the workers, and by cluster.py once Dask is known to be there.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distributed import WorkerPlugin, get_worker

if TYPE_CHECKING:
    from voiceroutine.batch import Outcome
    from voiceroutine.build import BuildOptions, BuildResult, WrittenRoutine
    from voiceroutine.tts.base import Engine, VoiceSettings
    from voiceroutine.tts.registry import EngineSpec

NATIVE_THREAD_LIMITS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class SpeechEngines(WorkerPlugin):
    """The worker's speech engines, each made on its first use and kept for every task."""

    name = "voiceroutine-engines"

    def __init__(self, leave_interrupts: bool = False) -> None:
        self._made: dict[EngineSpec, Engine] = {}
        self.leave_interrupts = leave_interrupts
        """Ignore Ctrl-C: a LocalCluster's workers share the terminal with the command, which
        stops them itself (each would print a traceback of its own)."""

    def setup(self, worker: Any) -> None:
        from voiceroutine.threads import reuse_freed_memory

        # A worker is one core. A nanny already sets these for the workers it starts; a worker
        # started without one gets them here, before any engine is made. Piper gives
        # onnxruntime one thread in a process started by another, as a nanny's workers are.
        for variable in NATIVE_THREAD_LIMITS:
            os.environ[variable] = "1"
        reuse_freed_memory()
        if self.leave_interrupts and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)

    def engine(self, spec: EngineSpec) -> Engine:
        if spec not in self._made:
            self._made[spec] = spec.create()
        return self._made[spec]

    def __getstate__(self) -> dict[str, Any]:
        # Sent to each worker without engines: they are made there.
        return {"_made": {}, "leave_interrupts": self.leave_interrupts}


def worker_engine(spec: EngineSpec) -> Engine:
    """This worker's engine for `spec`."""
    plugin: SpeechEngines = get_worker().plugins[SpeechEngines.name]
    return plugin.engine(spec)


def speak_on_worker(spec: EngineSpec, voice: VoiceSettings, texts: list[str], cache: Path) -> int:
    """Speak into the clip cache each of `texts` it lacks; how many were spoken."""
    from voiceroutine.tts.cache import ClipCache
    from voiceroutine.tts.speak import speak_missing

    return speak_missing(texts, worker_engine(spec), voice, ClipCache(cache))


def build_on_worker(job: WrittenRoutine, options: BuildOptions) -> Outcome[WrittenRoutine]:
    """Build one session with this worker's engine; its error becomes its outcome's message."""
    from voiceroutine.batch import build_one

    return build_one(_build_with_worker_engine, job, options)


def _build_with_worker_engine(job: WrittenRoutine, options: BuildOptions) -> BuildResult:
    from voiceroutine.build import build_compiled

    compiled = job.compiled(options)
    engine = worker_engine(compiled.engine)
    return build_compiled(compiled, job.placed(options), engine, name=job.name)
