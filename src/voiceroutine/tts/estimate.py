"""Guess how long a line takes to say or a sound lasts, for `check` and `plan` without audio."""

from __future__ import annotations

import re

from voiceroutine.plan import Sound
from voiceroutine.tts.base import DEFAULT_RATE_WPM

MS_PER_CHARACTER_AT_DEFAULT_RATE = 55.0
"""Measured on eSpeak NG at 150 words per minute (letters and spaces)."""
BASE_MS = 100
_INNER_PAUSES = ((re.compile(r"[.!?;:]\s+\S"), 450), (re.compile(r",\s+\S"), 250))
_SPOKEN = re.compile(r"[\w ]")


def estimate_clip_ms(text: str, rate_wpm: int | None = None) -> int:
    """Roughly how long `text` lasts when spoken at `rate_wpm` words per minute."""
    rate = rate_wpm or DEFAULT_RATE_WPM
    characters = len(_SPOKEN.findall(text.strip()))
    speaking = characters * MS_PER_CHARACTER_AT_DEFAULT_RATE * DEFAULT_RATE_WPM / rate
    pauses = sum(len(pattern.findall(text)) * ms for pattern, ms in _INNER_PAUSES)
    return round(speaking + pauses + BASE_MS)


NOMINAL_SOUND_MS = {"bell": 3500, "chime": 1200, "tick": 50}
"""Roughly how long the built-in sounds last (audio/sounds.py makes the real ones)."""
UNKNOWN_FILE_MS = 2000


def estimate_sound_ms(sound: Sound) -> int:
    """Roughly how long `sound` lasts: exact for tones, nominal for the rest."""
    if sound.length_ms is not None:
        return sound.length_ms
    return NOMINAL_SOUND_MS.get(sound.name, UNKNOWN_FILE_MS)
