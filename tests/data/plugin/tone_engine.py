"""A third-party speech engine for the plugin tests: each line is a beep as long as its text."""

from __future__ import annotations

import numpy as np

from voiceroutine.tts.base import RawClip, VoiceInfo, VoiceSettings

SAMPLE_RATE = 16_000
MS_PER_CHARACTER = 30


class ToneEngine:
    """Speaks every line as a 440 Hz tone, 30 ms per character."""

    name = "tone"

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo("beep", "Beep", ("en",))]

    def identity(self, voice: VoiceSettings) -> dict[str, str]:
        return {"engine": self.name, "voice": "beep"}

    def synthesize(self, text: str, voice: VoiceSettings) -> RawClip:
        count = SAMPLE_RATE * MS_PER_CHARACTER * len(text) // 1000
        tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(count) / SAMPLE_RATE)
        return RawClip(tone.astype(np.float32), SAMPLE_RATE)
