"""Compile a Routine into a Plan: the spoken flow a good instructor would follow.

The stage reads in the order data flows: `resolved` decides what each step
plays (its dosing, with the defaults), `steps` builds the step tree (rounds,
their announcements, the rests between exercises), `limits` measures that
tree without expanding it, and `session` says it from the lead-in to the
closing bell, with `exercise` and `breathing` saying those blocks in one
`speech`, paced by `pacing`.
"""

from voiceroutine.compile.limits import (
    MAX_PLAN_ITEMS,
    MAX_REPEAT_DEPTH,
    MAX_SESSION_MS,
    SizeProblem,
)
from voiceroutine.compile.session import compile_routine, size_problem

__all__ = [
    "MAX_PLAN_ITEMS",
    "MAX_REPEAT_DEPTH",
    "MAX_SESSION_MS",
    "SizeProblem",
    "compile_routine",
    "size_problem",
]
