"""Did you mean: the one way the package suggests a known name for a misspelt one."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: str, known: Iterable[str], most: int = 1) -> str:
    """` (did you mean 'x'?)` naming up to `most` close known names, or '' if none is close."""
    close = difflib.get_close_matches(word, sorted(known), n=most)
    if not close:
        return ""
    names = [f"'{name}'" for name in close]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return f" (did you mean {listed}?)"
