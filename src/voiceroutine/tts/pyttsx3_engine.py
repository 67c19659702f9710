"""The pyttsx3 engine: bundled eSpeak NG on Linux, SAPI5 or NSSpeech elsewhere."""

from __future__ import annotations

import contextlib
import ctypes
import difflib
import io
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from voiceroutine.errors import VoiceroutineError
from voiceroutine.tts.base import DEFAULT_RATE_WPM, RawClip, VoiceInfo, VoiceSettings


def _load_bundled_espeak() -> str:
    """Make pyttsx3 find the eSpeak NG library and data shipped in the espeakng-loader wheel.

    pyttsx3 opens `libespeak-ng.so.1` by name; loading the bundled copy first
    (globally) makes that name resolve to it. Returns the library's version.
    """
    try:
        import espeakng_loader
    except ImportError:
        return "system"
    library = ctypes.CDLL(espeakng_loader.get_library_path(), mode=ctypes.RTLD_GLOBAL)
    os.environ.setdefault("ESPEAK_DATA_PATH", espeakng_loader.get_data_path())
    library.espeak_Info.restype = ctypes.c_char_p
    version = library.espeak_Info(None)
    return version.decode() if version else "unknown"


class Pyttsx3Engine:
    """Speech through pyttsx3, one phrase per run (several queued saves write only the last)."""

    name = "pyttsx3"

    def __init__(self) -> None:
        self._backend_version = _load_bundled_espeak() if sys.platform.startswith("linux") else ""
        import pyttsx3

        with contextlib.redirect_stdout(io.StringIO()):
            try:
                self._engine: Any = pyttsx3.init()
            except Exception as error:  # pyttsx3 raises bare Exceptions from its drivers
                raise VoiceroutineError(
                    f"cannot start the pyttsx3 speech engine: {error}"
                ) from None
        self._voices = [
            VoiceInfo(
                id=str(voice.id),
                name=str(voice.name),
                languages=tuple(_language_tag(language) for language in voice.languages or ()),
                gender=voice.gender,
            )
            for voice in self._engine.getProperty("voices")
        ]

    def voices(self) -> list[VoiceInfo]:
        return list(self._voices)

    def identity(self, voice: VoiceSettings) -> dict[str, str]:
        return {
            "engine": self.name,
            "backend": self._backend_version,
            "voice": self._resolve(voice).id,
            "rate": str(voice.rate or DEFAULT_RATE_WPM),
        }

    def synthesize(self, text: str, voice: VoiceSettings) -> RawClip:
        chosen = self._resolve(voice)
        with tempfile.TemporaryDirectory(prefix="voiceroutine-") as folder:
            target = Path(folder) / "clip.wav"
            with contextlib.redirect_stdout(io.StringIO()):
                self._engine.setProperty("voice", chosen.id)
                self._engine.setProperty("rate", voice.rate or DEFAULT_RATE_WPM)
                self._engine.setProperty("volume", 1.0)
                self._engine.save_to_file(text, str(target))
                self._engine.runAndWait()
            if not target.exists() or target.stat().st_size <= 44:
                raise VoiceroutineError(f"the speech engine wrote no audio for {text!r}")
            return _read_clip(target)

    def _resolve(self, voice: VoiceSettings) -> VoiceInfo:
        """The engine voice for a name (id, display name or language tag), or for the language."""
        if voice.name:
            wanted = voice.name.lower()
            for candidate in self._voices:
                ids = {
                    candidate.id.lower(),
                    candidate.name.lower(),
                    candidate.id.lower().split("/")[-1],
                }
                if wanted in ids:
                    return candidate
            names = sorted(
                {v.id.split("/")[-1] for v in self._voices} | {v.name for v in self._voices}
            )
            close = difflib.get_close_matches(voice.name, names, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise VoiceroutineError(
                f"no {self.name} voice named '{voice.name}'{hint} "
                "(run 'voiceroutine voices' to list them)"
            )
        language = voice.language.lower().replace("_", "-")
        for test in (
            lambda tags: language in tags,
            lambda tags: any(tag.split("-")[0] == language.split("-")[0] for tag in tags),
        ):
            for candidate in self._voices:
                if test(candidate.languages):
                    return candidate
        if language == "en" and self._voices:
            return self._voices[0]
        raise VoiceroutineError(f"no {self.name} voice speaks language '{voice.language}'")


def _language_tag(raw: object) -> str:
    text = raw.decode("utf-8", "ignore") if isinstance(raw, bytes) else str(raw)
    return text.strip("\x00").strip().lower().replace("_", "-")


def _read_clip(path: Path) -> RawClip:
    """Decode what the platform's engine wrote (WAV from eSpeak and SAPI5, AIFF from NSSpeech)."""
    import numpy as np

    from voiceroutine.audio.ffmpeg import audio_segment_class

    segment = audio_segment_class().from_file(str(path)).set_channels(1)
    samples = np.array(segment.get_array_of_samples(), dtype=np.float32)
    full_scale = float(1 << (8 * segment.sample_width - 1))
    return RawClip(samples / full_scale, segment.frame_rate)
