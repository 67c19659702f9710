"""Run a batch on a Dask cluster: a LocalCluster on this machine, or a running scheduler.

One task per session (and, before them, one per share of the lines to
speak). Each worker makes its speech engines once, in a worker plugin, and
keeps native libraries to one thread: a worker is one core. Outputs and the
clip cache are named by absolute paths, which must be the same folders on
every worker (a shared filesystem). Each session's files are written to
temporary names and renamed into place together, so a task that runs again
after its worker was lost leaves one whole set; temporaries a lost worker
left behind are removed when the batch ends.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voiceroutine.errors import VoiceroutineError

if TYPE_CHECKING:
    from distributed import Client

    from voiceroutine.batch import Outcome
    from voiceroutine.build import BuildOptions, WrittenRoutine
    from voiceroutine.compiled import Compiled
    from voiceroutine.prespeak import Engines
    from voiceroutine.progress import Progress

CLUSTER_ENV = "VOICEROUTINE_CLUSTER"
LOCAL = "local"
INSTALL_HINT = 'pip install "voiceroutine[cluster]"'
WAIT_S = 0.2
"""How long one wait for tasks lasts: a Ctrl-C acts between waits."""
SHARES_PER_WORKER = 4
"""The lines to speak go out in this many shares per worker: enough to even out the load."""


@contextlib.contextmanager
def connected(address: str, workers: int) -> Iterator[Client]:
    """A client of the cluster at `address` (`local`: a LocalCluster of `workers`
    single-threaded processes, closed at the end), its workers given their engine plugin."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise VoiceroutineError(
            f"--cluster needs Dask distributed, which is not installed; {INSTALL_HINT}"
        ) from None
    from voiceroutine.interrupts import signals_held

    stack = contextlib.ExitStack()
    try:
        if address == LOCAL:
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True,
                    dashboard_address=None, silence_logs=logging.ERROR,
                )
            )  # fmt: skip
            client = stack.enter_context(Client(cluster))
        else:
            try:
                # How long to try is Dask's own setting: distributed.comm.timeouts.connect.
                client = stack.enter_context(Client(address))
            except (OSError, TimeoutError, ValueError) as error:
                raise VoiceroutineError(
                    f"cannot reach the Dask scheduler at {address}: {error or type(error).__name__}"
                ) from None
        from voiceroutine.cluster_worker import SpeechEngines

        plugin = SpeechEngines(leave_interrupts=address == LOCAL)
        client.register_plugin(plugin, name=SpeechEngines.name)
        yield client
    finally:
        # A Ctrl-C now waits until the client and cluster are closed, then acts: one that cut
        # the closing short would leave the cluster's threads and processes running.
        with signals_held():
            stack.close()


class DaskRunner:
    """Runs a batch's two stages as tasks on a Dask cluster (see runners.py)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self._sessions: list[tuple[Path, str]] = []
        """The sessions sent, each as its folder and name."""

    def workers(self) -> int:
        return max(1, len(self.client.scheduler_info()["workers"]))

    def speak(self, stale: list[Compiled], engines: Engines, progress: Progress | None) -> int:
        from voiceroutine.cluster_worker import speak_on_worker
        from voiceroutine.prespeak import lines_by_voice
        from voiceroutine.tts.cache import default_cache_dir

        cache = (engines.options.cache_dir or default_cache_dir()).resolve()
        shares = self.workers() * SHARES_PER_WORKER
        futures = []
        for compiled, texts in lines_by_voice(stale):
            for part in (texts[start::shares] for start in range(min(shares, len(texts)))):
                futures.append(
                    self.client.submit(
                        speak_on_worker, compiled.engine, compiled.voice, part, cache, pure=False
                    )
                )
        counts: list[int] = []

        def counted(count: int) -> None:
            counts.append(count)
            if progress:
                progress("Speaking", len(counts), len(futures))

        self._each_completed(futures, counted)
        return sum(counts)

    def build(
        self,
        work: Sequence[WrittenRoutine],
        options: BuildOptions,
        on_done: Callable[[Outcome[WrittenRoutine]], None],
    ) -> list[Outcome[WrittenRoutine]]:
        from voiceroutine.cluster_worker import build_on_worker
        from voiceroutine.tts.cache import default_cache_dir

        shared = replace(
            options,
            out_dir=options.out_dir.resolve(),
            cache_dir=(options.cache_dir or default_cache_dir()).resolve(),
        )
        sent = [replace(job, source=job.source.resolve()) for job in work]
        self._sessions.extend((shared.out_dir / job.folder, job.name) for job in work)
        try:
            futures = [self.client.submit(build_on_worker, job, shared, pure=False) for job in sent]
            outcomes: dict[tuple[str, str], Outcome[WrittenRoutine]] = {}

            def ended(outcome: Outcome[WrittenRoutine]) -> None:
                outcomes[outcome.job.key] = outcome
                on_done(outcome)

            self._each_completed(futures, ended)
            return [outcomes[job.key] for job in sent]
        finally:
            self.remove_partials()

    def remove_partials(self) -> None:
        """Remove the temporaries of the sessions' files (`.ann.mp3.x1y2.partial`, and the
        encoder's extra tries beside them) that a lost or stopped worker left behind."""
        for folder, name in self._sessions:
            for leftover in folder.glob(f".{name}.*.partial*"):
                with contextlib.suppress(OSError):
                    leftover.unlink()

    def _each_completed(self, futures: list[Any], on_result: Callable[[Any], None]) -> None:
        """Hand each task's result to `on_result` as it ends; on an interrupt or error
        (`on_result`'s too), the rest are cancelled.

        Every call into Dask runs with Ctrl-C held, and a Ctrl-C acts between them: one
        that cut a call short could leave the client waiting on a lock for ever. A
        function, not a generator, so that nothing is left running when its caller stops.
        """
        from distributed import wait

        from voiceroutine.interrupts import signals_held

        pending = set(futures)
        try:
            while pending:
                with signals_held():
                    try:
                        done, pending = wait(pending, WAIT_S, return_when="FIRST_COMPLETED")
                    except TimeoutError:
                        continue
                    results = [future.result() for future in done]
                for result in results:
                    on_result(result)
        except BaseException:
            with signals_held():
                self.client.cancel(futures, force=True)
            raise
