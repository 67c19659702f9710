"""A fake speech engine: a tone whose length depends on the text, for exact and fast tests."""

from __future__ import annotations

import numpy as np

from voiceroutine.tts.base import RawClip, VoiceInfo, VoiceSettings

FAKE_RATE = 22_050
MS_PER_CHARACTER = 40
PADDING_MS = 30
"""Silence the fake engine puts around each clip, as real engines do; trimming removes it."""


def fake_clip_ms(text: str) -> int:
    return MS_PER_CHARACTER * len(text) + 100


class ToneEngine:
    """Speaks every text as a 330 Hz tone of fake_clip_ms(text), padded with silence."""

    name = "fake"

    def __init__(self) -> None:
        self.spoken: list[str] = []

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo("tone", "Tone", ("en",))]

    def identity(self, voice: VoiceSettings) -> dict[str, str]:
        return {"engine": self.name, "voice": "tone", "rate": str(voice.rate)}

    def voice_id(self, voice: VoiceSettings) -> str:
        return "tone"

    def synthesize(self, text: str, voice: VoiceSettings) -> RawClip:
        self.spoken.append(text)
        count = FAKE_RATE * fake_clip_ms(text) // 1000
        t = np.arange(count) / FAKE_RATE
        tone = 0.5 * np.sin(2 * np.pi * 330 * t).astype(np.float32)
        tone[0] = 0.5  # a sharp onset, so the clip starts exactly at its first sample
        pad = np.zeros(FAKE_RATE * PADDING_MS // 1000, dtype=np.float32)
        return RawClip(np.concatenate([pad, tone, pad]), FAKE_RATE)
