"""Strategies and properties for fuzzing the loader, compiler and scheduler with hypothesis.

tests/test_fuzz.py runs them briefly with a fixed seed; scripts/fuzz_routines.py runs them long.
"""

from __future__ import annotations

import bisect
import itertools
import re
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from voiceroutine import api
from voiceroutine.errors import VoiceroutineError
from voiceroutine.library.catalogue import load_catalogue
from voiceroutine.plan import Gap, Period, Play, Speak
from voiceroutine.timeline import Timeline
from voiceroutine.tts.estimate import estimate_clip_ms, estimate_sound_ms
from voiceroutine.tts.presets import effective_rate

ROUTINES_DIR = Path(__file__).resolve().parent.parent / "routines"
EXAMPLES = tuple(sorted(ROUTINES_DIR.glob("*.yaml")))
CASE_SECONDS = 10.0
"""A case that takes longer than this is a hang, whatever the machine's load."""

_catalogue = load_catalogue("en")
EXERCISE_IDS = tuple(sorted(_catalogue.exercises))
BREATHING_IDS = tuple(sorted(_catalogue.breathing))
HELD_EXERCISES = frozenset(id for id, entry in _catalogue.exercises.items() if entry.hold)
del _catalogue


def register_profiles() -> None:
    """The "ci" profile (fixed seed, quick), "dev" (random, quick) and "long" (many cases)."""
    common: dict[str, Any] = {
        "database": None,
        # The explain phase traces every line, which makes the slowest cases time out.
        "phases": [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        "print_blob": True,
        "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    }
    settings.register_profile("ci", derandomize=True, max_examples=200, deadline=5000, **common)
    settings.register_profile("dev", max_examples=60, deadline=5000, **common)
    settings.register_profile("long", max_examples=20_000, deadline=None, **common)


class TooSlow(AssertionError):
    """A case ran longer than CASE_SECONDS."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Fail the case with TooSlow when its body runs longer than `seconds` (main thread only)."""

    def expire(signum: int, frame: object) -> None:
        raise TooSlow(f"the case took more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# -- the properties ------------------------------------------------------------------------


def check_text(text: str) -> Timeline | None:
    """Check a routine text as `voiceroutine check` does: a timeline, or one clear error.

    Any exception but VoiceroutineError fails; so does an error without a
    line and column in the file, or one longer than a line.
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "routine.yaml"
        path.write_text(text, encoding="utf-8")
        with time_limit(CASE_SECONDS):
            try:
                compiled = api.compile_file(path)
            except VoiceroutineError as error:
                check_error(error, path, text)
                return None
            timeline = api.estimated_timeline(compiled)
        check_timeline(compiled, timeline)
        return timeline


def check_error(error: VoiceroutineError, path: Path, text: str) -> None:
    """The error names the file, a line and a column within it, and fits on one line."""
    message = str(error)
    assert message.isprintable(), f"not one printable line: {message!r}"
    assert error.place is not None, f"no place: {message}"
    assert error.place.file == path, f"wrong file: {message}"
    assert error.place.line is not None and error.place.column is not None, f"no line: {message}"
    lines = len(re.split("\r\n|[\r\n\x85\u2028\u2029]", text))
    assert 1 <= error.place.line <= lines, f"line out of range ({lines} lines): {message}"
    assert error.place.column >= 1, message
    assert error.message.strip(), "an empty message"
    named = re.match(r"(?:unknown|duplicate) key '([^']+)'", error.message)
    if named and named[1].isidentifier():
        line = re.split("\r\n|[\r\n\x85\u2028\u2029]", text)[error.place.line - 1]
        at = re.sub(r"^!\S*\s+", "", line[error.place.column - 1 :])  # a key's tag comes first
        quoted = at[:1] in ("'", '"')  # may be written with escapes
        assert quoted or at.startswith(named[1]), f"the key is not at {error.place}: {message}"


def check_timeline(compiled: api.Compiled, timeline: Timeline) -> None:
    """Periods are segments that, with speech, sounds and gaps, tile the duration exactly;
    chapters tile it too; every cue lies within it and never straddles a segment's edge."""
    rate = effective_rate(compiled.voice)
    duration = timeline.duration_ms
    clock = 0
    periods = []
    for item in compiled.plan.items:
        if isinstance(item, Speak):
            clock += estimate_clip_ms(item.text, rate)
        elif isinstance(item, Play):
            clock += estimate_sound_ms(item.sound)
        elif isinstance(item, Gap):
            assert item.ms >= 0, item
            clock += item.ms
        elif isinstance(item, Period):
            periods.append((item.kind, clock, clock + item.ms))
            clock += item.ms
    assert clock == duration, (clock, duration)
    segments = [(s.kind, s.start_ms, s.end_ms) for s in timeline.segments]
    assert segments == periods
    previous_end = 0
    for _, start, end in segments:
        assert previous_end <= start < end <= duration, (previous_end, start, end, duration)
        previous_end = end

    chapters = timeline.chapters
    assert chapters and chapters[0].start_ms == 0 and chapters[-1].end_ms == duration
    for before, after in itertools.pairwise(chapters):
        assert before.end_ms == after.start_ms
    assert all(c.start_ms < c.end_ms for c in chapters), chapters

    starts = [start for _, start, _ in segments]
    ends = [end for _, _, end in segments]
    speech_end = 0
    for cue in timeline.cues:
        assert 0 <= cue.start_ms <= cue.end_ms <= duration, cue
        assert 0 <= cue.chapter < len(chapters), cue
        chapter = chapters[cue.chapter]
        assert chapter.start_ms <= cue.start_ms <= chapter.end_ms, (cue, chapter)
        # No segment starts or ends strictly inside a cue.
        for edges in (starts, ends):
            index = bisect.bisect_right(edges, cue.start_ms)
            assert index == len(edges) or edges[index] >= cue.end_ms, (cue, edges[index])
        if cue.kind == "speech":
            assert cue.start_ms >= speech_end, f"speech overlaps speech at {cue}"
            speech_end = cue.end_ms


# -- odd scalars and YAML text ---------------------------------------------------------------


class Raw(str):
    """Text written into the YAML as it is, unquoted, so YAML resolves its type itself."""


HUGE_TEXTS = (
    "9" * 30,
    "9" * 400,
    "9" * 10_000,
    "1e308",
    "1.0e+308",
    "-1.0e+308",
    "1.0e+400",
    ".inf",
    "-.inf",
    ".nan",
    "0x7fffffffffffffffffff",
    "0o777777777777777777777",
    "0b" + "1" * 200,
    "190:20:30:15:10:05",
    "1_000_000_000_000",
    "99999999999999999999h",
    "9" * 400 + "s",
    "1e308s",
    "0.0000000001",
    "-0",
    "last 99999999999",
    "last " + "9" * 5000,
    "2001-02-30",
    "2001-12-14t21:59:43.10-05:00",
    "!!timestamp nope",
    "!!int nope",
    "!!float nope",
    "!!bool maybe",
    "!!binary '@@@'",
    "!!python/object/apply:os.system ['true']",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!custom x",
    "=",
    "<<",
    "~",
    "yes",
    "Off",
    "null",
)
WORDS = (
    "title", "steps", "say", "pause", "rest", "exercise", "breathe", "sound", "repeat",
    "reps", "hold", "sides", "sets", "tempo", "count", "cycles", "duration", "inhale",
    "exhale", "top_up", "hold_out", "guidance", "get_ready", "sounds", "start", "end",
    "voice", "language", "rate", "engine", "name", "defaults", "audio", "bell", "music",
    "intro", "outro", "library", "cover", "description", "author", "instructions", "setup",
    "cues", "caution", "guide", "rest_between", "rest_between_sets", "counts",
    "rest_between_exercises", "rest_between_reps", "loudness", "format", "both", "alternate",
    "every", "halfway", "last 3", "none", "full", "brief", "minimal", "tones", "chime",
    "tick", "brown-noise", "en", "fr", "de", "es", "20s", "1m30s", "500ms", "2h",
    *EXERCISE_IDS, *BREATHING_IDS,
)  # fmt: skip
TOKENS = (
    *WORDS,
    *HUGE_TEXTS,
    ":", ": ", "- ", "-", "\n", "\n", "\n  ", "\n    ", "\n      ", "  ", "\t", " \t",
    "&a ", "*a", "&b ", "*b", "&a [", "<<: ", "<<: *a", "<<: [*a, *b]", "? ", "{", "}",
    "[", "]", ", ", "'", '"', "\\", "# ", "|", ">", "|-", "---\n", "...\n", "%YAML 1.1\n",
    "%TAG ! tag:x,2000:\n", "!!str ", "!!int ", "!!float ", "!!map ", "!!seq ", "!", "@", "`",
    "é", "ß", "🧘", "\u202e", "\u0085", "\u2028", "\ufeff", "\x00", "\x07", "\r", "\r\n",
)  # fmt: skip

odd_ints = st.one_of(
    st.integers(-2, 1002),
    st.sampled_from([2**31, 2**63, 10**20, 10**100, -(10**20)]),
    st.integers(),
)
odd_floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e308, 5e-324, 0.0004, 1e-10, 86_400.0, 86_400.001]),
)
odd_texts = st.one_of(
    st.sampled_from(WORDS),
    st.text(max_size=12),
    st.text(alphabet="\t \n:-#&*!|>'\"{}[],?%@`\\", max_size=6),
    st.builds(Raw, st.sampled_from(HUGE_TEXTS)),
    st.builds(Raw, st.text(alphabet="0123456789.e+-_:xob", min_size=1, max_size=12)),
)
scalars = st.one_of(st.none(), st.booleans(), odd_ints, odd_floats, odd_texts)
keys = st.one_of(st.sampled_from(WORDS), st.text(max_size=8), st.integers(-3, 3), st.none())

anything = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def yaml_token_text(draw: st.DrawFn) -> str:
    """YAML-ish text glued from tokens, sometimes after the start of a real routine."""
    prefix = draw(st.sampled_from(["", "", "title: T\nsteps:\n", "title: T\nsteps:\n  - "]))
    parts = draw(st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=4)), max_size=50))
    return prefix + "".join(parts)


@st.composite
def billion_laughs(draw: st.DrawFn) -> str:
    """Aliases that double (or more) at every level, plain or through merge keys."""
    levels = draw(st.integers(2, 40))
    fanout = draw(st.integers(2, 9))
    merge = draw(st.booleans())
    lines = ["title: Laughs", "a0: &a0 [lol, lol]" if not merge else "a0: &a0 {k0: lol}"]
    for level in range(1, levels):
        refs = ", ".join(f"*a{level - 1}" for _ in range(fanout))
        if merge:
            lines.append(f"a{level}: &a{level} {{<<: [{refs}], k{level}: lol}}")
        else:
            lines.append(f"a{level}: &a{level} [{refs}]")
    where = draw(st.sampled_from(["steps", "top"]))
    if where == "steps":
        lines.append(f"steps:\n  - say: *a{levels - 1}")
    else:
        lines.append(f"steps: *a{levels - 1}")
    return "\n".join(lines) + "\n"


@st.composite
def deep_text(draw: st.DrawFn) -> str:
    """Nesting far past any limit: brackets, block lists, or repeats in repeats."""
    depth = draw(st.integers(1, 3000))
    kind = draw(st.sampled_from(["flow-list", "flow-map", "block", "repeats"]))
    if kind == "flow-list":
        return "title: Deep\nsteps: " + "[" * depth + "]" * depth + "\n"
    if kind == "flow-map":
        return "title: Deep\nsteps: " + "{a: " * depth + "x" + "}" * depth + "\n"
    if kind == "block":
        depth = min(depth, 400)
        return "title: Deep\nsteps:\n" + "".join("  " * i + "-\n" for i in range(depth)) + "\n"
    depth = min(depth, 200)
    times = draw(st.sampled_from([1, 2, 10, 1000]))
    body = "".join(
        "  " * (2 * i + 1) + f"- repeat: {times}\n" + "  " * (2 * i + 2) + "steps:\n"
        for i in range(depth)
    )
    return "title: Deep\nsteps:\n" + body + "  " * (2 * depth + 1) + "- say: Hi\n"


# -- routine-shaped data ---------------------------------------------------------------------

durations = st.one_of(
    st.integers(0, 120),
    st.sampled_from(["20s", "1m30s", "500ms", "2 min", "0.5", "1h", "12h", "24h", "25h"]),
)
spoken = st.sampled_from(["Hello.", "Breathe in slowly.", "Lie on your back", "Go!", "Étire-toi"])


def _or_odd(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a plausible value, sometimes anything at all."""
    return st.one_of(strategy, strategy, strategy, anything)


def _maybe_keys(draw: st.DrawFn, options: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    chosen = draw(st.lists(st.sampled_from(sorted(options)), unique=True, max_size=4))
    return {key: draw(_or_odd(options[key])) for key in chosen}


DOSING = {
    "reps": st.integers(1, 6),
    "hold": st.one_of(st.none(), st.integers(1, 40), st.sampled_from(["8s", "1m"])),
    "sides": st.sampled_from(["none", "both", "alternate"]),
    "sets": st.integers(1, 3),
    "rest_between": durations,
    "rest_between_sets": durations,
    "tempo": st.sampled_from([1, 2, 3, "2500ms"]),
    "count": st.sampled_from(["every", "halfway", "none", "last 3", "last 100", False]),
}


@st.composite
def step_like(draw: st.DrawFn, depth: int = 0) -> Any:
    kind = draw(
        st.sampled_from(["say", "pause", "rest", "exercise", "breathe", "sound", "repeat", "odd"])
    )
    if kind == "say":
        return {"say": draw(_or_odd(spoken))}
    if kind in ("pause", "rest"):
        step = {kind: draw(_or_odd(durations))}
        if kind == "rest" and draw(st.booleans()):
            step["sounds"] = {"start": draw(st.sampled_from(["chime", "none", False]))}
        return step
    if kind == "sound":
        return {"sound": draw(_or_odd(st.sampled_from(["bell", "chime", "tick"])))}
    if kind == "exercise":
        inline = st.fixed_dictionaries(
            {"name": spoken}, optional={"instructions": st.lists(spoken, max_size=2), **DOSING}
        )
        step = {"exercise": draw(_or_odd(st.one_of(st.sampled_from(EXERCISE_IDS), inline)))}
        extra = {**DOSING, "guidance": st.sampled_from(["full", "brief", "minimal"])}
        return {**step, **_maybe_keys(draw, {**extra, "get_ready": durations})}
    if kind == "breathe":
        inline = st.fixed_dictionaries(
            {"inhale": st.integers(1, 8), "exhale": st.integers(1, 8)},
            optional={"hold": st.integers(0, 8), "top_up": st.integers(0, 2), "name": spoken},
        )
        step = {"breathe": draw(_or_odd(st.one_of(st.sampled_from(BREATHING_IDS), inline)))}
        amount = draw(st.sampled_from(["", "cycles", "duration"]))
        if amount:
            step[amount] = draw(_or_odd(st.integers(1, 4) if amount == "cycles" else durations))
        return step
    if kind == "repeat" and depth < 4:
        times = draw(_or_odd(st.integers(1, 3)))
        return {"repeat": times, "steps": draw(st.lists(step_like(depth + 1), max_size=3))}
    return draw(anything)


@st.composite
def routine_like(draw: st.DrawFn) -> Any:
    """A routine's shape with plausible and odd values mixed, sometimes aliased."""
    routine = {"title": draw(_or_odd(spoken)), "steps": draw(st.lists(step_like(), max_size=5))}
    routine.update(
        _maybe_keys(
            draw,
            {
                "guidance": st.sampled_from(["full", "brief", "minimal"]),
                "intro": st.one_of(st.booleans(), spoken),
                "outro": st.one_of(st.booleans(), spoken),
                "voice": st.fixed_dictionaries(
                    {}, optional={"language": st.sampled_from(["en", "fr", "de-AT", "xx"])}
                ),
                "defaults": st.fixed_dictionaries(
                    {}, optional={"count": DOSING["count"], "get_ready": durations}
                ),
                "audio": st.fixed_dictionaries({}, optional={"bell": st.booleans()}),
                "description": spoken,
                "author": spoken,
                "titel": spoken,
                "library": st.sampled_from(
                    ["lib.yaml", "../lib.yaml", "routine.yaml", "", ".", "a\0b", "a" * 300]
                ),
            },
        )
    )
    return draw(with_aliases(routine))


def containers(data: Any) -> list[Any]:
    """Every list and dict in `data` (each once, even when shared)."""
    found: list[Any] = []
    seen: set[int] = set()
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, dict)) and id(item) not in seen:
            seen.add(id(item))
            found.append(item)
            stack.extend(item.values() if isinstance(item, dict) else item)
    return found


@st.composite
def with_aliases(draw: st.DrawFn, data: Any) -> Any:
    """Put some containers of `data` in a second place (even inside themselves)."""
    for _ in range(draw(st.integers(0, 3))):
        found = containers(data)
        if len(found) < 2:
            break
        source = draw(st.sampled_from(found))
        target = draw(st.sampled_from(found))
        if isinstance(target, list):
            target.insert(draw(st.integers(0, len(target))), source)
        else:
            target[draw(keys)] = source
    return data


def to_yaml_text(data: Any, style: dict[str, Any]) -> str:
    """`data` as YAML in a drawn style, with Raw values written unquoted."""
    raws: list[str] = []

    class Dumper(yaml.SafeDumper):
        """Writes Raw text as a placeholder, replaced below by the text itself."""

    def placeholder(dumper: yaml.SafeDumper, value: Raw) -> yaml.ScalarNode:
        raws.append(str(value))
        return dumper.represent_str(f"RAWVALUE{len(raws) - 1}X")

    Dumper.add_representer(Raw, placeholder)
    text = yaml.dump(data, Dumper=Dumper, sort_keys=False, **style)
    return re.sub(r"RAWVALUE(\d+)X", lambda match: raws[int(match[1])], text)


dump_styles = st.fixed_dictionaries(
    {
        "default_flow_style": st.sampled_from([False, True, None]),
        "allow_unicode": st.booleans(),
        "indent": st.integers(2, 6),
        "width": st.sampled_from([20, 80, 1000]),
        "explicit_start": st.booleans(),
    }
)


@st.composite
def dumped(draw: st.DrawFn, data: st.SearchStrategy[Any]) -> str:
    """Data drawn from `data`, written as YAML."""
    return to_yaml_text(draw(data), draw(dump_styles))


arbitrary_yaml = st.one_of(
    yaml_token_text(),
    dumped(anything),
    dumped(routine_like()),
    billion_laughs(),
    deep_text(),
)


# -- mutations of the example routines -------------------------------------------------------

EXTREMES = (
    0, -1, 1, 1000, 1001, 10**20, -(10**20), 1e308, float("inf"), float("nan"), True, None,
    Raw("9" * 10_000), Raw("99999999999999999999h"), Raw("1.0e+308"), Raw("9" * 400 + "s"),
    "", " ", "last 99999999999", "24h", "86401", "12h",
)  # fmt: skip


@st.composite
def misspelt(draw: st.DrawFn, word: str) -> str:
    """`word` with one letter dropped, doubled, swapped or changed."""
    if not word:
        return draw(st.text(min_size=1, max_size=3))
    at = draw(st.integers(0, len(word) - 1))
    how = draw(st.sampled_from(["drop", "double", "swap", "change", "case"]))
    if how == "drop":
        return word[:at] + word[at + 1 :]
    if how == "double":
        return word[:at] + word[at] + word[at:]
    if how == "swap" and at + 1 < len(word):
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    if how == "case":
        return word.swapcase()
    return word[:at] + draw(st.characters()) + word[at + 1 :]


def _slots(data: Any) -> list[tuple[Any, Any]]:
    """Every (container, key or index) in `data`."""
    slots: list[tuple[Any, Any]] = []
    for container in containers(data):
        indexes = list(container) if isinstance(container, dict) else range(len(container))
        slots.extend((container, index) for index in indexes)
    return slots


@st.composite
def mutate_data(draw: st.DrawFn, data: Any) -> Any:
    """Apply a few structural mutations to parsed routine data."""
    for _ in range(draw(st.integers(1, 4))):
        slots = _slots(data)
        if not slots:
            break
        container, index = draw(st.sampled_from(slots))
        value = container[index]
        how = draw(
            st.sampled_from(
                ["delete", "duplicate", "retype", "swap", "extreme", "misspell", "rename",
                 "repeat", "alias"]
            )
        )  # fmt: skip
        if how == "delete":
            del container[index]
        elif how == "duplicate" and isinstance(container, list):
            container.insert(index, value)
        elif how == "retype":
            container[index] = draw(anything)
        elif how == "swap":
            other, other_index = draw(st.sampled_from(slots))
            container[index], other[other_index] = other[other_index], value
        elif how == "extreme":
            container[index] = draw(st.sampled_from(EXTREMES))
        elif how == "misspell" and isinstance(value, str):
            container[index] = draw(misspelt(value))
        elif how == "rename" and isinstance(container, dict):
            new_key = draw(misspelt(str(index)))
            container[new_key] = container.pop(index)
        elif how == "repeat" and isinstance(value, dict):
            times = draw(st.sampled_from([1, 2, 1000, 0, -1, 10**9]))
            container[index] = {"repeat": times, "steps": [value]}
        elif how == "alias":
            with_aliases_once = draw(st.sampled_from(containers(data)))
            container[index] = with_aliases_once
    return data


@st.composite
def mutate_text(draw: st.DrawFn, text: str) -> str:
    """Apply a few line-level edits: delete, duplicate, swap, indent with a tab, cut, insert."""
    for _ in range(draw(st.integers(1, 3))):
        lines = text.split("\n")
        at = draw(st.integers(0, max(len(lines) - 1, 0)))
        how = draw(st.sampled_from(["delete", "duplicate", "swap", "tab", "cut", "insert"]))
        if how == "delete":
            del lines[at]
        elif how == "duplicate":
            lines.insert(at, lines[at])
        elif how == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif how == "tab":
            lines[at] = "\t" + lines[at].lstrip(" ")
        elif how == "cut":
            text = text[: draw(st.integers(0, len(text)))]
            continue
        else:
            column = draw(st.integers(0, len(lines[at])))
            token = draw(st.sampled_from(TOKENS))
            lines[at] = lines[at][:column] + token + lines[at][column:]
        text = "\n".join(lines)
    return text


@st.composite
def mutated_example(draw: st.DrawFn) -> str:
    """An example routine with its data or its text mutated (or both)."""
    example = draw(st.sampled_from(EXAMPLES))
    text = example.read_text(encoding="utf-8")
    if draw(st.booleans()):
        data = draw(mutate_data(yaml.safe_load(text)))
        text = to_yaml_text(data, draw(dump_styles))
    if draw(st.booleans()):
        text = draw(mutate_text(text))
    return text


# -- valid routines, for the timeline property -----------------------------------------------

valid_durations = st.one_of(st.integers(0, 30), st.sampled_from(["500ms", "1m", "2.5", "90s"]))


@st.composite
def valid_step(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    kinds = ["say", "pause", "rest", "exercise", "breathe", "sound"]
    kind = draw(st.sampled_from([*kinds, "repeat"] if depth < 3 else kinds))
    if kind == "say":
        return {"say": draw(spoken)}
    if kind == "pause":
        return {"pause": draw(valid_durations)}
    if kind == "rest":
        step: dict[str, Any] = {"rest": draw(valid_durations)}
        if draw(st.booleans()):
            step["sounds"] = {"end": draw(st.sampled_from(["chime", "tick", "bell", "none"]))}
        return step
    if kind == "sound":
        return {"sound": draw(st.sampled_from(["bell", "chime", "tick"]))}
    if kind == "exercise":
        inline = st.fixed_dictionaries(
            {"name": spoken},
            optional={
                "instructions": st.lists(spoken, max_size=2),
                "cues": st.lists(spoken, min_size=1, max_size=2),
                "caution": spoken,
            },
        )
        step = {"exercise": draw(st.one_of(st.sampled_from(EXERCISE_IDS), inline))}
        options = {
            **DOSING,
            "hold": st.one_of(st.integers(1, 40), st.sampled_from(["8s", "45s", "1500ms"])),
            "rest_between": valid_durations,
            "rest_between_sets": valid_durations,
            "guidance": st.sampled_from(["full", "brief", "minimal"]),
            "get_ready": valid_durations,
            "sounds": st.fixed_dictionaries(
                {}, optional={"start": st.sampled_from(["chime", "none"]), "end": st.just("tick")}
            ),
        }
        dosing = _chosen(draw, options)
        exercise = step["exercise"]
        held = "hold" in dosing or (isinstance(exercise, str) and exercise in HELD_EXERCISES)
        if held:
            dosing.pop("tempo", None)  # a tempo paces reps that move; beside a hold it is refused
        return {**step, **dosing}
    if kind == "breathe":
        inline = st.fixed_dictionaries(
            {"inhale": st.integers(1, 8), "exhale": st.integers(1, 8)},
            optional={
                "hold": st.integers(0, 8),
                "top_up": st.integers(0, 2),
                "hold_out": st.sampled_from([0, 1, "300ms"]),
                "name": spoken,
                "counts": st.booleans(),
            },
        )
        step = {"breathe": draw(st.one_of(st.sampled_from(BREATHING_IDS), inline))}
        amount = draw(st.sampled_from(["", "cycles", "duration"]))
        if amount == "cycles":
            step["cycles"] = draw(st.integers(1, 4))
        elif amount == "duration":
            step["duration"] = draw(st.sampled_from([1, 20, "1m"]))
        step.update(_chosen(draw, {"guide": st.sampled_from(["voice", "tones", "both"])}))
        return step
    return {
        "repeat": draw(st.integers(1, 3)),
        "steps": draw(st.lists(valid_step(depth + 1), min_size=1, max_size=3)),
    }


def _chosen(draw: st.DrawFn, options: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    chosen = draw(st.lists(st.sampled_from(sorted(options)), unique=True, max_size=5))
    return {key: draw(options[key]) for key in chosen}


@st.composite
def valid_routine(draw: st.DrawFn) -> str:
    """A routine that should load: valid steps, with settings drawn from the valid ones."""
    routine: dict[str, Any] = {
        "title": draw(spoken),
        "steps": draw(st.lists(valid_step(), min_size=1, max_size=6)),
    }
    routine.update(
        _chosen(
            draw,
            {
                "guidance": st.sampled_from(["full", "brief", "minimal"]),
                "intro": st.one_of(st.booleans(), spoken),
                "outro": st.one_of(st.booleans(), spoken),
                "voice": st.fixed_dictionaries(
                    {},
                    optional={
                        "language": st.sampled_from(["en", "fr", "de", "es"]),
                        "rate": st.integers(40, 500),
                    },
                ),
                "defaults": st.fixed_dictionaries(
                    {},
                    optional={
                        "count": DOSING["count"],
                        "get_ready": valid_durations,
                        "rest_between_exercises": valid_durations,
                        "rest_between_reps": valid_durations,
                        "tempo": st.sampled_from([1, 3, "700ms"]),
                        "guide": st.sampled_from(["voice", "tones", "both"]),
                    },
                ),
                "audio": st.fixed_dictionaries(
                    {}, optional={"bell": st.one_of(st.booleans(), st.just("chime"))}
                ),
            },
        )
    )
    return to_yaml_text(routine, draw(dump_styles))
