"""A content-addressed, on-disk cache of trimmed speech clips, safe to share between builds.

Each clip is a 16-bit mono WAV file with a chunk of its own after the
samples holding their SHA-256, so a file that was truncated or damaged on
disk is noticed and the line spoken again instead of a clip being garbled.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voiceroutine.interrupts import signals_held
from voiceroutine.tts.base import RawClip

CACHE_DIR_ENV = "VOICEROUTINE_CACHE_DIR"
CACHE_FORMAT = 2
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
        """The cached clip, or None when absent, unreadable or damaged (it is then made again)."""
        path = self.path(key)
        try:
            with wave.open(str(path), "rb") as file:
                if file.getnchannels() != 1 or file.getsampwidth() != 2:
                    return None
                frames = file.readframes(file.getnframes())
                rate = file.getframerate()
                expected = file.getnframes() * 2
            with path.open("rb") as raw:
                raw.seek(-CHECKSUM_CHUNK_BYTES, os.SEEK_END)
                trailer = raw.read()
        except (OSError, EOFError, wave.Error):
            return None
        if len(frames) != expected or not frames or trailer != _checksum_chunk(frames):
            return None
        samples = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
        return RawClip(samples, rate)

    def put(self, key: str, clip: RawClip) -> None:
        """Store a clip atomically: a reader sees the whole file or none of it."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        pcm = np.clip(np.round(clip.samples * 32767.0), -32768, 32767).astype("<i2")
        temporary: str | None = None
        try:
            with signals_held():  # made and noted at once: an interrupt cannot come between
                handle, temporary = tempfile.mkstemp(
                    dir=target.parent, prefix=".", suffix=".partial"
                )
            with os.fdopen(handle, "wb") as raw, wave.open(raw, "wb") as file:
                file.setnchannels(1)
                file.setsampwidth(2)
                file.setframerate(clip.sample_rate)
                file.writeframes(pcm.tobytes())
            _append_checksum(Path(temporary), pcm.tobytes())
            os.replace(temporary, target)
        except BaseException:
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)
            raise


CHECKSUM_CHUNK_ID = b"vrck"
CHECKSUM_CHUNK_BYTES = 8 + 32
"""A RIFF chunk: its id, its size (32), then the SHA-256 of the samples."""


def _checksum_chunk(pcm: bytes) -> bytes:
    return CHECKSUM_CHUNK_ID + struct.pack("<I", 32) + hashlib.sha256(pcm).digest()


def _append_checksum(path: Path, pcm: bytes) -> None:
    """Add the checksum chunk after the samples and count it in the RIFF header's size.

    The samples are an even number of bytes, so the chunk needs no padding;
    WAV readers skip chunks they do not know.
    """
    with path.open("r+b") as file:
        file.seek(0, os.SEEK_END)
        file.write(_checksum_chunk(pcm))
        size = file.tell()
        file.seek(4)
        file.write(struct.pack("<I", size - 8))
