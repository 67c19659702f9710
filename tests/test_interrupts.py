"""Interrupting a real build with SIGINT or SIGTERM at random moments loses and leaves nothing."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path

import pytest

ROUTINE = """\
title: Interrupted
steps:
  - say: {first_line}
  - repeat: 4
    steps:
      - exercise: bridge
        reps: 2
        hold: 20s
      - exercise: cat-cow
        reps: 4
      - rest: 20s
"""
MOMENTS = random.Random(20261130)
"""Delays are drawn once, from a fixed seed, so a failure can be replayed."""


def start_build(folder: Path, cache: Path, *extra: str) -> subprocess.Popen[str]:
    """`voiceroutine build` in a session of its own, as a terminal would run it."""
    env = {**os.environ, "VOICEROUTINE_CACHE_DIR": str(cache)}
    return subprocess.Popen(
        [sys.executable, "-m", "voiceroutine", "build", str(folder / "routine.yaml"),
         "-o", str(folder / "out"), "-j", "2", *extra],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip


@pytest.fixture(scope="module")
def built_before(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """A folder with a routine already built once, its cache, and how long the build took."""
    folder = tmp_path_factory.mktemp("before")
    (folder / "routine.yaml").write_text(ROUTINE.format(first_line="Find a quiet spot."))
    started = time.monotonic()
    build = start_build(folder, folder / "cache")
    _, errors = build.communicate(timeout=300)
    assert build.returncode == 0, errors
    return folder, time.monotonic() - started


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def processes_mentioning(text: str) -> list[str]:
    """Command lines of running processes that mention `text` (workers, ffmpeg)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        if text in command and state != "Z":
            found.append(command)
    return found


def assert_cache_sound(cache: Path) -> None:
    """Every cache entry is a whole WAV file, and no partial file is left."""
    assert not list(cache.rglob("*.partial"))
    for clip in cache.rglob("*.wav"):
        with wave.open(str(clip), "rb") as file:
            assert len(file.readframes(file.getnframes())) == file.getnframes() * 2 > 0


CASES = [  # (signal, sent to the process or its whole group, cache, when as a share of a build)
    (signal.SIGINT, "group", "empty", MOMENTS.uniform(0.1, 0.3)),
    (signal.SIGINT, "group", "warm", MOMENTS.uniform(0.3, 0.6)),
    (signal.SIGTERM, "process", "empty", MOMENTS.uniform(0.1, 0.3)),
    (signal.SIGTERM, "process", "warm", MOMENTS.uniform(0.3, 0.6)),
    (signal.SIGTERM, "group", "empty", MOMENTS.uniform(0.5, 0.9)),
]


@pytest.mark.parametrize(("signum", "target", "cache", "share_of_build"), CASES)
def test_an_interrupted_build_keeps_the_previous_output(
    built_before: tuple[Path, float],
    tmp_path: Path,
    signum: signal.Signals,
    target: str,
    cache: str,
    share_of_build: float,
) -> None:
    original, build_seconds = built_before
    folder = tmp_path / "work"
    shutil.copytree(original, folder)
    before = snapshot(folder / "out")
    if cache == "empty":  # every line is spoken again, in worker processes
        shutil.rmtree(folder / "cache")
    # A changed line: the build has something to speak, mix and encode.
    (folder / "routine.yaml").write_text(ROUTINE.format(first_line="Find a calm spot."))
    build = start_build(folder, folder / "cache")
    time.sleep(build_seconds * share_of_build)
    if target == "group":
        os.killpg(build.pid, signum)
    else:
        build.send_signal(signum)
    _, errors = build.communicate(timeout=120)

    assert "Traceback" not in errors
    after = snapshot(folder / "out")
    assert not [name for name in after if name.endswith(".partial")]
    if build.returncode == 0:  # finished before the signal: a whole new set
        assert after.keys() == before.keys()
        assert after["routine.mp3"] != before["routine.mp3"]
    else:
        assert build.returncode == 128 + signum, errors
        assert after == before
        assert "not written" in errors
    assert_cache_sound(folder / "cache")
    deadline = time.monotonic() + 5
    while processes_mentioning(str(folder)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_mentioning(str(folder)) == []


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="signals cannot be held here")
def test_a_signal_during_a_held_step_acts_once_the_step_is_done() -> None:
    from voiceroutine.interrupts import signals_held

    # Sent to this thread: sent to the process, the kernel may hand it to another thread that a
    # test before left running, and deliver it whenever that thread next runs (the next test
    # covers that case).
    steps = []
    with pytest.raises(KeyboardInterrupt):
        with signals_held():
            with signals_held():
                signal.pthread_kill(threading.get_ident(), signal.SIGINT)
                steps.append("inner")
            steps.append("outer")  # the inner hold's end still holds: the outer one's did
        steps.append("after")
    assert steps == ["inner", "outer"]


def test_a_signal_another_thread_takes_still_waits_for_the_held_step() -> None:
    # While the main thread holds the signals, the kernel hands them to a thread that does
    # not (a process pool has such threads); Python would then run the handler in the main
    # thread at once, in the middle of the step, unless the handler is deferred too.
    import threading

    from voiceroutine.interrupts import signals_held

    stop = threading.Event()
    helper = threading.Thread(target=stop.wait)
    helper.start()
    steps = []
    try:
        with pytest.raises(KeyboardInterrupt):
            with signals_held():
                os.kill(os.getpid(), signal.SIGINT)
                for _ in range(100_000):  # Python code runs on: the handler would run here
                    pass
                time.sleep(0.05)
                steps.append("step done")
            steps.append("after")
    finally:
        stop.set()
        helper.join()
    assert steps == ["step done"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.parametrize(
    ("signum", "target"), [(signal.SIGTERM, "process"), (signal.SIGINT, "group")]
)
def test_stopping_a_batch_stops_its_workers_and_writes_nothing_more(
    built_before: tuple[Path, float], tmp_path: Path, signum: signal.Signals, target: str
) -> None:
    _, build_seconds = built_before
    names = ["first", "second", "third"]
    for name in names:
        (tmp_path / f"{name}.yaml").write_text(ROUTINE.format(first_line=f"The {name} one."))
    out = tmp_path / "out"
    env = {**os.environ, "VOICEROUTINE_CACHE_DIR": str(tmp_path / "cache")}
    build = subprocess.Popen(
        [sys.executable, "-m", "voiceroutine", "build",
         *(str(tmp_path / f"{name}.yaml") for name in names), "-o", str(out), "-j", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    time.sleep(build_seconds * 0.3)  # both workers are speaking or encoding their routine
    if target == "group":
        os.killpg(build.pid, signum)
    else:
        build.send_signal(signum)
    at_signal = sorted(out.iterdir()) if out.exists() else []
    output, errors = build.communicate(timeout=60)

    assert build.returncode == 128 + signum, errors
    assert "Traceback" not in errors
    built = [name for name in names if f"{name}.mp3" in output]
    assert len(built) < len(names)  # it stopped: not every routine was built
    assert f"{len(built)} of 3 routines built" in errors, errors
    written = sorted(out.iterdir()) if out.exists() else []
    assert not [path for path in written if path.name.endswith(".partial")]
    assert {path.name for path in written if path.suffix == ".mp3"} == {f"{n}.mp3" for n in built}
    assert [path for path in written if path not in at_signal] == []  # nothing after the signal
    assert processes_mentioning(str(tmp_path)) == []  # no worker runs on
    assert_cache_sound(tmp_path / "cache")


INTERRUPT_ON_IMPORT = """\
import os, signal, sys
module = sys.argv[1]
class Interrupt:
    fired = False
    def find_spec(self, name, path, target=None):
        if name == module and not Interrupt.fired:
            Interrupt.fired = True
            os.kill(os.getpid(), signal.SIGINT)
        return None
sys.meta_path.insert(0, Interrupt())
sys.argv = ["voiceroutine", "check", sys.argv[2]]
from voiceroutine.launch import main
main()
"""


@pytest.mark.parametrize("module", ["pydantic", "voiceroutine.api"])
def test_ctrl_c_while_a_command_loads_is_reported(module: str, tmp_path: Path) -> None:
    # typer loads pydantic to read a command's options, and the command loads the API: a
    # Ctrl-C during either waits for the import and ends with the message, as at any other time.
    routine = Path(__file__).resolve().parent.parent / "routines" / "desk-break.yaml"
    env = {**os.environ, "VOICEROUTINE_CONFIG": str(tmp_path / "none.yaml")}
    done = subprocess.run(
        [sys.executable, "-c", INTERRUPT_ON_IMPORT, module, str(routine)],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 130
    assert done.stderr.strip() == "interrupted; the file being built was not written"


def test_a_signal_inside_the_import_system_is_raised_once_it_is_left() -> None:
    # Raised in the import system's own code, an interrupt can be printed and lost with the
    # import lock still held (in the weakref callback that drops a module's lock), and every
    # other thread's next import then waits for ever. There it waits for the first call outside.
    from voiceroutine.interrupts import Terminated, unwind_on_signals

    frames = []

    class Spy:
        def find_spec(self, name: str, path: object, target: object = None) -> None:
            if name == "voiceroutine_not_a_module":
                frames.append(sys._getframe(1))  # the import system's frame that asked

    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    spy = Spy()
    sys.meta_path.insert(0, spy)
    try:
        with pytest.raises(ModuleNotFoundError):
            import voiceroutine_not_a_module  # noqa: F401
        unwind_on_signals()
        handler = signal.getsignal(signal.SIGTERM)
        assert callable(handler)
        assert frames[0].f_code.co_filename == "<frozen importlib._bootstrap>"
        reached = 0
        with pytest.raises(Terminated):
            handler(signal.SIGTERM, frames[0])  # as if the signal had come there
            reached = 1  # no call yet: still nothing raised
            len("the first call outside the import system")
            reached = 2
        assert reached == 1
        assert sys.getprofile() is None  # the watch is gone with it
    finally:
        sys.meta_path.remove(spy)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def test_an_error_while_storing_a_line_stops_the_speaking_workers_at_once(tmp_path: Path) -> None:
    # The error is raised between two clips the workers send; the pool must not outlive it
    # (a pool left running after an interrupt kept its workers blocked on a full result pipe,
    # and the build's output open, after the build had exited).
    import errno
    import multiprocessing

    from voiceroutine.errors import VoiceroutineError
    from voiceroutine.tts.base import VoiceSettings
    from voiceroutine.tts.cache import ClipCache
    from voiceroutine.tts.registry import EngineSpec
    from voiceroutine.tts.speak import SpeakingProcesses, speak_all

    class FullDisk(ClipCache):
        def put(self, key: str, clip: object) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

    spec = EngineSpec("pyttsx3")
    lines = [f"Breathe in slowly, {count} of twenty." for count in range(1, 21)]
    before = set(multiprocessing.active_children())  # another test's (a Dask cluster's) may linger
    with pytest.raises(VoiceroutineError, match="No space left") as raised:
        speak_all(
            lines, spec.create(), VoiceSettings(), FullDisk(tmp_path / "cache"), 22050,
            processes=SpeakingProcesses(spec, 2),
        )  # fmt: skip
    assert raised.value.__traceback__ is not None  # its frames are still held here
    assert [child for child in multiprocessing.active_children() if child not in before] == []
