"""Work on other threads: many arrays on every core (numpy and soxr release the GIL while they
work), one task on a thread of its own, and the allocator settings that keep threads lean."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future

T = TypeVar("T")
R = TypeVar("R")


def map_in_threads(function: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """`[function(item) for item in items]`, computed by one thread per core.

    Each item is let go once its result is made, so a generator that pops
    items from a dict keeps one copy of each line (the item or its result).
    """
    from concurrent.futures import ThreadPoolExecutor  # not on the up-to-date check's path

    with ThreadPoolExecutor(max_workers=usable_cores()) as pool:
        return list(pool.map(function, items))


def in_thread(
    work: Callable[[], T], name: str, niceness: int = 0, daemon: bool = True
) -> Future[T]:
    """Start `work` on a thread of its own; the future gets its result or its error.

    A future rather than thread.join(): after a join interrupted by a signal,
    Python 3.11 may let the next join return while the thread still runs.
    With a `niceness`, the thread yields the cores to others (Linux only). A
    `daemon` thread does not keep the interpreter from exiting; one that
    writes files should not be one.
    """
    import threading
    from concurrent.futures import Future

    future: Future[T] = Future()

    def run() -> None:
        try:
            if niceness and sys.platform.startswith("linux"):  # a thread id names one thread
                with contextlib.suppress(OSError):
                    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
            future.set_result(work())
        except BaseException as error:  # handed to whoever waits on the future
            future.set_exception(error)

    threading.Thread(target=run, name=name, daemon=daemon).start()
    return future


def settled(work: Callable[[], T]) -> Future[T]:
    """Run `work` here and now; a finished future with its result or its error."""
    from concurrent.futures import Future

    future: Future[T] = Future()
    try:
        future.set_result(work())
    except BaseException as error:  # kept, as a thread's would be
        future.set_exception(error)
    return future


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


MALLOC_ARENA_MAX = -8
"""glibc's mallopt() parameter for how many malloc arenas threads may create."""


def share_one_malloc_arena() -> None:
    """Have every thread allocate from one glibc arena (elsewhere, do nothing).

    glibc gives each new thread an arena of its own, and memory freed in one
    is not reused by the others: the threads above and the true-peak check
    raised a 37-minute build's peak from 113 to 130 MB. One shared arena costs
    a lock per allocation, which numpy's few large ones do not feel.
    """
    try:
        os.confstr("CS_GNU_LIBC_VERSION")
    except (AttributeError, ValueError, OSError):
        return  # not glibc
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(MALLOC_ARENA_MAX, 1)


MALLOC_TRIM_THRESHOLD = -1
MALLOC_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 << 20
"""glibc's own upper bound for its sliding mmap threshold (DEFAULT_MMAP_THRESHOLD_MAX)."""


def reuse_freed_memory() -> None:
    """Let glibc keep freed memory for the next allocation, as it does by default.

    Dask starts its workers with MALLOC_TRIM_THRESHOLD_=65536, and a trim
    threshold set by hand also fixes glibc's mmap threshold at 128 KiB: every
    array of a session's mix is then mapped, zeroed and unmapped anew (a
    batch on a LocalCluster spent five times the system time of the local
    pool, and ran twice as long). This puts both thresholds where glibc's
    sliding rule takes them for large arrays. Elsewhere than glibc, nothing.
    """
    try:
        os.confstr("CS_GNU_LIBC_VERSION")
    except (AttributeError, ValueError, OSError):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None)
        libc.mallopt(MALLOC_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
        libc.mallopt(MALLOC_TRIM_THRESHOLD, 2 * MMAP_THRESHOLD_BYTES)
