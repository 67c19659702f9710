"""Mix a Timeline into 16-bit PCM, block by block, so memory never grows with the session."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import numpy as np

from voiceroutine.timeline import Timeline

BLOCK_SAMPLES = 1 << 16


def ms_to_samples(ms: int, sample_rate: int) -> int:
    """The sample at which millisecond `ms` begins."""
    return round(ms * sample_rate / 1000)


def render_pcm(
    timeline: Timeline,
    clips: Mapping[str, np.ndarray],
    gain: float,
    block_samples: int = BLOCK_SAMPLES,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[bytes]:
    """Yield the session as little-endian 16-bit mono PCM, one block at a time."""
    rate = timeline.sample_rate
    total = ms_to_samples(timeline.duration_ms, rate)
    placed = [
        (ms_to_samples(cue.start_ms, rate), clips[cue.text])
        for cue in timeline.cues
        if cue.text is not None
    ]
    placed.sort(key=lambda item: item[0])
    first_live = 0
    block = np.zeros(block_samples, dtype=np.float32)
    for block_start in range(0, total, block_samples):
        block_end = min(block_start + block_samples, total)
        mix = block[: block_end - block_start]
        mix.fill(0.0)
        while (
            first_live < len(placed)
            and placed[first_live][0] + len(placed[first_live][1]) <= block_start
        ):
            first_live += 1
        for start, samples in placed[first_live:]:
            if start >= block_end:
                break
            lo = max(start, block_start)
            hi = min(start + len(samples), block_end)
            if hi > lo:
                mix[lo - block_start : hi - block_start] += samples[lo - start : hi - start]
        mix *= gain
        np.clip(mix, -1.0, 1.0, out=mix)
        yield (mix * 32767.0).round().astype("<i2").tobytes()
        if progress:
            progress(block_end, total)
