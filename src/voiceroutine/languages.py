"""Language tags: the one rule for which bundled language `de`, `de-DE`, `de_DE` or `DE` means."""

from __future__ import annotations

from functools import cache
from importlib import resources


def normalized_tag(tag: str) -> str:
    """A tag as voices are matched on: lowercase, hyphens (`pt_BR` is `pt-br`)."""
    return tag.strip().replace("_", "-").lower()


def primary_language(tag: str) -> str:
    """The language a tag names, without its region or script: `de` for `de_DE`."""
    return normalized_tag(tag).split("-")[0]


@cache
def _bundled() -> tuple[str, ...]:
    folder = resources.files("voiceroutine.library") / "phrases"
    return tuple(
        sorted(
            entry.name.removesuffix(".yaml")
            for entry in folder.iterdir()
            if entry.name.endswith(".yaml")
        )
    )


def available_languages() -> list[str]:
    """The languages with a phrasebook (and, where translated, catalogue texts)."""
    return list(_bundled())


def bundled_language(tag: str) -> str | None:
    """The bundled language a tag means, or None if there is none for it."""
    language = primary_language(tag)
    return language if language in _bundled() else None


def unknown_language(tag: str) -> str:
    """The message for a tag no bundled language matches."""
    return f"no phrasebook for language '{tag}'; available: {', '.join(_bundled())}"
