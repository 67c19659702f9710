"""Guess how long a line takes to say, for `check` and `plan` without running an engine."""

from __future__ import annotations

import re

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
