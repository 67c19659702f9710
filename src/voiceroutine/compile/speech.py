"""What the session says and has said: rotating phrases, first introductions, cue turns."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from voiceroutine.library.phrasebook import Phrasebook, Rotation
from voiceroutine.plan import Gap, PlanItem, Speak


@dataclass
class Speech:
    """One session's voice: each compile has its own, so the same routine says the same."""

    phrases: Phrasebook
    introduced: set[str] = field(default_factory=set)
    """The exercises and breathing blocks explained once already."""
    cue_turns: Counter[str] = field(default_factory=Counter)
    """Which of an exercise's cues comes next."""

    def __post_init__(self) -> None:
        self._rotation = Rotation(self.phrases)

    def say(self, key: str, **values: object) -> str:
        """The phrase's next variant."""
        return self._rotation.say(key, **values)

    def first_time(self, name: str) -> bool:
        """Whether `name` is introduced now for the first time (it counts as introduced after)."""
        first = name not in self.introduced
        self.introduced.add(name)
        return first

    def chapter_title(self, name: str, round_of: tuple[int, int] | None) -> str:
        """An exercise's or breathing block's chapter: its name, and its round if it has one."""
        if round_of is None:
            return name
        number, total = round_of
        return self.phrases.first("chapter_round", name=bare(name), n=number, total=total)


def lines(texts: Sequence[str], gap_ms: int) -> Iterator[PlanItem]:
    """Lines said one after another, with a gap between them (none after the last)."""
    for index, text in enumerate(texts):
        if index:
            yield Gap(gap_ms)
        yield Speak(text)


def sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in ".!?" else f"{text}."


def bare(name: str) -> str:
    """A name without closing punctuation, to sit inside a sentence."""
    return name.strip().rstrip(".!?")
