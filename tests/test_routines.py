"""Every bundled routine and program checks clean, and every routine builds, in each of the four
languages."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from audio_tools import decode
from voiceroutine import api
from voiceroutine.library.catalogue import load_catalogue
from voiceroutine.tts.pyttsx3_engine import Pyttsx3Engine

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = sorted((ROOT / "routines").glob("*.yaml"))
PROGRAMS = [path for path in BUNDLED if "program" in yaml.safe_load(path.read_text("utf-8"))]
ROUTINES = [path for path in BUNDLED if path not in PROGRAMS]
LANGUAGES = ["en", "de", "es", "fr"]
ESPEAK_VOICES = {"en": "gmw/en", "de": "gmw/de", "es": "roa/es", "fr": "roa/fr"}


def in_language(data: dict, language: str) -> dict:
    return {**data, "voice": {**data.get("voice", {}), "language": language}}


def shortened(data: dict) -> dict:
    """The same routine with every hold, rest and repetition cut short, to build fast."""
    exercises = load_catalogue("en").exercises
    data = {**data, "defaults": {**data.get("defaults", {}), "get_ready": "1s"}}
    data["defaults"]["rest_between_exercises"] = "1s"

    def shorten(step: dict) -> dict:
        step = dict(step)
        if "exercise" in step:
            entry = step["exercise"]
            definition = exercises[entry] if isinstance(entry, str) else None
            holds = "hold" in step or (definition and definition.hold) or "hold" in entry
            step.update(reps=1, sets=1, rest_between="0s")
            if holds:
                step["hold"] = "2s"
            else:
                step["tempo"] = "1s"  # a tempo beside a hold is refused
        elif "breathe" in step:
            step.pop("duration", None)
            step["cycles"] = 1
        elif "rest" in step:
            step["rest"] = "1s"
        elif "pause" in step:
            step["pause"] = "1s"
        elif "repeat" in step:
            step.update(repeat=1, steps=[shorten(inner) for inner in step["steps"]])
        return step

    data["steps"] = [shorten(step) for step in data["steps"]]
    return data


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("routine", ROUTINES, ids=[path.stem for path in ROUTINES])
def test_every_routine_checks_clean_in_every_language(
    routine: Path, language: str, tmp_path: Path
) -> None:
    data = in_language(yaml.safe_load(routine.read_text(encoding="utf-8")), language)
    copy = tmp_path / routine.name
    copy.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    timeline = api.check(copy)
    assert 5 * 60_000 <= timeline.duration_ms <= 20 * 60_000
    if language == "en":
        assert [w.message for w in timeline.warnings] == []


@pytest.fixture(scope="module")
def engine() -> Pyttsx3Engine:
    return Pyttsx3Engine()


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("routine-cache")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("routine", ROUTINES, ids=[path.stem for path in ROUTINES])
def test_every_routine_builds_in_every_language(
    routine: Path, language: str, tmp_path: Path, engine: Pyttsx3Engine, shared_cache: Path
) -> None:
    data = shortened(in_language(yaml.safe_load(routine.read_text(encoding="utf-8")), language))
    copy = tmp_path / routine.name
    copy.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    options = api.BuildOptions(out_dir=tmp_path / "out", audio_format="wav", cache_dir=shared_cache)
    result = api.build(copy, options, engine=engine)
    decoded_ms = len(decode(result.audio)) * 1000 / 44_100
    assert abs(decoded_ms - result.timeline.duration_ms) <= 50
    spoken = [cue.text for cue in result.timeline.cues if cue.kind == "speech"]
    assert len(spoken) > 10
    compiled = api.compile_file(copy)
    assert engine.identity(compiled.voice)["voice"] == ESPEAK_VOICES[language]


def catalogue_ids(steps: list[dict]) -> set[str]:
    ids: set[str] = set()
    for step in steps:
        if isinstance(step.get("exercise"), str):
            ids.add(step["exercise"])
        ids |= catalogue_ids(step.get("steps", []))
    return ids


def test_the_german_evening_speaks_the_german_catalogue(tmp_path: Path) -> None:
    data = in_language(yaml.safe_load((ROOT / "routines" / "evening.yaml").read_text()), "de")
    copy = tmp_path / "evening.yaml"
    copy.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    texts = set(api.compile_file(copy).plan.texts())
    used = catalogue_ids(data["steps"])
    assert len(used) >= 4
    german, english = load_catalogue("de").exercises, load_catalogue("en").exercises
    for exercise_id in used:
        assert f"{german[exercise_id].name}." in texts
        assert german[exercise_id].setup[0] in texts
        assert f"{english[exercise_id].name}." not in texts


@pytest.mark.parametrize("routine", ROUTINES, ids=[path.stem for path in ROUTINES])
def test_the_estimate_is_within_one_percent_and_warns_only_of_what_the_build_does(
    routine: Path, engine: Pyttsx3Engine, shared_cache: Path
) -> None:
    # The estimate is fitted to eSpeak NG (scripts/calibrate_estimate.py); the real length is
    # scheduled from every line spoken, as a build schedules it.
    compiled = api.compile_file(routine)
    estimate = api.estimated_timeline(compiled)
    real = api.spoken_timeline(compiled, engine, shared_cache)[0]
    estimated, spoken = estimate.duration_ms, real.duration_ms
    assert estimated == pytest.approx(spoken, rel=0.01), f"{estimated / spoken - 1:+.2%}"
    # check warns only of what the build does: a count it drops, the build drops too.
    dropped = {w.message.split(" does not fit")[0] for w in real.warnings}
    assert {w.message.split(" does not fit")[0] for w in estimate.warnings} <= dropped


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("program", PROGRAMS, ids=[path.stem for path in PROGRAMS])
def test_every_program_checks_clean_in_every_language(
    program: Path, language: str, tmp_path: Path
) -> None:
    data = in_language(yaml.safe_load(program.read_text(encoding="utf-8")), language)
    copy = tmp_path / program.name
    copy.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    warnings: list[object] = []
    checked = api.check_program(copy, warn=warnings.append)
    assert warnings == []
    lengths = [day.duration_ms for day in checked.days]
    assert min(lengths) >= 4 * 60_000 and max(lengths) <= 25 * 60_000


def test_the_six_week_course_stretches_daily_strengthens_three_times_and_eases_in_week_4() -> None:
    from voiceroutine.program.changes import doses
    from voiceroutine.program.course import load_course

    course = load_course(ROOT / "routines" / "six-week-back.yaml")
    assert course.plan.weeks == 6 and course.plan.easy_weeks == (4,)
    assert len(course.plan.schedule) == 7
    assert sum(session == "strength" for session in course.plan.schedule.values()) == 3

    def longest_hold(week: int) -> int:
        return max(dose.values.get("hold", 0) for dose in doses(course, "stretch", week))

    assert [longest_hold(week) for week in range(1, 7)] == [
        10_000, 15_000, 20_000, 10_000, 30_000, 30_000,
    ]  # fmt: skip
