"""Every voice of every engine, by language, and the one each language speaks with by default."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from voiceroutine.errors import VoiceroutineError
from voiceroutine.languages import bundled_language, normalized_tag, primary_language
from voiceroutine.tts.base import Engine, VoiceInfo, VoiceSettings
from voiceroutine.tts.choice import choose_engine
from voiceroutine.tts.registry import canonical_engine, create_engine, engine_names

ENGINE_ORDER = ("piper", "pyttsx3")
"""Engines listed first within a language: the natural voice, then eSpeak NG."""


@dataclass(frozen=True)
class EngineVoices:
    """What one speech engine offers, or why it offers nothing here."""

    engine: str
    voices: tuple[VoiceInfo, ...] = ()
    unavailable: str | None = None
    """Why the engine could not be started, when it could not."""


@dataclass(frozen=True)
class ListedVoice:
    """One row of `voiceroutine voices`: a voice under the language it speaks."""

    language: str
    engine: str
    voice: VoiceInfo
    default: bool
    """Whether a routine in this language that names no engine or voice speaks with it."""


def engine_voices(engine: str | None = None, language: str | None = None) -> list[EngineVoices]:
    """The voices of `engine` (default: every installed engine), only those for `language`.

    A named engine that cannot start raises its error; when every engine is
    asked, one that cannot start says why in `unavailable`.
    """
    wanted = normalized_tag(language) if language else None
    made = _Engines()

    def speaks(voice: VoiceInfo) -> bool:
        return wanted is None or any(
            tag == wanted or primary_language(tag) == wanted for tag in voice.languages
        )

    def offered(name: str) -> EngineVoices:
        found = made(name).voices()
        return EngineVoices(name, tuple(voice for voice in found if speaks(voice)))

    if engine is not None:
        return [offered(canonical_engine(engine))]
    every = []
    for name in engine_names():
        try:
            every.append(offered(name))
        except VoiceroutineError as error:
            every.append(EngineVoices(name, unavailable=f"{name}: not available: {error}"))
    return every


def by_language(offered: Sequence[EngineVoices]) -> list[ListedVoice]:
    """The voices offered, sorted by language, each language's default voice first."""
    made = _Engines()
    rows = []
    defaults: dict[str, tuple[str, str] | None] = {}
    for found in offered:
        for voice in found.voices:
            tag = voice.languages[0] if voice.languages else ""
            base = primary_language(tag) if tag else ""
            if base not in defaults:
                defaults[base] = default_voice(base, made) if base else None
            is_default = defaults[base] == (found.engine, voice.id)
            rows.append(ListedVoice(tag, found.engine, voice, is_default))
    return sorted(
        rows,
        key=lambda row: (
            primary_language(row.language) if row.language else "~",
            not row.default,
            _engine_rank(row.engine),
            row.language,
            row.voice.id.lower(),
        ),
    )


def default_voice(
    language: str, engines: Callable[[str], Engine] = create_engine
) -> tuple[str, str] | None:
    """The engine and voice id a routine in `language` speaks with when it names neither."""
    from voiceroutine.library.phrasebook import load_phrasebook

    bundled = bundled_language(language)
    phrases = load_phrasebook(bundled) if bundled else None
    choice = choose_engine(language, phrases.name if phrases else language)
    preferred = phrases.voice if phrases and choice.engine == "pyttsx3" else None
    try:
        engine = engines(choice.engine)
        voice_id = getattr(engine, "voice_id", None)
        if voice_id is None:
            return None
        return choice.engine, voice_id(VoiceSettings(language=language, preferred=preferred))
    except VoiceroutineError:
        return None


class _Engines:
    """Engines by name, each made once for one listing."""

    def __init__(self) -> None:
        self._made: dict[str, Engine] = {}

    def __call__(self, name: str) -> Engine:
        if name not in self._made:
            self._made[name] = create_engine(name)
        return self._made[name]


def _engine_rank(engine: str) -> int:
    return ENGINE_ORDER.index(engine) if engine in ENGINE_ORDER else len(ENGINE_ORDER)
