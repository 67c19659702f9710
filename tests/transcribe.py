"""Hear built audio with an offline recognizer (pocketsphinx and its en-US model) and score it.

Two language models: pocketsphinx's general English one, and one built from
everything the package can say in English (the phrasebook and the
catalogue), as a recognizer adapted to the domain would be. The second
guesses words a listener to these sessions expects; it cannot make an
unclear voice clear, but it forgives short lines said with no context.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from audio_tools import decode

LIBRARY = Path(__file__).resolve().parent.parent / "src" / "voiceroutine" / "library"
ENGLISH_TEXT = ("phrases/en.yaml", "exercises.yaml", "breathing.yaml")

RECOGNIZER_RATE = 16_000
MARGIN_MS = 300
"""Audio kept around each line: the recognizer needs some silence at both ends."""
NUMBERS = (
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    *("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"),
    *("eighteen", "nineteen", "twenty"),
)
CONTRACTIONS = {"'re": " are", "'ll": " will", "'ve": " have", "n't": " not", "'m": " am"}


def words(text: str) -> list[str]:
    """Lower-case words as a listener hears them: digits spelt out, contractions expanded."""
    text = text.lower().replace("-", " ")
    for short, long in CONTRACTIONS.items():
        text = text.replace(short, long)
    spelt = re.sub(r"\d+", lambda m: _number(int(m.group())), text)
    return re.findall(r"[a-z']+", spelt)


def _number(n: int) -> str:
    return NUMBERS[n] if n < len(NUMBERS) else str(n)


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


def domain_language_model(folder: Path) -> Path:
    """An ARPA trigram model of every English sentence in the package's library."""
    from pocketsphinx.lm import ArpaBoLM

    sentences = []
    for name in ENGLISH_TEXT:
        for text in _strings(yaml.safe_load((LIBRARY / name).read_text(encoding="utf-8"))):
            for sentence in re.split(r"(?<=[.!?:])\s+", text):
                if spoken := words(sentence):
                    sentences.append(" ".join(spoken))
    model = ArpaBoLM(text="\n".join(sentences), add_start=True, case="lower")
    model.compute()
    target = folder / "domain.arpa"
    model.write_file(str(target))
    return target


def _strings(data: Any) -> Iterable[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)


def transcribe_cues(audio: Path, cues: Iterable[dict], language_model: Path | None = None) -> Heard:
    """Recognize each distinct spoken line of a timeline, cut from the decoded audio file."""
    from pocketsphinx import Decoder

    samples = decode(audio, RECOGNIZER_RATE)
    options = {"lm": str(language_model)} if language_model else {}
    recognizer = Decoder(samprate=RECOGNIZER_RATE, loglevel="FATAL", **options)
    per_ms = RECOGNIZER_RATE / 1000
    lines: dict[str, str] = {}
    for cue in cues:
        if cue["kind"] != "speech" or cue["text"] in lines:
            continue
        lo = max(0, round((cue["start_ms"] - MARGIN_MS) * per_ms))
        hi = round((cue["end_ms"] + MARGIN_MS) * per_ms)
        pcm = (np.clip(samples[lo:hi], -1.0, 1.0) * 32767).astype("<i2").tobytes()
        recognizer.start_utt()
        recognizer.process_raw(pcm, full_utt=True)
        recognizer.end_utt()
        hypothesis = recognizer.hyp()
        lines[cue["text"]] = hypothesis.hypstr if hypothesis else ""
    return Heard(list(lines.items()))
