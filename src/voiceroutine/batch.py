"""Build several routines at once, one worker process per core, and report each as it ends.

Each worker builds whole routines with its own engine: eSpeak keeps global
state and Python holds the GIL, so processes, not threads, share the cores.
The clip cache is safe to share: its entries are written atomically.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from voiceroutine.errors import VoiceroutineError
from voiceroutine.interrupts import (
    end_worker_when_terminated,
    init_worker,
    signals_held,
    stop_workers,
)

if TYPE_CHECKING:  # the build itself is passed in (api.build_many), so this module is below api
    from voiceroutine.build import BuildOptions, BuildResult
    from voiceroutine.progress import Progress

Job = TypeVar("Job", bound=Hashable)
"""What one build is given: a routine file's path, or a program's session in one week."""

BuildOne = Callable[[Job, "BuildOptions"], "BuildResult"]
"""Builds one job; a module-level function, so that worker processes can be sent it."""


@dataclass(frozen=True)
class Outcome(Generic[Job]):
    """How one build ended: its result, or the error to show."""

    job: Job
    result: BuildResult | None
    error: str | None


def build_all(
    build: BuildOne[Job],
    work: Sequence[Job],
    options: BuildOptions,
    jobs: int,
    on_done: Callable[[Outcome[Job]], None] | None = None,
) -> list[Outcome[Job]]:
    """Build every job with `build`; outcomes come back in the order of `work`."""
    outcomes = _outcomes(build, work, options, jobs, on_done)
    return [outcomes[job] for job in work]


def _outcomes(
    build: BuildOne[Job],
    work: Sequence[Job],
    options: BuildOptions,
    jobs: int,
    on_done: Callable[[Outcome[Job]], None] | None,
) -> dict[Job, Outcome[Job]]:
    """Each job's outcome, in the order they end. A function, not a generator: one left
    suspended by an interrupt would keep its pool's workers running (speak.py)."""
    outcomes: dict[Job, Outcome[Job]] = {}
    if jobs <= 1 or len(work) <= 1:
        for job in work:
            outcomes[job] = build_one(build, job, options)
            if on_done:
                on_done(outcomes[job])
        return outcomes
    # Imported here: a single build, the common case, never starts a pool.
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(max_workers=min(jobs, len(work)), initializer=init_worker) as pool:
        try:
            with signals_held():  # the workers start now: none may see a signal before it is set
                futures = {pool.submit(_build_in_worker, build, job, options): job for job in work}
            for future in as_completed(futures):
                outcomes[futures[future]] = outcome = future.result()
                if on_done:
                    on_done(outcome)
        except BaseException:
            stop_workers(pool)
            raise
    return outcomes


def build_one(build: BuildOne[Job], job: Job, options: BuildOptions) -> Outcome[Job]:
    """Build one job in this process, turning its error into a message."""
    try:
        return Outcome(job, build(job, options), None)
    except VoiceroutineError as error:
        return Outcome(job, None, "\nerror: ".join(str(problem) for problem in error.every()))


def _build_in_worker(build: BuildOne[Job], job: Job, options: BuildOptions) -> Outcome[Job]:
    return end_worker_when_terminated(lambda: build_one(build, job, options))


def counted_sessions(
    total: int,
    on_done: Callable[[Outcome[Job]], None] | None,
    progress: Progress | None,
) -> Callable[[Outcome[Job]], None]:
    """`on_done`, counting the sessions that ended on one progress bar over them all."""
    ended = [0]
    if progress:
        progress("Sessions", 0, total)

    def done(outcome: Outcome[Job]) -> None:
        ended[0] += 1
        if progress:
            progress("Sessions", ended[0], total)
        if on_done:
            on_done(outcome)

    return done
