"""Build several routines at once, one worker process per core, and report each as it ends.

Each worker builds whole routines with its own engine: eSpeak keeps global
state and Python holds the GIL, so processes, not threads, share the cores.
The clip cache is safe to share: its entries are written atomically.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from voiceroutine.errors import VoiceroutineError
from voiceroutine.interrupts import (
    end_worker_when_terminated,
    init_worker,
    signals_held,
    stop_workers,
)

if TYPE_CHECKING:  # the build itself is passed in (api.build_many), so this module is below api
    from voiceroutine.build import BuildOptions, BuildResult

BuildOne = Callable[[Path, "BuildOptions"], "BuildResult"]
"""Builds one routine; a module-level function, so that worker processes can be sent it."""


@dataclass(frozen=True)
class Outcome:
    """How one routine's build ended: its result, or the error to show."""

    path: Path
    result: BuildResult | None
    error: str | None


def build_all(
    build: BuildOne,
    paths: Sequence[Path],
    options: BuildOptions,
    jobs: int,
    on_done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Build every routine with `build`; outcomes come back in the order of `paths`."""
    outcomes = dict(_outcomes(build, paths, options, jobs, on_done))
    return [outcomes[path] for path in paths]


def _outcomes(
    build: BuildOne,
    paths: Sequence[Path],
    options: BuildOptions,
    jobs: int,
    on_done: Callable[[Outcome], None] | None,
) -> Iterator[tuple[Path, Outcome]]:
    if jobs <= 1 or len(paths) <= 1:
        for path in paths:
            outcome = build_one(build, path, options)
            if on_done:
                on_done(outcome)
            yield path, outcome
        return
    # Imported here: a single build, the common case, never starts a pool.
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(max_workers=min(jobs, len(paths)), initializer=init_worker) as pool:
        try:
            with signals_held():  # the workers start now: none may see a signal before it is set
                futures = {
                    pool.submit(_build_in_worker, build, path, options): path for path in paths
                }
            for future in as_completed(futures):
                outcome = future.result()
                if on_done:
                    on_done(outcome)
                yield futures[future], outcome
        except BaseException:
            stop_workers(pool)
            raise


def build_one(build: BuildOne, path: Path, options: BuildOptions) -> Outcome:
    """Build one routine in this process, turning its error into a message."""
    try:
        return Outcome(path, build(path, options), None)
    except VoiceroutineError as error:
        return Outcome(path, None, "\nerror: ".join(str(problem) for problem in error.every()))


def _build_in_worker(build: BuildOne, path: Path, options: BuildOptions) -> Outcome:
    return end_worker_when_terminated(lambda: build_one(build, path, options))
