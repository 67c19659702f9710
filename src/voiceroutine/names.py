"""Names that several stages share: step kinds, built-in sounds and ambiences, cover types.

It imports nothing else of the package, so the loader, the compiler and the
audio code can all use it without depending on one another.
"""

from __future__ import annotations

from pathlib import Path

STEP_KINDS = ("say", "pause", "rest", "exercise", "breathe", "sound", "repeat")
"""The kind keys of a step: each step has exactly one."""
PALETTE_SOUNDS = ("bell", "chime", "tick")
"""Sounds synthesized in code that a routine can name; anything else names a sound file."""
AMBIENCES = ("brown-noise", "rain", "drone")
"""Music beds generated in code; anything else names a music file."""
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
"""The file names a cover image may have."""
ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
"""What an exercise or breathing pattern id looks like."""
WORDS_PATTERN = r"\w"
"""What spoken text must contain: a word."""
DEFAULT_OUT_DIR = Path("output")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""A program's weekdays, as its schedule names them."""
"""Where builds are written unless told otherwise."""
