"""The fixed phrases the compiler speaks, with their variants, from a per-language data file."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml

from voiceroutine.errors import VoiceroutineError
from voiceroutine.languages import bundled_language, unknown_language

PHRASE_KEYS = frozenset(
    {
        "intro_length", "intro_length_one", "safety", "safety_breathing", "outro", "get_ready",
        "begin", "and_hold",
        "release",
        "switch_sides", "first_side", "first_side_left", "right_side", "left_side", "last_one",
        "rep", "set",
        "round", "halfway", "done_exercise", "rest", "next", "breathe_in", "breathe_in_short",
        "top_up", "top_up_short", "hold_breath", "breathe_out", "breathe_out_short",
        "breathe_normally", "breathing", "chapter_intro", "chapter_rest", "chapter_round",
        "chapter_breathing",
        "chapter_outro",
        "course_week", "course_easy_week", "course_new", "course_ended", "course_hold",
        "course_reps", "course_sets", "course_rest_between", "course_cycles", "course_duration",
        "course_pause", "course_safety", "course_range", "course_and", "seconds", "second_one",
        "minutes", "minute_one", "decimal_mark", "course_step", "course_step_hold",
        "course_step_rest_between", "repetitions", "repetitions_one", "sets", "sets_one",
        "cycles", "cycles_one",
    }
)  # fmt: skip
"""Every phrase the compiler uses; a phrasebook lacking one is an error."""
BUNDLED_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""Reads the package's own data files: libyaml where PyYAML has it, ten times as fast."""


@dataclass(frozen=True)
class Phrasebook:
    """One language's phrases: each key has one or more variants."""

    language: str
    voice: str
    phrases: dict[str, tuple[str, ...]]
    numbers: tuple[str, ...] = ()
    name: str = ""
    """The language's name in English, for messages ("German")."""

    def variants(self, key: str) -> tuple[str, ...]:
        return self.phrases[key]

    def first(self, key: str, **values: object) -> str:
        """The first variant, filled in; for titles and lines that should never vary."""
        return self.phrases[key][0].format(**values)

    def number(self, n: int) -> str:
        """How the number `n` is spoken in counts."""
        return self.numbers[n - 1] if 0 < n <= len(self.numbers) else str(n)


@dataclass
class Rotation:
    """Hands out a key's variants in turn, so repeated phrases vary but builds stay repeatable.

    One Rotation belongs to one compilation: its counters start at zero each time.
    """

    phrases: Phrasebook
    turns: Counter[str] = field(default_factory=Counter)

    def say(self, key: str, **values: object) -> str:
        variants = self.phrases.variants(key)
        choice = variants[self.turns[key] % len(variants)]
        self.turns[key] += 1
        return choice.format(**values)


def load_phrasebook(language: str) -> Phrasebook:
    """The phrasebook for a language tag (`en`, or `en-GB` falling back to `en`)."""
    base = bundled_language(language)
    if base is None:
        raise VoiceroutineError(unknown_language(language))
    return _bundled_phrasebook(base)


@cache
def _bundled_phrasebook(base: str) -> Phrasebook:
    """A package phrasebook, read once per process: loading a routine and compiling it both ask.

    It is the package's own file, so libyaml parses it where PyYAML has it.
    """
    path = resources.files("voiceroutine.library") / "phrases" / f"{base}.yaml"
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=BUNDLED_YAML_LOADER)
    return parse_phrasebook(data, f"{base}.yaml")


def parse_phrasebook(data: object, name: str) -> Phrasebook:
    """Check a phrasebook's content: every key present, each a string or a list of strings."""
    if not isinstance(data, dict):
        raise VoiceroutineError(f"phrasebook {name} must be a mapping")
    missing = PHRASE_KEYS - set(data)
    if missing:
        raise VoiceroutineError(f"phrasebook {name} lacks: {', '.join(sorted(missing))}")
    phrases: dict[str, tuple[str, ...]] = {}
    for key in PHRASE_KEYS:
        value = data[key]
        variants = tuple(value) if isinstance(value, list) else (value,)
        if not variants or not all(isinstance(v, str) and v.strip() for v in variants):
            raise VoiceroutineError(f"phrasebook {name}: '{key}' must be text or a list of texts")
        phrases[key] = variants
    numbers = data.get("numbers", [])
    if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
        raise VoiceroutineError(f"phrasebook {name}: 'numbers' must be a list of words")
    language = str(data.get("language", name))
    return Phrasebook(
        language,
        str(data.get("voice", "")),
        phrases,
        tuple(numbers),
        str(data.get("name", language)),
    )
