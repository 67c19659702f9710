"""Stop on SIGTERM the way Ctrl-C stops: unwind, remove partial files, exit 143.

Python turns SIGINT into KeyboardInterrupt but dies at once on SIGTERM,
which would leave temporary files and ffmpeg processes behind. Here SIGTERM
raises `Terminated` instead, so every `finally` and cleanup handler runs.
Worker processes ignore SIGINT (the main process handles Ctrl-C and stops
them) and unwind on SIGTERM like the main process.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # concurrent.futures is imported where a pool is made, not at start-up
    from concurrent.futures import Executor

T = TypeVar("T")

TERMINATED_EXIT = 128 + signal.SIGTERM
INTERRUPTED_EXIT = 128 + signal.SIGINT
INTERRUPTED_MESSAGE = "interrupted; the file being built was not written"
TERMINATED_MESSAGE = "terminated; the file being built was not written"


class Terminated(SystemExit):
    """SIGTERM arrived. A SystemExit, so a worker process that gets it ends quietly."""

    def __init__(self) -> None:
        super().__init__(TERMINATED_EXIT)


IMPORT_MACHINERY = frozenset(
    {"<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>"}
)
"""Where Python's import system runs its own code.

An exception a signal's handler raises there can be lost with the import
lock still held: raised in the callback that drops a module's lock (a
weakref callback, whose exceptions Python prints and ignores) just after it
took the import lock, it stops nothing, and every other thread's next import
waits for ever (seen once in about a hundred SIGTERMs to a build).
"""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    _raise_outside_imports(Terminated, frame)


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    _raise_outside_imports(KeyboardInterrupt, frame)


def _raise_outside_imports(error: Callable[[], BaseException], frame: FrameType | None) -> None:
    """Raise `error` here, or, when the signal came inside the import system, at the first
    call made outside it (a profile function sees every call; it is removed then)."""
    if frame is None or frame.f_code.co_filename not in IMPORT_MACHINERY:
        raise error()
    if isinstance(sys.getprofile(), _RaiseOnLeavingImports):
        return  # one interrupt is on its way already
    sys.setprofile(_RaiseOnLeavingImports(error, sys.getprofile()))


class _RaiseOnLeavingImports:
    """A profile function that raises an error at the first event outside the import system,
    putting back the profile function there was before."""

    def __init__(self, error: Callable[[], BaseException], previous: Any) -> None:
        self.error = error
        self.previous = previous

    def __call__(self, frame: FrameType, event: str, arg: object) -> None:
        if frame.f_code.co_filename in IMPORT_MACHINERY or frame.f_code.co_filename == __file__:
            return  # still inside, or the handler that set this returning into it
        sys.setprofile(self.previous)
        raise self.error()


def unwind_on_signals() -> None:
    """From now on, SIGTERM raises Terminated in the main thread, and Ctrl-C (where Python
    takes it) KeyboardInterrupt, each outside the import system's own code."""
    signal.signal(signal.SIGTERM, _raise_terminated)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _raise_interrupted)


def init_worker() -> None:
    """Initializer of worker processes: leave Ctrl-C to the main process, unwind on SIGTERM.

    Workers are started inside `signals_held` (batch.py, speak.py), so a Ctrl-C to the
    whole process group cannot reach one before this has run; the hold ends here.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    unwind_on_signals()
    release_signals()


STOP_SECONDS = 1.0
"""How long workers asked to stop may take to unwind before they are killed."""


def stop_workers(pool: Executor) -> None:
    """Cancel what has not started and end the running workers (after an interrupt).

    Each worker is asked to unwind (SIGTERM: its temporary files are removed)
    and waited for; one still running after STOP_SECONDS is killed. When this
    returns, no worker of the pool runs, so none writes anything more.
    """
    import time
    from concurrent.futures import ProcessPoolExecutor

    # The executor offers no public way to stop running work; its processes are known, and
    # must be taken before shutdown(), which forgets them.
    processes = []
    if isinstance(pool, ProcessPoolExecutor):
        processes = list((getattr(pool, "_processes", None) or {}).values())
    # A process pool's futures are not cancelled: once its workers are ended, the pool fails
    # them itself, and Python 3.11 prints a traceback when it meets one already cancelled.
    pool.shutdown(wait=False, cancel_futures=not processes)
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.kill()
            process.join()


def end_worker_when_terminated(work: Callable[[], T]) -> T:
    """In a worker process: run `work`; if SIGTERM stopped it, end the process once it has
    unwound, so that it takes no further task from the pool's queue."""
    try:
        return work()
    except Terminated:
        os._exit(TERMINATED_EXIT)


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM in this thread until the block ends; one sent meanwhile then acts.

    For steps an interrupt must not cut in two. Threads started inside inherit
    the hold and must call `release_signals` first (ffmpeg they start would
    inherit it too). In the main thread the signals' Python handlers are
    deferred as well: a signal the kernel hands to another thread (a pool's
    helper threads take them while this one blocks them) still runs its
    handler in the main thread, at once, which would cut the step in two.
    """
    before = _mask(signal.SIG_BLOCK)
    deferred = _defer_handlers()
    try:
        yield
    finally:
        if before is not None:  # as it was: a hold around this one still holds
            signal.pthread_sigmask(signal.SIG_SETMASK, before)
        if deferred is not None:
            deferred.restore()


class _DeferredHandlers:
    """SIGINT's and SIGTERM's handlers replaced by a note; `restore` puts them back and runs
    the handler of the first signal noted meanwhile."""

    def __init__(self) -> None:
        self.arrived: list[int] = []
        self.handlers = {
            signum: signal.signal(signum, self._note) for signum in (signal.SIGINT, signal.SIGTERM)
        }

    def _note(self, signum: int, frame: FrameType | None) -> None:
        self.arrived.append(signum)

    def restore(self) -> None:
        for signum, handler in self.handlers.items():
            signal.signal(signum, handler)
        if not self.arrived:
            return
        signum = self.arrived[0]
        handler = self.handlers[signum]
        if callable(handler):
            handler(signum, None)
        elif handler == signal.SIG_DFL:
            signal.raise_signal(signum)


def _defer_handlers() -> _DeferredHandlers | None:
    """Defer the signals' handlers, where this thread may set them (the main thread only)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    return _DeferredHandlers()


def hold_signals() -> None:
    """Hold Ctrl-C and SIGTERM in this thread from now on (as the command ends)."""
    _mask(signal.SIG_BLOCK)


def release_signals() -> None:
    """In a thread started inside `signals_held`: take signals again."""
    _mask(signal.SIG_UNBLOCK)


def _mask(how: int) -> set[signal.Signals] | None:
    """Change this thread's hold on Ctrl-C and SIGTERM; the mask before, where there is one."""
    if hasattr(signal, "pthread_sigmask"):
        return signal.pthread_sigmask(how, {signal.SIGINT, signal.SIGTERM})
    return None
