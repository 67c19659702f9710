"""The pyttsx3 engine: bundled eSpeak NG on Linux, SAPI5 or NSSpeech elsewhere.

On Linux, pyttsx3 2.99's eSpeak driver runs eSpeak in its asynchronous mode
and reads the audio from another thread: measured here, the rate set for one
phrase was often applied to the next, and clips of the same phrase differed in
length from run to run. So on Linux this engine drives eSpeak NG through
pyttsx3's own ctypes bindings in eSpeak's *synchronous* mode, which returns
each phrase's samples completely and in order. Elsewhere it uses pyttsx3's
platform driver, one phrase per run, and checks that every clip was written.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import os
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from voiceroutine.errors import VoiceroutineError
from voiceroutine.interrupts import signals_held
from voiceroutine.languages import normalized_tag, primary_language
from voiceroutine.suggest import did_you_mean
from voiceroutine.tts.base import RawClip, VoiceInfo, VoiceSettings
from voiceroutine.tts.presets import effective_rate, preset_of, soften


class _Backend(Protocol):
    version: str

    def voices(self) -> list[VoiceInfo]: ...

    def speak(self, text: str, voice_id: str, rate: int) -> RawClip: ...


class Pyttsx3Engine:
    """The platform's own speech engine, through pyttsx3."""

    name = "pyttsx3"

    def __init__(self) -> None:
        self._backend: _Backend = (
            _espeak_backend() if sys.platform.startswith("linux") else _DriverBackend()
        )
        self._voices = self._backend.voices()

    def voices(self) -> list[VoiceInfo]:
        return list(self._voices)

    def identity(self, voice: VoiceSettings) -> dict[str, str]:
        identity = {
            "engine": self.name,
            "backend": self._backend.version,
            "voice": self._resolve(voice).id,
            "rate": str(effective_rate(voice)),
        }
        if voice.preset:
            identity["preset"] = voice.preset
        return identity

    def voice_id(self, voice: VoiceSettings) -> str:
        return self._resolve(voice).id

    def synthesize(self, text: str, voice: VoiceSettings) -> RawClip:
        clip = self._backend.speak(text, self._resolve(voice).id, effective_rate(voice))
        treble_db = preset_of(voice).treble_db
        return RawClip(soften(clip.samples, clip.sample_rate, treble_db), clip.sample_rate)

    def _resolve(self, voice: VoiceSettings) -> VoiceInfo:
        """The engine voice for a name (id, display name or language tag), or for the language."""
        if voice.speaker not in (None, 0):
            raise VoiceroutineError(
                f"{self.name} voices have one speaker each; leave out speaker ({voice.speaker!r})"
            )
        if voice.name:
            wanted = voice.name.lower()
            for candidate in self._voices:
                names = {candidate.id.lower(), candidate.name.lower(), _short_id(candidate)}
                if wanted in names:
                    return candidate
            known = sorted({_short_id(v) for v in self._voices} | {v.name for v in self._voices})
            hint = did_you_mean(voice.name, known, most=3)
            raise VoiceroutineError(
                f"no {self.name} voice named '{voice.name}'{hint}; 'voiceroutine voices' lists them"
            )
        language = normalized_tag(voice.language)
        base = primary_language(language)
        preferred = (voice.preferred or "").lower()
        preferences = (
            lambda v: v.id.lower() == preferred,
            lambda v: language in v.languages,
            lambda v: _short_id(v) == language,
            lambda v: any(primary_language(tag) == base for tag in v.languages),
        )
        for matches in preferences:
            for candidate in self._voices:
                if matches(candidate):
                    return candidate
        raise VoiceroutineError(
            f"no {self.name} voice speaks language '{voice.language}' "
            "(run 'voiceroutine voices' to list them)"
        )


def _short_id(voice: VoiceInfo) -> str:
    return voice.id.lower().rsplit("/", 1)[-1]


def _load_bundled_espeak() -> str:
    """Make `libespeak-ng.so.1` resolve to the espeakng-loader wheel's copy; return its version.

    pyttsx3 opens the library by that name; a library already loaded with that
    soname is the one the loader returns. It is loaded locally, not globally:
    Piper's phonemizer carries its own eSpeak NG, and a global copy would take
    the place of its functions and crash it when both engines share a process.
    """
    try:
        import espeakng_loader
    except ImportError:  # fall back to a system-wide eSpeak NG
        return "system"
    library = ctypes.CDLL(espeakng_loader.get_library_path(), mode=ctypes.RTLD_LOCAL)
    os.environ.setdefault("ESPEAK_DATA_PATH", espeakng_loader.get_data_path())
    library.espeak_Info.restype = ctypes.c_char_p
    version = library.espeak_Info(None)
    return f"espeak-ng {version.decode() if version else 'unknown'}"


@cache
def _espeak_backend() -> _EspeakBackend:
    """The process's one eSpeak NG instance: the C library can only be initialised once."""
    return _EspeakBackend()


class _EspeakBackend:
    """eSpeak NG in synchronous mode, through the ctypes bindings that ship with pyttsx3."""

    def __init__(self) -> None:
        self.version = _load_bundled_espeak()
        try:
            from pyttsx3.drivers import _espeak
        except (OSError, RuntimeError) as error:
            raise VoiceroutineError(f"cannot load eSpeak NG: {error}") from None
        self._espeak: Any = _espeak
        rate = _espeak.Initialize(_espeak.AUDIO_OUTPUT_SYNCHRONOUS, 0, None, 0)
        if rate <= 0:
            raise VoiceroutineError("cannot start eSpeak NG (is its data folder missing?)")
        self.sample_rate = rate

    def voices(self) -> list[VoiceInfo]:
        return [
            VoiceInfo(
                id=voice.identifier.decode("utf-8"),
                name=voice.name.decode("utf-8"),
                languages=(_language_tag(voice.languages[1:]),) if voice.languages else (),
                gender=(None, "male", "female")[voice.gender] if voice.gender < 3 else None,
            )
            for voice in self._espeak.ListVoices(None)
        ]

    def speak(self, text: str, voice_id: str, rate: int) -> RawClip:
        import numpy as np

        espeak = self._espeak
        if espeak.SetVoiceByName(voice_id.encode("utf-8")) != espeak.EE_OK:
            raise VoiceroutineError(f"eSpeak NG cannot load the voice '{voice_id}'")
        espeak.SetParameter(espeak.RATE, rate, 0)
        espeak.SetParameter(espeak.VOLUME, 100, 0)
        chunks: list[bytes] = []

        def collect(wav: Any, sample_count: int, events: Any) -> int:
            if sample_count > 0:
                chunks.append(ctypes.string_at(wav, sample_count * 2))
            return 0

        espeak.SetSynthCallback(collect)  # pyttsx3's bindings keep the callback alive
        # The callback is Python run from inside eSpeak: an interrupt raised there would be
        # printed and lost, so it waits until the line is spoken.
        with signals_held():
            # CHARS_UTF8 without the SSML or PHONEMES flags: the text is read as plain text.
            if espeak.Synth(text, flags=espeak.CHARS_UTF8) != espeak.EE_OK:
                raise VoiceroutineError(f"eSpeak NG could not speak {text!r}")
            espeak.Synchronize()
        pcm = b"".join(chunks)
        if not pcm:
            raise VoiceroutineError(f"eSpeak NG produced no audio for {text!r}")
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        return RawClip(samples, self.sample_rate)


class _DriverBackend:
    """pyttsx3's platform driver (SAPI5 on Windows, NSSpeech on macOS), one phrase per run."""

    def __init__(self) -> None:
        import pyttsx3

        with contextlib.redirect_stdout(io.StringIO()):
            try:
                self._engine: Any = pyttsx3.init()
            except Exception as error:  # pyttsx3's drivers raise bare Exceptions
                raise VoiceroutineError(
                    f"cannot start the pyttsx3 speech engine: {error}"
                ) from None
        self.version = f"pyttsx3 {getattr(pyttsx3, '__version__', '')}".strip()

    def voices(self) -> list[VoiceInfo]:
        return [
            VoiceInfo(
                id=str(voice.id),
                name=str(voice.name),
                languages=tuple(_language_tag(tag) for tag in voice.languages or ()),
                gender=voice.gender,
            )
            for voice in self._engine.getProperty("voices")
        ]

    def speak(self, text: str, voice_id: str, rate: int) -> RawClip:
        with tempfile.TemporaryDirectory(prefix="voiceroutine-") as folder:
            target = Path(folder) / "clip.wav"
            # pyttsx3 prints "Audio saved to ..."; keep it out of our output.
            with contextlib.redirect_stdout(io.StringIO()):
                self._engine.setProperty("voice", voice_id)
                self._engine.setProperty("rate", rate)
                self._engine.setProperty("volume", 1.0)
                self._engine.save_to_file(text, str(target))
                self._engine.runAndWait()
            if not target.exists() or target.stat().st_size <= 44:
                raise VoiceroutineError(f"the speech engine wrote no audio for {text!r}")
            return _read_clip(target)


def _language_tag(raw: object) -> str:
    text = raw.decode("utf-8", "ignore") if isinstance(raw, bytes) else str(raw)
    return normalized_tag(text.strip("\x00"))


def _read_clip(path: Path) -> RawClip:
    """Decode what the platform's engine wrote (WAV from SAPI5, AIFF from NSSpeech)."""
    import numpy as np

    from voiceroutine.audio.ffmpeg import audio_segment_class

    segment = audio_segment_class().from_file(str(path)).set_channels(1)
    samples = np.array(segment.get_array_of_samples(), dtype=np.float32)
    full_scale = float(1 << (8 * segment.sample_width - 1))
    return RawClip(samples / full_scale, segment.frame_rate)
