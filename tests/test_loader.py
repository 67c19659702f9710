"""Loading routine files: every bad file is reported as PATH:LINE:COL: message.

Each file in tests/data/bad/ holds one problem and starts with a comment line
`# expect: LINE:COL: substring` naming where the error must be reported and a
piece of its message.
"""

import re
import time
from pathlib import Path

import pytest

from voiceroutine.errors import SourceWarning, VoiceroutineError
from voiceroutine.loader import load_routine
from voiceroutine.routine import (
    BreatheStep,
    ExerciseStep,
    PauseStep,
    RepeatStep,
    RestStep,
    SayStep,
)

BAD_DIR = Path(__file__).parent / "data" / "bad"
BAD_FILES = sorted(BAD_DIR.glob("*.yaml"))
EXPECT = re.compile(r"# expect: (\d+):(\d+): (.+)")

# Cases where the loader is known to report the wrong place: none at present.
KNOWN_WRONG: dict[str, str] = {}


def _expectation(path: Path) -> tuple[int, int, str]:
    first_line = path.read_bytes().split(b"\n", 1)[0].decode("utf-8")  # the rest may not be
    match = EXPECT.fullmatch(first_line)
    assert match, f"{path.name} must start with '# expect: LINE:COL: substring'"
    return int(match[1]), int(match[2]), match[3]


def _case(path: Path):
    marks = []
    if path.name in KNOWN_WRONG:
        marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_WRONG[path.name]))
    return pytest.param(path, id=path.stem, marks=marks)


@pytest.mark.parametrize("path", [_case(path) for path in BAD_FILES])
def test_bad_routine_is_reported_at_its_place(path):
    line, column, substring = _expectation(path)
    with pytest.raises(VoiceroutineError) as caught:
        load_routine(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}:{column}: "), message
    assert substring in message


def test_bad_catalogue_is_complete():
    assert len(BAD_FILES) >= 20
    for path in BAD_FILES:
        _expectation(path)
    names = {path.name for path in BAD_FILES}
    assert set(KNOWN_WRONG) <= names


def _load(tmp_path: Path, text: str):
    path = tmp_path / "routine.yaml"
    path.write_text(text, encoding="utf-8")
    return load_routine(path)


def test_minimal_routine_loads(tmp_path):
    routine = _load(tmp_path, "title: Minimal\nsteps:\n  - say: Hello\n")
    assert routine.title == "Minimal"
    assert routine.steps == [SayStep(say="Hello")]
    assert routine.voice.engine is None  # chosen by language when compiled (tts/choice.py)
    assert routine.defaults.rest_between_reps == 5_000


def test_inline_exercise_with_sibling_overrides_loads(tmp_path):
    routine = _load(
        tmp_path,
        "title: Overrides\n"
        "steps:\n"
        "  - exercise: {name: X}\n"
        "    reps: 3\n"
        "    hold: 5s\n"
        "    sides: both\n",
    )
    (step,) = routine.steps
    assert isinstance(step, ExerciseStep)
    assert step.exercise.name == "X"
    assert step.exercise.reps is None
    assert (step.reps, step.hold, step.sides) == (3, 5_000, "both")


def test_exercise_definition_and_override_keep_both_values(tmp_path):
    routine = _load(
        tmp_path,
        "title: Overrides\n"
        "steps:\n"
        "  - exercise:\n"
        "      name: Squat\n"
        "      instructions: [Stand tall., Sit back.]\n"
        "      reps: 10\n"
        "    reps: 3\n",
    )
    (step,) = routine.steps
    assert step.exercise.reps == 10
    assert step.exercise.instructions == ["Stand tall.", "Sit back."]
    assert step.reps == 3


@pytest.mark.parametrize(
    ("written", "expected_ms"),
    [
        ("20", 20_000),
        ("20.5", 20_500),
        ("'20'", 20_000),
        ("20s", 20_000),
        ("1m30s", 90_000),
        ("1m 30s", 90_000),
        ("90 seconds", 90_000),
        ("2 min", 120_000),
        ("500ms", 500),
        ("1h", 3_600_000),
    ],
)
def test_durations_in_every_form_load(tmp_path, written, expected_ms):
    routine = _load(
        tmp_path,
        f"title: Durations\n"
        f"defaults:\n"
        f"  rest_between_sets: {written}\n"
        f"steps:\n"
        f"  - pause: {written}\n"
        f"  - rest: {written}\n"
        f"  - exercise: {{name: Plank, hold: {written}}}\n"
        f"  - exercise: {{name: March}}\n"
        f"    tempo: {written}\n"
        f"  - breathe: {{inhale: {written}, exhale: 4}}\n"
        f"    duration: {written}\n",
    )
    pause, rest, exercise, moving, breathe = routine.steps
    assert routine.defaults.rest_between_sets == expected_ms
    assert isinstance(pause, PauseStep)
    assert pause.pause == expected_ms
    assert isinstance(rest, RestStep)
    assert rest.rest == expected_ms
    assert exercise.exercise.hold == expected_ms
    assert moving.tempo == expected_ms
    assert isinstance(breathe, BreatheStep)
    assert breathe.breathe.inhale == expected_ms
    assert breathe.duration == expected_ms


def test_repeat_with_nested_steps_loads(tmp_path):
    routine = _load(
        tmp_path,
        "title: Circuit\nsteps:\n  - repeat: 2\n    steps:\n      - say: Go\n      - pause: 3s\n",
    )
    (step,) = routine.steps
    assert isinstance(step, RepeatStep)
    assert step.repeat == 2
    say, pause = step.steps
    assert say == SayStep(say="Go")
    assert isinstance(pause, PauseStep)
    assert pause.pause == 3_000


def test_missing_file_names_the_file(tmp_path):
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(VoiceroutineError) as caught:
        load_routine(path)
    assert str(caught.value) == f"{path}: no such file"


LIMIT_FILES = [
    "alias_billion_laughs",
    "merge_key_laughs",
    "reps_huge_float",
    "reps_ten_thousand_digits",
    "hold_too_long",
    "pause_float_overflow",
    "repeat_nested_too_deep",
    "repeat_product_too_long",
    "repeat_product_too_many_steps",
    "session_too_long",
]
QUICKLY_S = 5.0
"""Generous: the point is "not minutes, not all memory", on a shared machine."""


@pytest.mark.parametrize("name", LIMIT_FILES)
def test_limits_are_refused_quickly_with_their_message(name):
    path = BAD_DIR / f"{name}.yaml"
    _, _, substring = _expectation(path)
    started = time.monotonic()
    with pytest.raises(VoiceroutineError, match=re.escape(substring)):
        load_routine(path)
    assert time.monotonic() - started < QUICKLY_S


def _nested_repeats(levels: int, times: int = 2) -> str:
    lines = ["title: Nested", "steps:"]
    for level in range(levels):
        indent = "  " + "    " * level
        lines += [f"{indent}- repeat: {times}", f"{indent}  steps:"]
    lines.append("  " + "    " * levels + "- say: Hello.")
    return "\n".join(lines) + "\n"


def test_repeats_nest_eight_deep_but_not_nine(tmp_path):
    assert _load(tmp_path, _nested_repeats(8)).steps
    with pytest.raises(VoiceroutineError) as caught:
        _load(tmp_path, _nested_repeats(9))
    innermost = 2 + 2 * 8 + 1  # the title, `steps:`, two lines per repeat; then the 9th
    assert str(caught.value).startswith(f"{tmp_path / 'routine.yaml'}:{innermost}:37: ")
    assert "repeats are nested more than 8 deep" in str(caught.value)


@pytest.mark.parametrize("levels", [3, 8])
def test_a_product_of_repeats_is_refused_before_it_is_expanded(tmp_path, levels):
    started = time.monotonic()
    with pytest.raises(VoiceroutineError, match="the routine is too long"):
        _load(tmp_path, _nested_repeats(levels, times=1000))
    assert time.monotonic() - started < QUICKLY_S


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1e308", "reps: input should be a valid integer, got '1e308'"),
        ("1.0e+308", "reps: input should be a valid integer, got 1.0e+308"),
        (".inf", "reps: input should be a valid integer, got .inf"),
        ("9" * 10_000, "this number is too large (10000 characters)"),
        ("!!int " + "9" * 200, "this number is too large (200 characters)"),
    ],
)
def test_huge_numbers_are_refused_quickly(tmp_path, value, message):
    started = time.monotonic()
    with pytest.raises(VoiceroutineError) as caught:
        _load(tmp_path, f"title: Big\nsteps:\n  - exercise: bridge\n    reps: {value}\n")
    assert str(caught.value).startswith(f"{tmp_path / 'routine.yaml'}:4:11: ")
    assert message in str(caught.value)
    assert time.monotonic() - started < QUICKLY_S


@pytest.mark.parametrize(
    "written", ["99999999999999999999h", "9" * 400 + "s", "1.0e+308", "24h 1ms", "86401"]
)
def test_durations_longer_than_a_day_are_refused(tmp_path, written):
    with pytest.raises(VoiceroutineError) as caught:
        _load(tmp_path, f"title: Long\nsteps:\n  - pause: {written}\n")
    assert str(caught.value).startswith(f"{tmp_path / 'routine.yaml'}:3:12: pause: ")
    assert "a duration can be at most 24 hours" in str(caught.value)


def test_merge_keys_fill_in_what_a_mapping_does_not_say(tmp_path):
    routine = _load(
        tmp_path,
        "title: Merged\n"
        "steps:\n"
        "  - exercise: bridge\n"
        "    reps: 3\n"
        "    hold: &hold 5s\n"
        "  - exercise: &base {name: Squat, reps: 4, sides: both}\n"
        "  - exercise:\n"
        "      <<: [*base, {name: Lunge, tempo: 2s}]\n"
        "      reps: 6\n",
    )
    first, second, third = routine.steps
    assert (first.reps, first.hold) == (3, 5_000)
    assert (second.exercise.name, second.exercise.reps) == ("Squat", 4)
    assert third.exercise.name == "Squat"  # the first mapping merged wins
    assert third.exercise.reps == 6  # the mapping's own key wins
    assert (third.exercise.sides, third.exercise.tempo) == ("both", 2_000)


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("title: T\nsteps:\n  - say: a\x1fb\n", 3, 11, "the character U+001F is not allowed"),
        ("title: T\u2028steps: \x07\n", 2, 8, "the character U+0007 is not allowed"),
        ("title: T\nsteps: [{say: !!float x}]\n", 2, 15, "'x' is not a valid float"),
        ("title: !!bool maybe\nsteps: []\n", 1, 8, "'maybe' is not a valid bool"),
        ("title: !!timestamp 2001-13-01\nsteps: []\n", 1, 8, "not a valid timestamp"),
        ("title: T\nsteps: [{say: !!python/name:os.system x}]\n", 2, 15, "unknown tag"),
        ('"\\x1Ftitle": T\nsteps: [{say: x}]\n', 1, 1, "unknown key '\\x1ftitle'"),
        ("yes: T\nsteps: [{say: x}]\n", 1, 1, "unknown key 'yes'"),
    ],
)
def test_odd_yaml_is_refused_at_its_place_on_one_line(tmp_path, text, line, column, message):
    with pytest.raises(VoiceroutineError) as caught:
        _load(tmp_path, text)
    shown = str(caught.value)
    assert shown.startswith(f"{tmp_path / 'routine.yaml'}:{line}:{column}: "), shown
    assert message in shown
    assert shown.isprintable()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("  - sound: " + "a" * 999, "cannot use the sound file"),
        ("  - sound: ~no-such-user-here/bell.wav", "cannot use the sound file"),
        ("library: " + "a" * 999 + ".yaml", "is not a valid file name"),
    ],
    ids=["sound-name-too-long", "unknown-home", "library-name-too-long"],
)
def test_file_names_the_system_cannot_use_are_refused_at_their_place(tmp_path, line, expected):
    text = f"title: Files\nsteps:\n  - say: Hello.\n{line}\n"
    if line.startswith("library"):
        text = f"title: Files\n{line}\nsteps:\n  - say: Hello.\n"
    with pytest.raises(VoiceroutineError) as caught:
        _load(tmp_path, text)
    where = "2:10" if line.startswith("library") else "4:12"
    assert str(caught.value).startswith(f"{tmp_path / 'routine.yaml'}:{where}: ")
    assert expected in str(caught.value)


def test_an_empty_tagged_float_is_refused_at_its_place(tmp_path):
    with pytest.raises(VoiceroutineError) as caught:
        _load(tmp_path, 'title: T\nsteps:\n  - pause: !!float ""\n')
    assert str(caught.value).startswith(f"{tmp_path / 'routine.yaml'}:3:12: ")
    assert "'' is not a valid float" in str(caught.value)


def _warnings_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "routine.yaml"
    path.write_text(text, encoding="utf-8")
    warnings: list[SourceWarning] = []
    load_routine(path, warnings=warnings)
    return [str(warning).removeprefix(f"{path}:") for warning in warnings]


def test_a_number_with_a_leading_zero_is_warned_about_at_its_place(tmp_path):
    text = "title: T\nsteps:\n  - exercise: bridge\n    reps: 010\n"
    routine = _load(tmp_path, text)
    assert routine.steps[0].reps == 8  # YAML 1.1, as every YAML reader reads it
    assert _warnings_of(tmp_path, text) == [
        "4:11: YAML reads 010 as the octal number 8; write the number without its leading zero"
    ]


def test_a_flow_list_that_splits_a_sentence_is_warned_about(tmp_path):
    text = (
        "title: T\nsteps:\n  - exercise: bridge\n"
        "    instructions: [Rise up onto your toes, then lower slowly.]\n"
    )
    assert _load(tmp_path, text).steps[0].exercise.instructions == [
        "Rise up onto your toes",
        "then lower slowly.",
    ]
    (warning,) = _warnings_of(tmp_path, text)
    assert warning.startswith("4:19: the commas in this [...] list split 'Rise up onto")
    assert "in quotes" in warning


@pytest.mark.parametrize(
    "lines",
    [
        "[Relax, breathe]",  # two one-word cues
        "[Lie on your back., Bend your knees.]",  # two sentences
        '["Rise up onto your toes, then lower slowly."]',  # quoted
        "[Rise up, 'then lower slowly.']",  # the second is quoted: written as meant
    ],
)
def test_flow_lists_written_as_meant_get_no_warning(tmp_path, lines):
    text = f"title: T\nsteps:\n  - exercise: bridge\n    cues: {lines}\n    reps: 10\n"
    assert _warnings_of(tmp_path, text) == []
