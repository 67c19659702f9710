"""Fit the speech-length estimate to each installed engine: print its coefficients.

Every distinct line of the bundled routines is spoken (and trimmed, as a
build trims it) at several rates; a least-squares fit of

    ms = per_character * characters * (150 / rate) ** exponent
         + sentence * sentence_breaks + comma * comma_breaks + base

(the exponent is searched; for each, the rest is a linear fit)

gives the coefficients that tts/estimate.py keeps per engine. It prints them
with the error of the old and the new estimate over whole routines.

    python scripts/calibrate_estimate.py [ENGINE ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from voiceroutine import api
from voiceroutine.audio.clip import trim_silence
from voiceroutine.tts.base import DEFAULT_RATE_WPM
from voiceroutine.tts.estimate import ESTIMATES, SpeechEstimate, features
from voiceroutine.tts.registry import create_engine

ROUTINES = sorted((Path(__file__).resolve().parent.parent / "routines").glob("*.yaml"))
RATES = (120, 150, 190)


def spoken_lengths(engine_name: str) -> list[tuple[str, int, int]]:
    """(text, rate, trimmed ms) of every distinct line of the bundled routines at each rate."""
    engine = create_engine(engine_name)
    texts: dict[str, None] = {}
    voice = None
    for routine in ROUTINES:
        compiled = api.compile_file(routine)
        voice = compiled.voice
        texts.update(dict.fromkeys(compiled.plan.texts()))
    assert voice is not None
    measured = []
    for rate in RATES:
        at_rate = type(voice)(**{**voice.__dict__, "rate": rate})
        for text in texts:
            clip = trim_silence(engine.synthesize(text, at_rate), text)
            measured.append((text, rate, round(len(clip.samples) * 1000 / clip.sample_rate)))
    return measured


def fit(measured: list[tuple[str, int, int]]) -> SpeechEstimate:
    """The estimate with the least squared error over every measured line."""
    target = np.array([ms for _, _, ms in measured], dtype=float)
    best: tuple[float, SpeechEstimate] | None = None
    for exponent in np.arange(0.5, 1.21, 0.01):
        rows = []
        for text, rate, _ in measured:
            characters, sentences, commas = features(text)
            rows.append([characters * (DEFAULT_RATE_WPM / rate) ** exponent, sentences, commas, 1])
        solution, *_ = np.linalg.lstsq(np.array(rows, dtype=float), target, rcond=None)
        error = float(np.sum((np.array(rows, dtype=float) @ solution - target) ** 2))
        estimate = SpeechEstimate(*(round(float(v), 2) for v in solution), round(exponent, 2))
        if best is None or error < best[0]:
            best = (error, estimate)
    assert best is not None
    return best[1]


def main(engines: list[str]) -> None:
    for name in engines:
        measured = spoken_lengths(name)
        fitted = fit(measured)
        print(f"{name}: {fitted}")
        for label, estimate in (("in use", ESTIMATES.get(name)), ("fitted", fitted)):
            if estimate is None:
                continue
            for rate in RATES:
                total = sum(ms for _, r, ms in measured if r == rate)
                guessed = sum(estimate.clip_ms(text, rate) for text, r, _ in measured if r == rate)
                error = (guessed / total - 1) * 100
                print(f"  {label}, {rate} wpm: all lines {total / 1000:.1f} s, "
                      f"estimated {guessed / 1000:.1f} s ({error:+.1f} %)")  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:] or ["pyttsx3"])
