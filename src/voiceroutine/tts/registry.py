"""Engines by name: the one place that knows which engines exist and how to build them."""

from __future__ import annotations

from collections.abc import Callable

from voiceroutine.errors import VoiceroutineError
from voiceroutine.tts.base import Engine

DEFAULT_ENGINE = "pyttsx3"


def _pyttsx3() -> Engine:
    from voiceroutine.tts.pyttsx3_engine import Pyttsx3Engine

    return Pyttsx3Engine()


ENGINE_FACTORIES: dict[str, Callable[[], Engine]] = {"pyttsx3": _pyttsx3}


def engine_names() -> list[str]:
    """The engines that can be asked for by name (importing none of them)."""
    return sorted(ENGINE_FACTORIES)


def create_engine(name: str) -> Engine:
    """Build the engine called `name`; an unknown name lists the valid ones."""
    try:
        factory = ENGINE_FACTORIES[name]
    except KeyError:
        choices = ", ".join(engine_names())
        raise VoiceroutineError(
            f"unknown speech engine '{name}'; choose one of: {choices}"
        ) from None
    return factory()
