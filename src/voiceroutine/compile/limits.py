"""How big a routine is, measured on its step tree without expanding a repeat.

A routine may last at most `max_ms` (12 hours unless the user allows more),
make at most MAX_PLAN_ITEMS plan items and nest repeats at most
MAX_REPEAT_DEPTH deep. The tree (steps.py) is measured once per round shape,
so `repeat: 1000` nested eight deep is refused at once, at the step where a
limit is crossed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from voiceroutine.compile.pacing import LINE_GAP_MS
from voiceroutine.compile.resolved import Breathing, Exercise, Rest
from voiceroutine.compile.steps import Leaf, Node, Rounds
from voiceroutine.plan import Gap, Period, PlanItem, Speak
from voiceroutine.routine import PauseStep, SayStep, SoundStep
from voiceroutine.tts.estimate import estimate_clip_ms

MAX_SESSION_MS = 12 * 3_600_000
MAX_PLAN_ITEMS = 200_000
MAX_REPEAT_DEPTH = 8
"""How many repeats may be nested inside each other."""


@dataclass(frozen=True)
class SizeProblem:
    """Why a routine is too big to compile, and the step where that shows."""

    message: str
    step_path: tuple[int, ...]
    """The step's index in `steps`, preceded by the indexes of the repeats around it."""


@dataclass(frozen=True)
class Size:
    """At least how long some steps last and how many plan items they make."""

    ms: int
    items: int


class TooBig(Exception):
    def __init__(self, problem: SizeProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


LeafSize = Callable[[Leaf], Size]


def measure(
    nodes: Sequence[Node],
    leaf_size: LeafSize,
    max_ms: int,
    start: Size = Size(0, 0),
    depth: int = 1,
) -> Size:
    """The size of `nodes` (inside `depth - 1` repeats); raise TooBig where a limit is crossed."""
    ms, items = start.ms, start.items
    for node in nodes:
        if isinstance(node, Rounds):
            if depth > MAX_REPEAT_DEPTH:
                raise TooBig(
                    SizeProblem(
                        f"repeats are nested more than {MAX_REPEAT_DEPTH} deep; "
                        "move the inner steps out or repeat them fewer times",
                        node.path,
                    )
                )
            inner = measure(node.body, leaf_size, max_ms, Size(0, 0), depth + 1)
            between = node.between.ms if node.between is not None else 0
            announced_ms = LINE_GAP_MS if node.announced else 0  # "Round 2 of 3." and its gap
            size = Size(
                (inner.ms + announced_ms) * node.count + between * (node.count - 1),
                (inner.items + 1) * node.count,
            )
        else:
            size = leaf_size(node)
        ms += size.ms
        items += size.items
        if ms > max_ms:
            raise TooBig(SizeProblem(too_long(max_ms, "with this step it lasts"), node.path))
        if items > MAX_PLAN_ITEMS:
            raise TooBig(
                SizeProblem(
                    f"the routine is too long: with this step it has more than {MAX_PLAN_ITEMS} "
                    "steps, spoken lines and periods, the limit for a session",
                    node.path,
                )
            )
    return Size(ms, items)


def too_long(max_ms: int, lasting: str = "it lasts") -> str:
    """The message for a session longer than the limit."""
    return (
        f"the routine is too long: {lasting} more than {_hours(max_ms)}, "
        "the limit for a session (see max_hours)"
    )


def _hours(ms: int) -> str:
    hours = ms / 3_600_000
    return f"{hours:g} hour" if hours == 1 else f"{hours:g} hours"


def dosing_size(leaf: Leaf, rate: int | None) -> Size:
    """At least how long one step lasts from its dosing alone, and how many items it makes."""
    step = leaf.step
    if isinstance(step, SayStep):  # the line as long as it is estimated to be spoken
        return Size(LINE_GAP_MS + estimate_clip_ms(step.say, rate), 2)
    if isinstance(step, SoundStep):
        return Size(LINE_GAP_MS, 2)
    if isinstance(step, PauseStep):
        return Size(step.pause, 1)
    if isinstance(step, Rest):
        return Size(step.ms, 1)
    if isinstance(step, Exercise):
        sides = 2 if step.sides in ("both", "alternate") else 1
        reps = step.sets * step.reps * sides
        return Size(reps * (step.hold_ms or step.tempo_ms), reps + 1)
    if isinstance(step, Breathing):
        cycle_ms = sum(phase.ms for phase in step.phases)
        return Size(step.cycles * cycle_ms, step.cycles * len(step.phases) + 1)
    return Size(0, 1)


def size_of(items: Iterable[PlanItem], max_ms: int, rate: int | None = None) -> Size:
    """How long the items last, their speech as long as it is estimated to be at `rate`."""
    ms = count = 0
    for item in items:
        count += 1
        if isinstance(item, (Gap, Period)):
            ms += item.ms
        elif isinstance(item, Speak):
            ms += estimate_clip_ms(item.text, rate)
        if ms > max_ms or count > MAX_PLAN_ITEMS:
            break  # too big already: the caller says so
    return Size(ms, count)
