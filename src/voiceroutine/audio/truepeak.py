"""Measure the true peak (ITU-R BS.1770, 4x oversampled) of an encoded file, as players decode it.

Lossy encoders add peaks of their own, so the limit is checked on the
decoded file. The file is decoded by ffmpeg and oversampled in blocks, so
memory stays flat whatever the length.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np

from voiceroutine.audio.ffmpeg import ffmpeg_exe
from voiceroutine.errors import VoiceroutineError

OVERSAMPLING = 4
BLOCK_FRAMES = 1 << 17


def true_peak_dbtp(path: Path, channels: int, sample_rate: int) -> float:
    """The highest 4x oversampled sample magnitude of the decoded file, in dBTP."""
    import soxr

    command = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
        "-f", "f32le", "-ac", str(channels), "-ar", str(sample_rate), "pipe:1",
    ]  # fmt: skip
    stream = soxr.ResampleStream(sample_rate, sample_rate * OVERSAMPLING, channels, "float32")
    peak = 0.0
    frame_bytes = 4 * channels
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None
        while chunk := process.stdout.read(BLOCK_FRAMES * frame_bytes):
            usable = len(chunk) - len(chunk) % frame_bytes
            block = np.frombuffer(chunk[:usable], dtype="<f4").reshape(-1, channels)
            peak = max(peak, float(np.max(np.abs(block), initial=0.0)))
            upsampled = stream.resample_chunk(block)
            peak = max(peak, float(np.max(np.abs(upsampled), initial=0.0)))
        tail = stream.resample_chunk(np.zeros((0, channels), np.float32), last=True)
        peak = max(peak, float(np.max(np.abs(tail), initial=0.0)))
        errors = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
    if process.returncode != 0:
        last = errors.strip().splitlines()[-1:] or [f"exit status {process.returncode}"]
        raise VoiceroutineError(f"ffmpeg could not decode {path.name} to check it: {last[0]}")
    return 20 * math.log10(peak) if peak > 0 else -math.inf
