"""The fixed phrases the compiler speaks, read from a per-language data file."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import yaml

from voiceroutine.errors import VoiceroutineError

REQUIRED_PHRASES = frozenset(
    {
        "safety", "outro", "and_hold", "release", "switch_sides", "first_side", "right_side",
        "left_side", "last_one", "rep", "set", "round", "rest", "next", "halfway",
        "breathe_in", "breathe_in_short", "hold_breath", "breathe_out", "breathe_out_short",
        "breathe_normally", "breathing", "chapter_intro", "chapter_rest", "chapter_breathing",
        "chapter_outro",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Phrasebook:
    """Phrases by key for one language; `say` fills in {placeholders}."""

    language: str
    phrases: dict[str, str]

    def say(self, key: str, **values: object) -> str:
        return self.phrases[key].format(**values)


def available_languages() -> list[str]:
    folder = resources.files("voiceroutine.library") / "phrases"
    return sorted(
        entry.name.removesuffix(".yaml")
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    )


def load_phrasebook(language: str) -> Phrasebook:
    """The phrasebook for `language` (`en`, or `en-GB` falling back to `en`)."""
    base = language.lower().replace("_", "-").split("-")[0]
    languages = available_languages()
    if base not in languages:
        raise VoiceroutineError(
            f"no phrasebook for language '{language}'; available: {', '.join(languages)}"
        )
    text = (resources.files("voiceroutine.library") / "phrases" / f"{base}.yaml").read_text(
        encoding="utf-8"
    )
    phrases = yaml.safe_load(text)
    missing = REQUIRED_PHRASES - set(phrases)
    if missing:
        raise VoiceroutineError(f"the '{base}' phrasebook lacks: {', '.join(sorted(missing))}")
    return Phrasebook(base, {key: str(value) for key, value in phrases.items()})
