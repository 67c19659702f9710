"""Which engine speaks a routine that names none: a natural voice for its language, else eSpeak NG.

Choosing reads only package metadata and the voices' configs, so `check`
and an up-to-date build stay quick; no speech library is imported here.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass

from voiceroutine.tts.registry import canonical_engine

NATURAL = "piper"
FALLBACK = "pyttsx3"
ENGINE_ENV = "VOICEROUTINE_ENGINE"
"""Set to an engine's name to speak every routine that names no engine with it."""


@dataclass(frozen=True)
class EngineChoice:
    """The engine a routine is spoken with, and a line for the build's output when the choice
    is worth knowing (the natural voice could not be used)."""

    engine: str
    notice: str | None = None


def choose_engine(language: str, language_name: str, voice_name: str | None = None) -> EngineChoice:
    """The engine for a routine in `language` that names no engine, only perhaps a voice.

    A named voice decides: a Piper voice (a file or an installed voice's id) is
    spoken by Piper, any other name by eSpeak NG, as it always was. Without a
    name, the language's installed Piper voice speaks if there is one.
    """
    forced = os.environ.get(ENGINE_ENV)
    if forced:
        return EngineChoice(canonical_engine(forced))
    natural = importlib.util.find_spec(NATURAL) is not None
    from voiceroutine.tts.piper_voices import voice_for_language, voice_named

    if voice_name is not None:
        piper_voice = voice_name.endswith(".onnx") or voice_named(voice_name) is not None
        return EngineChoice(NATURAL if piper_voice else FALLBACK)
    if natural and voice_for_language(language) is not None:
        return EngineChoice(NATURAL)
    reason = "no natural voice installed" if natural else "piper-tts is not installed"
    return EngineChoice(
        FALLBACK,
        f"{language_name}: {reason}, speaking with eSpeak NG; see voiceroutine voices add",
    )
