"""How problems in routine and library files are put in words, for yamlsource to report."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from voiceroutine.names import ID_PATTERN, STEP_KINDS, WORDS_PATTERN
from voiceroutine.suggest import did_you_mean
from voiceroutine.yamlsource import Wording, shown


def step_message(value: Any) -> str:
    """What is wrong with a step that has not exactly one kind key."""
    if not isinstance(value, dict):
        return f"each step must be a mapping such as 'say: Hello', got {shown(value)}"
    kinds = [kind for kind in STEP_KINDS if kind in value]
    if len(kinds) > 1:
        return f"a step can only be one of {', '.join(kinds)}; split it into separate steps"
    for key in value:
        hint = did_you_mean(str(key), STEP_KINDS)
        if hint:
            return f"unknown step '{key}'{hint}"
    return "a step needs one of: " + ", ".join(STEP_KINDS)


ROUTINE_WORDING = Wording(
    union_tags=frozenset(STEP_KINDS),
    by_type=MappingProxyType({"step_kind": step_message}),
    by_pattern=MappingProxyType(
        {
            WORDS_PATTERN: lambda _value: "needs words to speak",
            ID_PATTERN: lambda value: (
                f"use lowercase letters, digits and hyphens, got {shown(value)}"
            ),
        }
    ),
)
"""The words for routines, programs and library files alike."""
