"""Parse the duration syntax routines use (`20`, `20s`, `1m30s`, `90 seconds`) into milliseconds."""

from __future__ import annotations

import re

_UNIT_MS = {
    "ms": 1,
    "millisecond": 1,
    "milliseconds": 1,
    "s": 1000,
    "sec": 1000,
    "secs": 1000,
    "second": 1000,
    "seconds": 1000,
    "m": 60_000,
    "min": 60_000,
    "mins": 60_000,
    "minute": 60_000,
    "minutes": 60_000,
    "h": 3_600_000,
    "hr": 3_600_000,
    "hour": 3_600_000,
    "hours": 3_600_000,
}
_PART = re.compile(r"\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+)?\s*", re.IGNORECASE)

DURATION_HELP = "a duration such as 20, 20s, 1m30s or 90 seconds"
MAX_DURATION_MS = 24 * 3_600_000
"""No single duration is longer than a day; longer ones are mistakes (and overflow arithmetic)."""


def parse_duration_ms(value: object) -> int:
    """Return `value` in whole milliseconds; a bare number means seconds.

    Raises ValueError with a readable message for anything else, including
    negative numbers and booleans.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected {DURATION_HELP}, got {value!r}")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"a duration cannot be negative, got {value!r}")
        if value != value or value == float("inf"):
            raise ValueError(f"expected {DURATION_HELP}, got {value!r}")
        return _bounded(value * 1000, value)
    if not isinstance(value, str):
        shown = {type(None): "nothing", list: "a list", dict: "a mapping"}.get(type(value))
        raise ValueError(f"expected {DURATION_HELP}, got {shown or type(value).__name__}")
    text = value.strip().lower()
    if text.startswith("-"):
        raise ValueError(f"a duration cannot be negative, got {value!r}")
    total = 0.0
    position = 0
    units_seen: list[int] = []
    while position < len(text):
        match = _PART.match(text, position)
        if not match or match.end() == position:
            raise ValueError(f"expected {DURATION_HELP}, got {value!r}")
        number, unit = match.group(1), (match.group(2) or "").lower()
        if unit and unit not in _UNIT_MS:
            raise ValueError(f"unknown time unit {unit!r} in {value!r}; use ms, s, m or h")
        if not unit and (units_seen or match.end() < len(text)):
            raise ValueError(f"expected {DURATION_HELP}, got {value!r}")
        factor = _UNIT_MS[unit] if unit else 1000
        if factor in units_seen:
            raise ValueError(f"the same unit appears twice in {value!r}")
        units_seen.append(factor)
        total += float(number) * factor
        position = match.end()
    if not units_seen:
        raise ValueError(f"expected {DURATION_HELP}, got {value!r}")
    return _bounded(total, value)


def _bounded(ms: float, written: object) -> int:
    """`ms` rounded to whole milliseconds, refused above MAX_DURATION_MS (and when infinite)."""
    if not ms <= MAX_DURATION_MS:
        if isinstance(written, int) and written.bit_length() > 128:
            shown = "a number that large"
        else:
            shown = repr(written) if len(repr(written)) <= 40 else f"{repr(written)[:37]}..."
        raise ValueError(
            f"a duration can be at most {MAX_DURATION_MS // 3_600_000} hours, got {shown}"
        )
    return round(ms)


def format_duration(ms: int) -> str:
    """Format milliseconds for people: `14:05` or `1:02:03`."""
    seconds = round(ms / 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
