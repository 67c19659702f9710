"""Where a batch's work runs: this machine's pool of processes, or a Dask cluster (cluster.py).

A batch does two things: it speaks every line its sessions say into the
clip cache, each line once, and then builds each session from the cache.
Both runners do both and give the same files; they differ in where.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from voiceroutine.batch import Outcome
    from voiceroutine.build import BuildOptions, WrittenRoutine
    from voiceroutine.compiled import Compiled
    from voiceroutine.prespeak import Engines
    from voiceroutine.progress import Progress


class Runner(Protocol):
    """Runs the two stages of a batch."""

    def speak(self, stale: list[Compiled], engines: Engines, progress: Progress | None) -> int:
        """Speak into the clip cache every line `stale` says that it lacks; how many were new."""
        ...

    def build(
        self,
        work: Sequence[WrittenRoutine],
        options: BuildOptions,
        on_done: Callable[[Outcome[WrittenRoutine]], None],
    ) -> list[Outcome[WrittenRoutine]]:
        """Build every session; outcomes in the order of `work`, each passed to `on_done`
        as it ends."""
        ...


class LocalRunner:
    """This machine: `jobs` worker processes, each with its own speech engine."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs

    def speak(self, stale: list[Compiled], engines: Engines, progress: Progress | None) -> int:
        from voiceroutine.prespeak import speak_every_line

        return speak_every_line(stale, engines, self.jobs, progress)

    def build(
        self,
        work: Sequence[WrittenRoutine],
        options: BuildOptions,
        on_done: Callable[[Outcome[WrittenRoutine]], None],
    ) -> list[Outcome[WrittenRoutine]]:
        from voiceroutine.batch import build_all
        from voiceroutine.build import build_written

        return build_all(build_written, work, options, self.jobs, on_done)
