"""Guess how long a line takes to say or a sound lasts, for `check` and `plan` without audio."""

from __future__ import annotations

import re
from dataclasses import dataclass

from voiceroutine.plan import PaletteSound, Sound, Tone
from voiceroutine.tts.base import DEFAULT_RATE_WPM

_INNER_PAUSES = (re.compile(r"[.!?;:]\s+\S"), re.compile(r",\s+\S"))
_SPOKEN = re.compile(r"[\w ]")


@dataclass(frozen=True)
class SpeechEstimate:
    """How long an engine takes over a line: per letter or space at 150 words per minute
    (scaled to other rates), per break between sentences and after a comma, and once per
    line."""

    per_character_ms: float
    sentence_ms: float
    comma_ms: float
    base_ms: float
    rate_exponent: float = 1.0
    """How the letters' time follows the rate: (150 / rate) to this power."""

    def clip_ms(self, text: str, rate_wpm: int | None = None) -> int:
        """Roughly how long `text` lasts, trimmed, when spoken at `rate_wpm` words per minute."""
        rate = rate_wpm or DEFAULT_RATE_WPM
        characters, sentences, commas = features(text)
        speaking = (
            characters * self.per_character_ms * (DEFAULT_RATE_WPM / rate) ** self.rate_exponent
        )
        return round(
            speaking + sentences * self.sentence_ms + commas * self.comma_ms + self.base_ms
        )


ESTIMATES = {
    # Fitted by scripts/calibrate_estimate.py on every line of the bundled routines at 120,
    # 150 and 190 words per minute.
    "pyttsx3": SpeechEstimate(55.11, 467.2, 264.78, 231.02, 1.15),  # -0.3 to +0.9 %
    "piper": SpeechEstimate(51.19, 552.04, 359.2, 225.34, 0.85),  # -1.3 to +2.6 %
}
DEFAULT_ENGINE = "pyttsx3"


def features(text: str) -> tuple[int, int, int]:
    """What the estimate counts in a line: letters and spaces, sentence breaks, comma breaks."""
    sentences, commas = (len(pattern.findall(text)) for pattern in _INNER_PAUSES)
    return len(_SPOKEN.findall(text.strip())), sentences, commas


def estimate_clip_ms(text: str, rate_wpm: int | None = None, engine: str | None = None) -> int:
    """Roughly how long `text` lasts when spoken at `rate_wpm` words per minute by `engine`
    (an engine without a fit of its own is estimated as eSpeak NG through pyttsx3)."""
    return ESTIMATES.get(engine or DEFAULT_ENGINE, ESTIMATES[DEFAULT_ENGINE]).clip_ms(
        text, rate_wpm
    )


NOMINAL_SOUND_MS = {"bell": 3500, "chime": 1200, "tick": 50}
"""Roughly how long the built-in sounds last (audio/sounds.py makes the real ones)."""
UNKNOWN_FILE_MS = 2000


def estimate_sound_ms(sound: Sound) -> int:
    """Roughly how long `sound` lasts: exact for tones, nominal for the rest."""
    if isinstance(sound, Tone):
        return sound.length_ms
    if isinstance(sound, PaletteSound):
        return NOMINAL_SOUND_MS[sound.name]
    return UNKNOWN_FILE_MS
