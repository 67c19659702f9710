"""The one error type users see: a message and, where known, the place it refers to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Place:
    """A position in a source file; line and column are 1-based."""

    file: Path
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [str(self.file)]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


@dataclass(frozen=True)
class SourceWarning:
    """Something in a file that is valid but probably not what was meant, and where it is."""

    place: Place
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}"


class VoiceroutineError(Exception):
    """Anything the user can fix: a bad routine, a missing voice, a failed encode."""

    def __init__(
        self, message: str, place: Place | None = None, also: tuple[VoiceroutineError, ...] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.place = place
        self.also = also
        """Further problems found at the same time, each at its own place, in file order."""

    def every(self) -> list[VoiceroutineError]:
        """This problem and the others found with it."""
        return [self, *self.also]

    def __str__(self) -> str:
        return f"{self.place}: {self.message}" if self.place else self.message
