"""Find the ffmpeg shipped in the imageio-ffmpeg wheel, run it on streamed PCM, and set up pydub."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import tempfile
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

from voiceroutine.errors import VoiceroutineError

T = TypeVar("T")

FFMPEG_ENV = "VOICEROUTINE_FFMPEG"
"""Set to a path to use another ffmpeg binary than the bundled one."""


def ffmpeg_exe() -> str:
    """The ffmpeg to run: $VOICEROUTINE_FFMPEG, else the one bundled with imageio-ffmpeg."""
    override = os.environ.get(FFMPEG_ENV)
    if override:
        return override
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as error:
        raise VoiceroutineError(f"cannot find ffmpeg: {error}") from None


@cache
def audio_segment_class() -> Any:
    """pydub's AudioSegment, pointed at our ffmpeg, imported without its missing-ffmpeg warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        from pydub import AudioSegment
    AudioSegment.converter = ffmpeg_exe()
    return AudioSegment


@dataclass(frozen=True)
class FfmpegRun(Generic[T]):
    """How an ffmpeg process ended: its exit code, what it wrote on stderr, what was read."""

    code: int
    stderr: str
    output: T | None = None

    def reason(self) -> str:
        """Why it failed, in one line: the signal that killed it, or its last error message."""
        if self.code < 0:
            return f"it was killed by {signal.Signals(-self.code).name}"
        lines = [LOG_PREFIX.sub("", line).strip() for line in self.stderr.splitlines()]
        lines = [line for line in lines if line and line not in GENERIC_FAILURES]
        errors = [line for line in lines if "error" in line.lower()]
        return (errors or lines or [f"exit status {self.code}"])[-1]


LOG_PREFIX = re.compile(r"^(\[[^\]]* @ 0x[0-9a-f]+\] )+")
"""ffmpeg's "[out#0/mp3 @ 0x55ec977bb640] " before a message."""
GENERIC_FAILURES = ("Conversion failed!",)
"""Lines ffmpeg ends with after any error, which say nothing of the cause."""


def pipe_into_ffmpeg(
    arguments: Sequence[str],
    blocks: Iterable[bytes],
    cwd: Path | None = None,
    attach_output: Callable[[IO[bytes]], Callable[[], T]] | None = None,
) -> FfmpegRun[T]:
    """Run ffmpeg with `arguments`, streaming `blocks` to its standard input.

    With `attach_output`, ffmpeg's standard output is handed to it as soon
    as ffmpeg starts (to feed another process); the function it returns is
    called once ffmpeg has ended, and what it returns is the run's `output`.
    The process is killed if the producer of the blocks fails or the build
    is interrupted, so no ffmpeg is left behind.
    """
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", *arguments]
    stdout = subprocess.PIPE if attach_output else None
    with tempfile.TemporaryFile() as errors:
        try:
            # In a session of its own: a Ctrl-C to the terminal's process group reaches only
            # the build, which stops ffmpeg itself (below), rather than ffmpeg dying first and
            # the build reporting a failed encode instead of the interrupt.
            process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=stdout, stderr=errors, cwd=cwd,
                start_new_session=True,
            )  # fmt: skip
        except OSError as error:
            raise VoiceroutineError(f"cannot run ffmpeg ({command[0]}): {error.strerror}") from None
        assert process.stdin is not None
        finish: Callable[[], T] | None = None
        try:
            finish = attach_output(process.stdout) if attach_output else None
            for block in blocks:
                process.stdin.write(block)
            process.stdin.close()
        except BrokenPipeError:
            pass
        except BaseException:
            process.kill()
            process.wait()
            if finish is not None:
                with contextlib.suppress(VoiceroutineError):
                    finish()  # the reader has seen the end of the stream: reap it
            raise
        code = process.wait()
        errors.seek(0)
        run: FfmpegRun[T] = FfmpegRun(code, errors.read().decode("utf-8", "replace"))
        if finish is not None:
            try:
                run = replace(run, output=finish())
            except VoiceroutineError:
                if code == 0:
                    raise  # the encoder's own failure says more than the reader's
        return run
