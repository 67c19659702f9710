"""How to say words a voice gets wrong: respellings applied to a line just before it is spoken.

A routine, a program and the user's config map words to how to say them
(`Pilates: pih-LAH-teez`). Whole words match, whatever their case, the
longest entry first; the text in the timeline and subtitles stays as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

Respellings = tuple[tuple[str, str], ...]
"""Word -> how to say it, in a fixed order so that voice settings stay hashable."""

MAX_ENTRIES = 500
MAX_LENGTH = 100


def merged(*layers: Mapping[str, str] | Iterable[tuple[str, str]]) -> Respellings:
    """Respellings from several places, a later layer's entry winning over an earlier one's
    for the same word (in any case): the config's first, then the routine's."""
    found: dict[str, tuple[str, str]] = {}
    for layer in layers:
        pairs = layer.items() if isinstance(layer, Mapping) else layer
        for word, saying in pairs:
            found[_folded(word)] = (word.strip(), saying.strip())
    return tuple(sorted(found.values(), key=lambda pair: _folded(pair[0])))


def respelled(text: str, respellings: Respellings) -> str:
    """`text` with every whole-word match replaced by how to say it."""
    if not respellings:
        return text
    pattern, sayings = _compiled(respellings)
    return pattern.sub(lambda match: sayings[_folded(match.group(0))], text)


def problem(word: str, saying: str) -> str | None:
    """What is wrong with one entry, or None."""
    if not word.strip() or not saying.strip():
        return "a word and how to say it must both be text"
    if len(word) > MAX_LENGTH or len(saying) > MAX_LENGTH:
        return f"a word and how to say it are at most {MAX_LENGTH} characters each"
    if not re.search(r"\w", word):
        return f"'{word}' has no letters to match"
    return None


@lru_cache(maxsize=64)
def _compiled(respellings: Respellings) -> tuple[re.Pattern[str], dict[str, str]]:
    """One pattern for all the words, longest first, so `lower back` wins over `back`."""
    words = sorted((word for word, _ in respellings), key=len, reverse=True)
    alternatives = "|".join(_whole_word(word) for word in words)
    sayings = {_folded(word): saying for word, saying in respellings}
    return re.compile(alternatives, re.IGNORECASE), sayings


def _whole_word(word: str) -> str:
    """A pattern for `word` that does not match inside a longer word; spaces match any run."""
    body = r"\s+".join(re.escape(part) for part in word.split())
    start = r"(?<!\w)" if re.match(r"\w", word) else ""
    end = r"(?!\w)" if re.search(r"\w$", word) else ""
    return f"{start}{body}{end}"


def _folded(word: str) -> str:
    return " ".join(word.casefold().split())
