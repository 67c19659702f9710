"""Loading routine files: every bad file is reported as PATH:LINE:COL: message.

Each file in tests/data/bad/ holds one problem and starts with a comment line
`# expect: LINE:COL: substring` naming where the error must be reported and a
piece of its message.
"""

import re
from pathlib import Path

import pytest

from voiceroutine.errors import VoiceroutineError
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
    first_line = path.read_text(encoding="utf-8").split("\n", 1)[0]
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
    assert routine.voice.engine == "pyttsx3"
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
        f"    tempo: {written}\n"
        f"  - breathe: {{inhale: {written}, exhale: 4}}\n"
        f"    duration: {written}\n",
    )
    pause, rest, exercise, breathe = routine.steps
    assert routine.defaults.rest_between_sets == expected_ms
    assert isinstance(pause, PauseStep)
    assert pause.pause == expected_ms
    assert isinstance(rest, RestStep)
    assert rest.rest == expected_ms
    assert exercise.exercise.hold == expected_ms
    assert exercise.tempo == expected_ms
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
