"""The step tree: the one place that says how repeats play and where rests go between exercises.

A routine's steps become a tree without expanding repeats: each repeat is
`Rounds` of its body, announced ("Round 2 of 3.") when it is the outermost
repeat of more than one round, and the default rest stands between two
exercises that follow each other, inside a round, between rounds and across
a repeat's edge alike. The session walks the tree round by round
(`session_steps`); the limits check measures it without expanding it
(limits.py), so both read the same rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from voiceroutine.compile.resolved import Announce, Breathing, Exercise, Flat, Rest, mark, resolved
from voiceroutine.library.phrasebook import Phrasebook
from voiceroutine.routine import Defaults, RepeatStep, Routine, Step


@dataclass(frozen=True)
class Leaf:
    """One step as it plays, and where it is: its index, after those of the repeats around it."""

    step: Flat
    path: tuple[int, ...]


@dataclass(frozen=True)
class Rounds:
    """A repeat: its body played `count` times, with `between` (the default rest) between
    rounds when a round ends with an exercise and the next begins with one."""

    count: int
    body: tuple[Node, ...]
    announced: bool
    between: Rest | None
    path: tuple[int, ...]


Node = Leaf | Rounds


def step_tree(routine: Routine) -> tuple[Node, ...]:
    """The routine's steps as a tree, each repeat once however many rounds it has."""
    return _nodes(routine.steps, routine, (), announce=True)


def _nodes(
    steps: Sequence[Step], routine: Routine, path: tuple[int, ...], announce: bool
) -> tuple[Node, ...]:
    """Only the outermost repeat of more than one round announces its rounds; nested ones are
    quiet, so that "Round 1 of 2." is never said twice in a row."""
    defaults = routine.defaults
    nodes: list[Node] = []
    for index, step in enumerate(steps):
        where = (*path, index)
        node: Node
        if isinstance(step, RepeatStep):
            announced = announce and step.repeat > 1
            body = _nodes(step.steps, routine, where, announce and not announced)
            between = _auto_rest(defaults) if _opens(body[0]) and _closes(body[-1]) else None
            node = Rounds(step.repeat, body, announced, between, where)
        else:
            node = Leaf(resolved(step, routine), where)
        if nodes and _closes(nodes[-1]) and _opens(node):
            rest = _auto_rest(defaults)
            if rest is not None:
                nodes.append(Leaf(rest, where))
        nodes.append(node)
    return tuple(nodes)


def _auto_rest(defaults: Defaults) -> Rest | None:
    """The rest between two exercises that follow each other directly, if there is one."""
    if defaults.rest_between_exercises <= 0:
        return None
    sounds = defaults.sounds
    return Rest(
        defaults.rest_between_exercises,
        mark(None, sounds.rest_start),
        mark(None, sounds.rest_end),
    )


def _opens(node: Node) -> bool:
    """Whether the node begins with an exercise (round announcements do not count)."""
    return _opens(node.body[0]) if isinstance(node, Rounds) else isinstance(node.step, Exercise)


def _closes(node: Node) -> bool:
    return _closes(node.body[-1]) if isinstance(node, Rounds) else isinstance(node.step, Exercise)


def session_steps(routine: Routine, phrases: Phrasebook) -> list[Flat]:
    """Every step in the order the session plays it, repeats expanded round by round."""
    return list(_with_prefaces(_joined_rests(played(step_tree(routine), phrases))))


def played(nodes: Sequence[Node], phrases: Phrasebook) -> Iterator[Flat]:
    """The tree walked round by round; an announced round's blocks say which round they are."""
    for node in nodes:
        if isinstance(node, Leaf):
            yield node.step
            continue
        for number in range(1, node.count + 1):
            if number > 1 and node.between is not None:
                yield node.between  # before the announcement: the rest ends the round
            if not node.announced:
                yield from played(node.body, phrases)
                continue
            yield Announce(phrases.first("round", n=number, total=node.count))
            for step in played(node.body, phrases):
                if isinstance(step, (Exercise, Breathing)):
                    step = replace(step, round=(number, node.count))
                yield step


def _joined_rests(steps: Iterator[Flat]) -> Iterator[Flat]:
    """Rests that follow each other become one rest as long as both ("Rest." once, not
    "Rest." and then "Take a rest.")."""
    pending: Rest | None = None
    for step in steps:
        if isinstance(step, Rest) and step.ms > 0:
            if pending is None:
                pending = step
            else:
                pending = Rest(pending.ms + step.ms, pending.start_sound, step.end_sound)
            continue
        if pending is not None:
            yield pending
            pending = None
        yield step
    if pending is not None:
        yield pending


def _with_prefaces(steps: Iterator[Flat]) -> Iterator[Flat]:
    """Move a round announcement into the exercise or breathing block it introduces."""
    pending: Announce | None = None
    for step in steps:
        if pending and isinstance(step, (Exercise, Breathing)):
            step = replace(step, preface=pending.text)
            pending = None
        elif pending:
            yield pending
            pending = None
        if isinstance(step, Announce):
            pending = step
            continue
        yield step
    if pending:
        yield pending
