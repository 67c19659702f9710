"""Mix a Timeline into 16-bit PCM, block by block, so memory never grows with the session.

Speech, tones and sounds are mono and go to every channel; a music bed, when
there is one, sets the channel count and is mixed in under them. Where
sources overlap (a tone under a line, a bell over the music), a look-ahead
limiter keeps the sum under the ceiling the encoder needs.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

import numpy as np

from voiceroutine.audio.dynamics import limiter_gain, limiter_margin
from voiceroutine.plan import Sound
from voiceroutine.timeline import Timeline

if TYPE_CHECKING:
    from voiceroutine.audio.bed import MusicBed

BLOCK_SAMPLES = 1 << 16


def ms_to_samples(ms: int, sample_rate: int) -> int:
    """The sample at which millisecond `ms` begins."""
    return round(ms * sample_rate / 1000)


class SessionMix:
    """The session's sources placed at exact samples, rendered on demand in blocks."""

    def __init__(
        self,
        timeline: Timeline,
        speech: Mapping[str, np.ndarray],
        sounds: Mapping[Sound, np.ndarray],
        bed: MusicBed | None = None,
        block_samples: int = BLOCK_SAMPLES,
    ) -> None:
        self.sample_rate = timeline.sample_rate
        self.total_samples = ms_to_samples(timeline.duration_ms, self.sample_rate)
        self.channels = bed.channels if bed is not None else 1
        self.bed = bed
        self.block_samples = block_samples
        placed = []
        for cue in timeline.cues:
            samples = speech[cue.text] if cue.text is not None else sounds[cue.sound]
            placed.append((ms_to_samples(cue.start_ms, self.sample_rate), samples))
        placed.sort(key=lambda item: item[0])
        self._starts = [start for start, _ in placed]
        self._sources = [samples for _, samples in placed]
        self._longest = max((len(samples) for samples in self._sources), default=0)
        self.peak = 0.0
        """The largest sample magnitude pcm_blocks or sample_peak rendered so far, before gain,
        limiting and clipping."""
        self._peak_lock = threading.Lock()  # parts of a session may be rendered at once

    def pcm_blocks(
        self,
        gain: float = 1.0,
        progress: Callable[[int, int], None] | None = None,
        ceiling: float | None = None,
        start: int = 0,
        stop: int | None = None,
    ) -> Iterator[bytes]:
        """Yield samples [start, stop) of the session as little-endian 16-bit PCM (interleaved).

        With a `ceiling` (after gain, as a sample magnitude), peaks above it are
        limited; the limiter looks only a margin around each block, so a range
        renders as it does within the whole session (to the rounding of the
        limiter's sums, which start where the blocks do). `progress` gets the
        samples done and the range's length.
        """
        stop = self.total_samples if stop is None else stop
        margin = limiter_margin(self.sample_rate) if ceiling is not None else 0
        for first in range(start, stop, self.block_samples):
            end = min(first + self.block_samples, stop)
            wide = self.render(first - margin, end + margin)
            mix = wide[margin : margin + end - first]
            self._note_peak(float(np.max(np.abs(mix), initial=0.0)))
            mix = mix * np.float32(gain)
            if ceiling is not None:
                peaks = np.max(np.abs(wide), axis=1) * gain
                limit = limiter_gain(peaks, ceiling, self.sample_rate)
                if limit is not None:
                    mix *= limit[margin : margin + end - first, np.newaxis]
            np.clip(mix, -1.0, 1.0, out=mix)
            yield (mix * 32767.0).round().astype("<i2").tobytes()
            if progress:
                progress(end - start, stop - start)

    def quiet_stretches(self) -> Iterator[tuple[int, int]]:
        """The [start, end) sample ranges where no source plays: exact silence, in order.

        A session with a music bed has none.
        """
        if self.bed is not None:
            return
        heard_until = 0
        for start, samples in zip(self._starts, self._sources, strict=True):
            if start > heard_until:
                yield heard_until, start
            heard_until = max(heard_until, start + len(samples))
        if heard_until < self.total_samples:
            yield heard_until, self.total_samples

    def _note_peak(self, peak: float) -> None:
        with self._peak_lock:
            self.peak = max(self.peak, peak)

    def frame_powers(self, frame_samples: int) -> np.ndarray:
        """The mean square of each frame of the mix at unit gain, summed over channels."""
        frames_per_block = max(1, self.block_samples // frame_samples)
        step = frames_per_block * frame_samples
        powers = []
        for start in range(0, self.total_samples, step):
            mix = self.render(start, min(start + step, self.total_samples))
            count = len(mix) // frame_samples
            if count:
                framed = mix[: count * frame_samples].reshape(count, frame_samples, -1)
                powers.append(np.mean(np.square(framed, dtype=np.float64), axis=1).sum(axis=1))
        return np.concatenate(powers) if powers else np.zeros(0)

    def sample_peak(self) -> float:
        """The largest sample magnitude of the whole mix at unit gain (renders it once)."""
        for start in range(0, self.total_samples, self.block_samples):
            mix = self.render(start, min(start + self.block_samples, self.total_samples))
            self._note_peak(float(np.max(np.abs(mix), initial=0.0)))
        return self.peak

    def render(self, lo: int, hi: int) -> np.ndarray:
        """Samples [lo, hi) of the mix at unit gain, float32 of shape (hi - lo, channels).

        Samples outside the session are silence, so blocks can be rendered with margins.
        """
        voice = np.zeros(hi - lo, dtype=np.float32)
        first = bisect.bisect_left(self._starts, lo - self._longest)
        last = bisect.bisect_left(self._starts, hi)
        for start, samples in zip(self._starts[first:last], self._sources[first:last], strict=True):
            a = max(start, lo)
            b = min(start + len(samples), hi)
            if b > a:
                voice[a - lo : b - lo] += samples[a - start : b - start]
        if self.channels == 1:
            mix = voice[:, np.newaxis]  # a view: a mono session needs no copy
        else:
            mix = voice[:, np.newaxis].repeat(self.channels, axis=1)
        if self.bed is not None:
            a, b = max(lo, 0), min(hi, self.total_samples)
            if b > a:
                mix[a - lo : b - lo] += self.bed.block(a, b - a)
        return mix
