"""How long-running work says how far it is: one callback type for every stage."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]
"""Called as progress(stage, done, total) while a build runs ("Speaking", "Encoding")."""
StageProgress = Callable[[int, int], None]
"""One stage's progress: called as report(done, total)."""


def stage_progress(progress: Progress | None, stage: str) -> StageProgress | None:
    """`progress` for one stage, or None when nobody listens."""
    if progress is None:
        return None
    return lambda done, total: progress(stage, done, total)
