"""Programs: how doses grow over the weeks, which steps play when, and problems at their place."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest

from cli_tools import run_cli
from voiceroutine import api
from voiceroutine.errors import VoiceroutineError
from voiceroutine.program.changes import doses
from voiceroutine.program.course import Course, load_course
from voiceroutine.program.model import CountRule, DurationRule
from voiceroutine.program.progression import dose_in_week

PROGRAM = """\
title: Six weeks to a stronger back
voice: {rate: 140}
defaults: {rest_between_exercises: 10s}
program:
  weeks: 6
  start: 2027-01-06
  schedule:
    mon: strength
    tue: stretch
    wed: strength
  progress:
    hold: {add: 5s, every: 1, up_to: 30s}
    reps: {add: 1, every: 2, up_to: 10}
    rest_between: {add: -1s, down_to: 2s}
  easy_weeks: [4]
sessions:
  strength:
    title: Strength
    steps:
      - exercise: bridge
        reps: 5
        hold: 5s
        rest_between: 4s
      - exercise: side-plank
        from_week: 3
        progress: {hold: {add: 5s, every: 1, up_to: 20s}}
      - repeat: 2
        steps:
          - breathe: box
            progress: {cycles: {add: 1, every: 1, up_to: 8}}
          - pause: 3s
            until_week: 2
  stretch:
    title: Stretch
    steps:
      - exercise: knee-to-chest
        progress: none
"""


@pytest.fixture
def course(tmp_path: Path) -> Course:
    path = tmp_path / "six.yaml"
    path.write_text(PROGRAM, encoding="utf-8")
    return load_course(path)


def week_doses(course: Course, session: str, week: int) -> dict[str, dict[str, int]]:
    return {dose.name: dose.values for dose in doses(course, session, week)}


def test_a_rule_adds_every_few_weeks_from_the_first_week_and_stops_at_its_limit() -> None:
    hold = DurationRule(add="5s", every=1, up_to="30s")
    assert [dose_in_week(10_000, hold, week, 1, False) for week in range(1, 8)] == [
        10_000, 15_000, 20_000, 25_000, 30_000, 30_000, 30_000,
    ]  # fmt: skip
    reps = CountRule(add=1, every=2, up_to=10)
    assert [dose_in_week(5, reps, week, 1, False) for week in range(1, 7)] == [5, 5, 6, 6, 7, 7]
    # Counted from the week the step first plays, and an easy week plays the written dose.
    assert [dose_in_week(5, reps, week, 3, False) for week in range(3, 8)] == [5, 5, 6, 6, 7]
    assert dose_in_week(10_000, hold, 4, 1, True) == 10_000
    shrink = DurationRule(add="-1s", every=1, down_to="2s")
    assert [dose_in_week(4000, shrink, week, 1, False) for week in range(1, 6)] == [
        4000, 3000, 2000, 2000, 2000,
    ]  # fmt: skip
    assert dose_in_week(4000, None, 5, 1, False) == 4000


def test_each_week_of_a_course_plays_its_grown_doses(course: Course) -> None:
    weeks = [week_doses(course, "strength", week) for week in range(1, 7)]
    assert [w["Bridge"]["hold"] for w in weeks] == [5000, 10_000, 15_000, 5000, 25_000, 30_000]
    assert [w["Bridge"]["reps"] for w in weeks] == [5, 5, 6, 5, 7, 7]
    assert [w["Bridge"]["rest_between"] for w in weeks] == [4000, 3000, 2000, 4000, 2000, 2000]
    # The side plank joins in week 3 with the catalogue's dose; its own rule replaces the
    # program's hold rule (up to 20 s), and the program's reps rule counts from week 3.
    assert ["Side plank" in w for w in weeks] == [False, False, True, True, True, True]
    side = [w["Side plank"] for w in weeks[2:]]
    assert [s["hold"] for s in side] == [15_000, 15_000, 20_000, 20_000]
    assert [s["reps"] for s in side] == [2, 2, 3, 3]
    # Inside a repeat: the breathing grows by its own rule, the pause ends after week 2.
    assert [w["Box breathing"]["cycles"] for w in weeks] == [4, 5, 6, 4, 8, 8]
    assert ["pause 3.2" in w for w in weeks] == [True, True, False, False, False, False]


def test_progress_none_keeps_a_step_as_written(course: Course) -> None:
    holds = {week_doses(course, "stretch", week)["Knee to chest"]["hold"] for week in range(1, 7)}
    assert len(holds) == 1


def test_days_follow_the_schedule_from_the_start_date(course: Course) -> None:
    assert len(course.days) == 6 * 3
    first = course.days[:3]
    # 2027-01-06 is a Wednesday: week 1 is the seven days from it, its Monday five days on.
    assert [(d.weekday, d.session) for d in first] == [
        ("wed", "strength"), ("mon", "strength"), ("tue", "stretch"),
    ]  # fmt: skip
    assert [d.date for d in first] == [
        datetime.date(2027, 1, 6), datetime.date(2027, 1, 11), datetime.date(2027, 1, 12),
    ]  # fmt: skip
    dates = [d.date for d in course.days]
    assert dates == sorted(set(dates)), "every day on a date of its own, in order"
    assert course.days[-1].week == 6


def test_check_shows_the_course_by_week_and_what_changes(tmp_path: Path) -> None:
    path = tmp_path / "six.yaml"
    path.write_text(PROGRAM, encoding="utf-8")
    result = run_cli("check", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"ok {path}: a program of 6 weeks, 18 sessions (")
    assert "4 easy" in result.stdout
    assert "* week 3, strength: " in result.stdout and "Side plank joins" in result.stdout
    checked = api.check_program(path)
    strength = [day for day in checked.days if day.session == "strength" and day.weekday == "mon"]
    lengths = [day.duration_ms for day in strength]
    assert lengths[1] > lengths[0] and lengths[3] < lengths[2]  # growing, then an easy week
    # Monday and Wednesday play the same session in a week: one file to build for both. Each
    # week's sessions differ from the last week's, if only in the week their intro names.
    assert checked.distinct_sessions == 6 * 2


BASE = """\
title: T
program:
  weeks: 2
  schedule: {mon: a, tue: b}
  progress:
    hold: {add: 5s, up_to: 30s}
sessions:
  a:
    steps:
      - exercise: bridge
        hold: 5s
  b:
    steps:
      - breathe: box
"""


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("tue: b}", "tue: bb}", r"4:27: no session named 'bb' \(did you mean 'b'\?\)"),
        ("mon: a,", "mnn: a,", r"4:19: mnn: input should be 'mon', 'tue'"),
        ("up_to: 30s", "up_to: 3s", r"6:11: the hold rule's up_to \(3 s\) is below the dose"),
        ("weeks: 2", "weeks: 53", r"3:10: weeks: input should be less than or equal to 52"),
        ("        hold: 5s\n", "        hold: 5s\n        from_week: 3\n",
         r"10:9: from_week 3 is after the last week \(2\)"),
        ("        hold: 5s\n", "        hold: 5s\n        from_week: 2\n        until_week: 1\n",
         r"10:9: until_week 1 is before the step's first week \(2\)"),
        ("      - breathe: box\n",
         "      - breathe: box\n        progress: {hold: {add: 1s, up_to: 9s}}\n",
         r"14:9: this step has no hold to progress \(its doses: cycles\)"),
        ("        hold: 5s\n", "        hold: 5s\n        form_week: 2\n",
         r"12:9: unknown key 'form_week' \(did you mean 'from_week'\?\)"),
        ("{add: 5s, up_to: 30s}", "{add: 5s}",
         r"6:11: hold: a growing rule \(add above 0\) needs up_to"),
        ("title: T\n", "title: T\nsteps:\n  - say: Hello.\n",
         r"2:1: a program's steps belong to its sessions"),
    ],
    ids=["unknown-session", "weekday", "up-to-below", "weeks", "from-week", "until-week",
         "no-such-dose", "misspelt-key", "no-limit", "top-level-steps"],
)  # fmt: skip
def test_a_bad_program_is_refused_at_its_place(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in BASE
    path = tmp_path / "p.yaml"
    path.write_text(BASE.replace(old, new), encoding="utf-8")
    with pytest.raises(VoiceroutineError, match=f"^{re.escape(str(path))}:{expected}") as caught:
        load_course(path)
    assert caught.value.place is not None
    result = run_cli("check", str(path), cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {path}:")


def test_a_session_no_day_uses_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(BASE.replace("tue: b}", "tue: a}"), encoding="utf-8")
    result = run_cli("check", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"warning: {path}:12:3: no day of the schedule uses the session 'b'" in result.stderr


def test_the_documented_program_loads_and_checks(tmp_path: Path) -> None:
    doc = (Path(__file__).parent.parent / "docs" / "programs.md").read_text(encoding="utf-8")
    example = doc.split("```yaml\n")[1].split("```", 1)[0]
    path = tmp_path / "course.yaml"
    path.write_text(example, encoding="utf-8")
    course = load_course(path)
    assert len(course.days) == 30 and course.plan.easy_weeks == (4,)
    result = run_cli("check", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_plan_shows_the_session_of_one_day_of_the_course(tmp_path: Path) -> None:
    path = tmp_path / "six.yaml"
    path.write_text(PROGRAM, encoding="utf-8")
    result = run_cli("plan", str(path), "--week", "3", "--day", "wed", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    timeline = json.loads(result.stdout)
    spoken = [cue["text"] for cue in timeline["cues"] if cue["kind"] == "speech"]
    assert timeline["title"] == "Strength"
    assert spoken[1].startswith("Week three of six. Holds are now fifteen seconds.")
    assert "Side plank." in spoken  # it joins in week 3
    shown = run_cli("plan", str(path), "--week", "3", "--day", "wed", cwd=tmp_path)
    assert shown.stdout.startswith("week 3, wed: Strength (")
    first = run_cli("plan", str(path), "--json", cwd=tmp_path)  # week 1's first day
    assert "Side plank." not in first.stdout and '"Week one of six."' in first.stdout
    missing = run_cli("plan", str(path), "--week", "3", "--day", "sat", cwd=tmp_path)
    assert missing.returncode == 1
    assert missing.stderr == (
        f"error: {path}: no session on sat in week 3; its sessions are on: wed, mon, tue\n"
    )
    beyond = run_cli("plan", str(path), "--week", "7", cwd=tmp_path)
    assert beyond.returncode == 1 and "the course has weeks 1 to 6" in beyond.stderr
    routine = tmp_path / "one.yaml"
    routine.write_text("title: One\nsteps:\n  - say: Hello there.\n", encoding="utf-8")
    usage = run_cli("plan", str(routine), "--day", "mon", cwd=tmp_path)
    assert usage.returncode == 2 and "is a routine" in usage.stderr


def test_new_starts_a_program_that_checks(tmp_path: Path) -> None:
    path = tmp_path / "course.yaml"
    result = run_cli("new", str(path), "--program", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert path.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=")
    checked = run_cli("check", str(path), cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "a program of 4 weeks, 12 sessions" in checked.stdout
    bundled = run_cli("new", str(tmp_path / "six.yaml"), "--from", "six-week-back", cwd=tmp_path)
    assert bundled.returncode == 0, bundled.stderr
    assert load_course(tmp_path / "six.yaml").plan.weeks == 6
    both = run_cli("new", str(tmp_path / "x.yaml"), "--program", "--from", "evening", cwd=tmp_path)
    assert both.returncode == 2 and not (tmp_path / "x.yaml").exists()


def test_share_refuses_a_program_and_says_where_its_files_are(tmp_path: Path) -> None:
    path = tmp_path / "six.yaml"
    path.write_text(PROGRAM, encoding="utf-8")
    shared = run_cli("build", str(path), "--share", cwd=tmp_path)
    assert shared.returncode == 2 and "--share packs one routine" in shared.stderr
    assert not (tmp_path / "output").exists()


@pytest.mark.parametrize(
    ("language", "week_two"),
    [
        ("en", "Week two of six. Holds are now ten seconds."),
        ("de", "Woche zwei von sechs. Du hältst jetzt zehn Sekunden."),
        ("fr", "Semaine deux sur six. Les maintiens durent maintenant dix secondes."),
        ("es", "Semana dos de seis. Ahora mantienes diez segundos."),
    ],
)
def test_each_session_says_its_week_in_the_routines_language(
    language: str, week_two: str, tmp_path: Path
) -> None:
    path = tmp_path / "six.yaml"
    path.write_text(PROGRAM.replace("voice: {rate: 140}", f"voice: {{language: {language}}}"))
    course = load_course(path)
    first, second = (course.routine("strength", week).intro for week in (1, 2))
    assert first.before.startswith(("Week one", "Woche eins", "Semaine un", "Semana uno"))
    assert first.after is None  # week 1 has nothing to go back to
    assert second.before.startswith(week_two)
    assert second.after is not None and len(second.after) > 40
    easy = course.routine("strength", 4).intro.before
    assert course.plan.easy_weeks == (4,) and len(easy.split(". ")) >= 2


def test_a_dose_only_some_steps_changed_is_said_for_those_steps(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_text(
        """\
title: Mixed
program:
  weeks: 3
  schedule: {mon: one}
  progress:
    reps: {add: -1, every: 1, down_to: 1}
sessions:
  one:
    title: One
    steps:
      - exercise: {name: Bridge, reps: 2, hold: 10s}
        progress: {hold: {add: 5s, up_to: 20s}}
      - exercise: {name: Plank, reps: 1, hold: 30s}
""",
        encoding="utf-8",
    )
    course = load_course(path)
    # Only the bridge's hold grew: not "Holds are now fifteen seconds", which the plank's 30 s
    # would belie; and a count of one in the singular.
    assert course.routine("one", 2).intro.before == (
        "Week two of three. Bridge: now hold for fifteen seconds. You now do one repetition."
    )
    german = path.read_text().replace("title: Mixed", "title: Mixed\nvoice: {language: de}")
    path.write_text(german, encoding="utf-8")
    assert load_course(path).routine("one", 2).intro.before == (
        "Woche zwei von drei. Bridge: jetzt fünfzehn Sekunden halten. "
        "Du machst jetzt eine Wiederholung."
    )


def test_two_courses_named_alike_have_calendar_events_of_their_own(tmp_path: Path) -> None:
    import icalendar

    from voiceroutine.program.calendar import program_calendar
    from voiceroutine.program.index import IndexedDay

    uids = []
    for folder, title in (("a", "Six weeks to a stronger back"), ("b", "Another course")):
        path = tmp_path / folder / "back.yaml"
        path.parent.mkdir()
        path.write_text(PROGRAM.replace("Six weeks to a stronger back", title), encoding="utf-8")
        course = load_course(path)
        days = [IndexedDay(day, "x.mp3", 60_000) for day in course.days]
        calendar = icalendar.Calendar.from_ical(
            program_calendar(course, days, datetime.date(2027, 1, 6), "back")
        )
        events = list(calendar.walk("VEVENT"))
        assert all(int(event["sequence"]) > 0 for event in events)
        uids.append({str(event["uid"]) for event in events})
    assert len(uids[0]) == len(uids[1]) == 18 and not uids[0] & uids[1]


def test_an_unquoted_time_is_refused_with_how_to_write_it(tmp_path: Path) -> None:
    path = tmp_path / "timed.yaml"
    path.write_text(
        PROGRAM.replace("  start: 2027-01-06\n", "  start: 2027-01-06\n  time: 19:00\n")
    )
    with pytest.raises(VoiceroutineError) as refused:
        load_course(path)
    assert str(refused.value) == f'{path}:7:9: time: write the time in quotes, as time: "19:00"'
