"""Measure the true peak (ITU-R BS.1770, 4x oversampled) of an encoded file, as players decode it.

Lossy encoders add peaks of their own, so the limit is checked on the
decoded file: after it is written, or while it is being encoded, from a copy
of the encoder's output. The file is decoded by ffmpeg and oversampled in
blocks, so memory stays flat whatever the length.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path
from typing import IO

import numpy as np

from voiceroutine.audio.ffmpeg import ffmpeg_exe
from voiceroutine.errors import VoiceroutineError

OVERSAMPLING = 4
BLOCK_FRAMES = 1 << 17


def true_peak_dbtp(path: Path, channels: int, sample_rate: int) -> float:
    """The highest 4x oversampled sample magnitude of the decoded file, in dBTP."""
    return _decoded_peak(["-i", str(path)], None, path.name, channels, sample_rate)


def true_peak_of_stream(
    encoded: IO[bytes], container: str, channels: int, sample_rate: int, name: str
) -> float:
    """The same for a file as it is being encoded, read from `encoded` (which is closed here).

    Decoding and oversampling run beside the encoder instead of after it.
    """
    raw = ["-ar", str(sample_rate), "-ac", str(channels)] if container == "s16le" else []
    source = ["-f", container, *raw, "-i", "pipe:0"]
    with encoded:
        return _decoded_peak(source, encoded, name, channels, sample_rate)


def _decoded_peak(
    source: list[str], stdin: IO[bytes] | None, name: str, channels: int, sample_rate: int
) -> float:
    import soxr

    command = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", *source,
        "-f", "f32le", "-ac", str(channels), "-ar", str(sample_rate), "pipe:1",
    ]  # fmt: skip
    stream = soxr.ResampleStream(sample_rate, sample_rate * OVERSAMPLING, channels, "float32")
    peak = 0.0
    frame_bytes = 4 * channels
    with subprocess.Popen(
        command, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        if stdin is not None:
            stdin.close()  # the decoder holds the pipe now: the encoder sees it end
        assert process.stdout is not None
        pending = b""
        while chunk := process.stdout.read(BLOCK_FRAMES * frame_bytes):
            chunk = pending + chunk
            usable = len(chunk) - len(chunk) % frame_bytes
            pending = chunk[usable:]
            block = np.frombuffer(chunk[:usable], dtype="<f4").reshape(-1, channels)
            peak = max(peak, float(np.max(np.abs(block), initial=0.0)))
            upsampled = stream.resample_chunk(block)
            peak = max(peak, float(np.max(np.abs(upsampled), initial=0.0)))
        tail = stream.resample_chunk(np.zeros((0, channels), np.float32), last=True)
        peak = max(peak, float(np.max(np.abs(tail), initial=0.0)))
        errors = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
    if process.returncode != 0:
        last = errors.strip().splitlines()[-1:] or [f"exit status {process.returncode}"]
        raise VoiceroutineError(f"ffmpeg could not decode {name} to check it: {last[0]}")
    return 20 * math.log10(peak) if peak > 0 else -math.inf
