"""A content-addressed, on-disk cache of trimmed speech clips, safe to share between builds."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voiceroutine.tts.base import RawClip

CACHE_DIR_ENV = "VOICEROUTINE_CACHE_DIR"
CACHE_FORMAT = 1
"""Bump when the way clips are processed before caching changes."""


def default_cache_dir() -> Path:
    """$VOICEROUTINE_CACHE_DIR, else the platform's user cache directory."""
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override)
    from platformdirs import user_cache_path

    return user_cache_path("voiceroutine") / "clips"


@dataclass(frozen=True)
class ClipCache:
    """Clips stored as 16-bit mono WAV files named by the hash of what made them."""

    folder: Path

    @staticmethod
    def key(identity: dict[str, str], text: str) -> str:
        """The cache key: every input that changes the sound, and nothing about paths."""
        material = json.dumps(
            {"format": CACHE_FORMAT, **identity, "text": text}, sort_keys=True, ensure_ascii=False
        )
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.wav"

    def get(self, key: str) -> RawClip | None:
        """The cached clip, or None when absent or unreadable (it is then made again)."""
        try:
            with wave.open(str(self.path(key)), "rb") as file:
                if file.getnchannels() != 1 or file.getsampwidth() != 2:
                    return None
                frames = file.readframes(file.getnframes())
                rate = file.getframerate()
                expected = file.getnframes() * 2
        except (OSError, EOFError, wave.Error):
            return None
        if len(frames) != expected or not frames:
            return None
        samples = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
        return RawClip(samples, rate)

    def put(self, key: str, clip: RawClip) -> None:
        """Store a clip atomically: a reader sees the whole file or none of it."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        pcm = np.clip(np.round(clip.samples * 32767.0), -32768, 32767).astype("<i2")
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".partial")
        try:
            with os.fdopen(handle, "wb") as raw, wave.open(raw, "wb") as file:
                file.setnchannels(1)
                file.setsampwidth(2)
                file.setframerate(clip.sample_rate)
                file.writeframes(pcm.tobytes())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
