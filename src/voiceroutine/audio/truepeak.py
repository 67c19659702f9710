"""Measure the true peak (ITU-R BS.1770, 4x oversampled) of an encoded file, as players decode it.

Lossy encoders add peaks of their own, so the limit is checked on the
decoded audio: a second ffmpeg decodes it, resamples it to four times its
rate and reports the highest sample (its astats filter). It reads either the
written file or, while the file is being encoded, a copy of the encoder's
output through a pipe, so the check runs on the other core and the Python
process holds none of the audio.
"""

from __future__ import annotations

import math
import re
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from voiceroutine.audio.ffmpeg import ffmpeg_exe
from voiceroutine.errors import VoiceroutineError

OVERSAMPLING = 4
PEAK_LINE = re.compile(r"Peak level dB:\s*(-?inf|-?[\d.]+)")


def true_peak_dbtp(path: Path, sample_rate: int) -> float:
    """The highest 4x oversampled sample magnitude of the decoded file, in dBTP."""
    return _finish(*_start(["-i", str(path)], None, sample_rate), path.name)


def check_stream(
    container: str, channels: int, sample_rate: int, name: str
) -> Callable[[IO[bytes]], Callable[[], float]]:
    """A check of an encoder's output as it is written, in `container` on the encoder's stdout.

    Attach it to the encoder's stdout (which is then closed here: the
    checker holds the pipe); the function it returns waits for the check and
    gives the true peak in dBTP.
    """
    raw = ["-ar", str(sample_rate), "-ac", str(channels)] if container == "s16le" else []

    def attach(encoded: IO[bytes]) -> Callable[[], float]:
        with encoded:  # the checker holds the pipe now: the encoder sees it end
            started = _start(["-f", container, *raw, "-i", "pipe:0"], encoded, sample_rate)
        return lambda: _finish(*started, name)

    return attach


def _start(
    source: list[str], stdin: IO[bytes] | None, sample_rate: int
) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
    command = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info", *source,
        "-af", f"aresample={sample_rate * OVERSAMPLING},"
        "astats=measure_perchannel=none:measure_overall=Peak_level",
        "-f", "null", "-",
    ]  # fmt: skip
    report = tempfile.TemporaryFile()  # noqa: SIM115 (read and closed by _finish)
    try:
        process = subprocess.Popen(command, stdin=stdin, stdout=subprocess.DEVNULL, stderr=report)
    except OSError as error:
        report.close()
        raise VoiceroutineError(f"cannot run ffmpeg ({command[0]}): {error.strerror}") from None
    return process, report


def _finish(process: subprocess.Popen[bytes], report: IO[bytes], name: str) -> float:
    with report:
        code = process.wait()
        report.seek(0)
        text = report.read().decode("utf-8", "replace")
    found = PEAK_LINE.findall(text)
    if code != 0 or not found:
        last = text.strip().splitlines()[-1:] or [f"exit status {code}"]
        raise VoiceroutineError(f"ffmpeg could not decode {name} to check it: {last[0]}")
    return -math.inf if found[-1].endswith("inf") else float(found[-1])
