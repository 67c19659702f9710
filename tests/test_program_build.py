"""Building a program: one file per distinct session, the index, the calendar, and rebuilds.

A short real program (two weeks, three days, tiny sessions) is built with
eSpeak NG and MP3, and what it wrote is decoded and measured.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from audio_tools import decode, onset_ms
from cli_tools import run_cli

PROGRAM = """\
title: Two short weeks
voice: {rate: 180}
outro: false
program:
  weeks: 2
  start: 2027-03-01
  schedule: {mon: move, wed: move, fri: rest}
  progress:
    hold: {add: 2s, every: 1, up_to: 10s}
sessions:
  move:
    title: Move
    steps:
      - exercise: {name: Bridge, reps: 1, hold: 3s}
  rest:
    title: Rest day
    steps:
      - say: Lie down and let your back be heavy.
      - pause: 2s
        progress: none
"""

ONSET_THRESHOLD_DBFS = -45.0


@dataclass(frozen=True)
class Built:
    folder: Path
    program: Path
    index: dict[str, Any]
    stdout: str


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("program")
    program = root / "course.yaml"
    program.write_text(PROGRAM, encoding="utf-8")
    result = run_cli("build", str(program), "-o", str(root / "out"), cwd=root)
    assert result.returncode == 0, result.stderr
    folder = root / "out" / "course"
    index = json.loads((folder / "program.json").read_text(encoding="utf-8"))
    return Built(folder, program, index, result.stdout)


def test_every_day_is_indexed_and_identical_sessions_share_a_file(built: Built) -> None:
    days = built.index["days"]
    assert [(d["week"], d["weekday"], d["date"], d["session"]) for d in days] == [
        (1, "mon", "2027-03-01", "move"), (1, "wed", "2027-03-03", "move"),
        (1, "fri", "2027-03-05", "rest"), (2, "mon", "2027-03-08", "move"),
        (2, "wed", "2027-03-10", "move"), (2, "fri", "2027-03-12", "rest"),
    ]  # fmt: skip
    # Monday and Wednesday play the same session in a week: one file, named after Monday.
    assert [d["file"] for d in days] == [
        "w01-mon-move.mp3", "w01-mon-move.mp3", "w01-fri-rest.mp3",
        "w02-mon-move.mp3", "w02-mon-move.mp3", "w02-fri-rest.mp3",
    ]  # fmt: skip
    audio = sorted(path.name for path in built.folder.glob("*.mp3"))
    assert audio == ["w01-fri-rest.mp3", "w01-mon-move.mp3", "w02-fri-rest.mp3", "w02-mon-move.mp3"]
    for name in audio:  # each with its side files
        stem = name.removesuffix(".mp3")
        for suffix in (".json", ".vtt", ".chapters.json"):
            assert (built.folder / f"{stem}{suffix}").is_file()
    for day in days:
        timeline = json.loads((built.folder / day["file"]).with_suffix(".json").read_text())
        assert day["duration_ms"] == timeline["duration_ms"]
    assert built.index["title"] == "Two short weeks"
    assert built.index["weeks"] == 2 and built.index["start"] == "2027-03-01"
    overview = (built.folder / "program.html").read_text(encoding="utf-8")
    assert "<h1>Two short weeks</h1>" in overview and "from 1 March 2027" in overview
    assert "wrote " + str(built.folder / "program.html") in built.stdout


def test_the_doses_in_the_index_are_the_holds_heard_in_the_files(built: Built) -> None:
    holds = {}
    for day in built.index["days"]:
        if day["session"] == "move":
            (dose,) = day["doses"]
            assert dose["exercise"] == "Bridge" and dose["reps"] == 1 and dose["sides"] == "none"
            holds[day["file"]] = dose["hold_ms"]
    assert holds == {"w01-mon-move.mp3": 3000, "w02-mon-move.mp3": 5000}
    for file, hold_ms in holds.items():
        assert abs(_measured_hold_ms(built.folder / file) - hold_ms) <= 20
    rest = next(day for day in built.index["days"] if day["session"] == "rest")
    assert rest["doses"] == [
        {"step": "2", "exercise": None, "breathing": None, "hold_ms": None, "reps": None,
         "sets": None, "sides": None, "cycles": None, "duration_ms": 2000},
    ]  # fmt: skip


def _measured_hold_ms(audio: Path) -> float:
    """From the end of the line that starts the hold to the onset of the line that ends it."""
    timeline = json.loads(audio.with_suffix(".json").read_text(encoding="utf-8"))
    samples = decode(audio)
    (hold,) = [s for s in timeline["segments"] if s["kind"] == "hold"]
    cues = [cue for cue in timeline["cues"] if cue["kind"] == "speech"]
    before = next(cue for cue in cues if cue["end_ms"] == hold["start_ms"])
    after = next(cue for cue in cues if cue["start_ms"] == hold["end_ms"])
    lo, hi = int(before["start_ms"] * 44.1), int(before["end_ms"] * 44.1) + 441
    loud = np.flatnonzero(np.abs(samples[lo:hi]) >= 10 ** (ONSET_THRESHOLD_DBFS / 20))
    sound_end = (lo + loud[-1]) / 44.1
    sound_start = onset_ms(samples, after["start_ms"] - 100, after["end_ms"], -45.0)
    assert sound_start is not None
    return sound_start - sound_end


def test_each_session_says_its_week_and_what_changed(built: Built) -> None:
    def spoken(name: str) -> list[str]:
        timeline = json.loads((built.folder / name).read_text(encoding="utf-8"))
        return [cue["text"] for cue in timeline["cues"] if cue["kind"] == "speech"]

    first, second = spoken("w01-mon-move.json"), spoken("w02-mon-move.json")
    assert "Week one of two." in first
    assert "If your back feels worse" not in " ".join(first)
    assert "Week two of two. Holds are now five seconds." in second  # after the title
    assert any(line.startswith("If your back feels worse after a session") for line in second)


def test_the_calendar_has_an_all_day_event_for_every_day(built: Built) -> None:
    import icalendar

    calendar = icalendar.Calendar.from_ical((built.folder / "program.ics").read_bytes())
    events = list(calendar.walk("VEVENT"))
    assert len(events) == len(built.index["days"]) == 6
    for event, day in zip(events, built.index["days"], strict=True):
        start = event.decoded("dtstart")
        assert not isinstance(start, datetime.datetime)  # a date: an all-day event
        assert start.isoformat() == day["date"]
        assert event.decoded("dtend") == start + datetime.timedelta(days=1)
        assert (
            str(event["summary"])
            == f"Two short weeks: {'Move' if day['session'] == 'move' else 'Rest day'}"
        )
        assert day["file"] in str(event["description"])
    assert len({str(event["uid"]) for event in events}) == 6


def test_an_unchanged_program_is_up_to_date_and_one_changed_rule_rebuilds_its_sessions(
    built: Built, tmp_path: Path
) -> None:
    again = run_cli("build", str(built.program), "-o", str(built.folder.parent), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "(0 built, 4 up to date, 0 lines spoken for the course)" in again.stdout
    before = {path.name: path.stat().st_mtime_ns for path in built.folder.glob("*.mp3")}
    # A longer pause on the rest day: only the rest day's two sessions change.
    built.program.write_text(PROGRAM.replace("pause: 2s", "pause: 3s"), encoding="utf-8")
    try:
        changed = run_cli("build", str(built.program), "-o", str(built.folder.parent), cwd=tmp_path)
    finally:
        built.program.write_text(PROGRAM, encoding="utf-8")
    assert changed.returncode == 0, changed.stderr
    assert "(2 built, 2 up to date" in changed.stdout
    after = {path.name: path.stat().st_mtime_ns for path in built.folder.glob("*.mp3")}
    rebuilt = sorted(name for name in before if after[name] != before[name])
    assert rebuilt == ["w01-fri-rest.mp3", "w02-fri-rest.mp3"]


def test_a_session_the_course_no_longer_plays_is_noted_and_left_alone(
    built: Built, tmp_path: Path
) -> None:
    old = built.folder / "w03-mon-move.mp3"  # as if the course had had a third week
    old.write_bytes((built.folder / "w02-mon-move.mp3").read_bytes())
    try:
        again = run_cli("build", str(built.program), "-o", str(built.folder.parent), cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert "note: 1 file in " in again.stderr and "w03-mon-move.mp3" in again.stderr
        assert old.exists()
    finally:
        old.unlink()


@pytest.fixture(scope="module")
def published(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("published")
    site = root / "site"
    result = run_cli(
        "publish", str(built.program), "-o", str(site), "--build-dir", str(built.folder.parent),
        cwd=root,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"published {site}: 6 days of Two short weeks" in result.stdout
    return site


def test_a_published_program_is_a_podcast_of_its_days_in_course_order(
    built: Built, published: Path
) -> None:
    import feedparser

    feed = feedparser.parse((published / "feed.xml").read_bytes())
    assert feed.bozo == 0, feed.bozo_exception
    assert feed.feed.title == "Two short weeks" and feed.feed.itunes_type == "serial"
    days = built.index["days"]
    titles = {"move": "Move", "rest": "Rest day"}
    assert [entry.title for entry in feed.entries] == [
        f"Week {d['week']}, {WEEKDAYS[d['weekday']]}: {titles[d['session']]}" for d in days
    ]
    assert [entry.itunes_season for entry in feed.entries] == ["1", "1", "1", "2", "2", "2"]
    assert [entry.itunes_episode for entry in feed.entries] == ["1", "2", "3", "4", "5", "6"]
    for entry, day in zip(feed.entries, days, strict=True):
        published_on = datetime.datetime(*entry.published_parsed[:6])
        assert published_on == datetime.datetime.fromisoformat(day["date"])  # no time: midnight
        (enclosure,) = entry.enclosures
        assert enclosure.href == f"sessions/{day['file']}"
        assert (published / enclosure.href).read_bytes() == (
            built.folder / day["file"]
        ).read_bytes()
    assert len({entry.id for entry in feed.entries}) == 6
    for name in ("program.json", "program.ics", "program.html", "index.html"):
        assert (published / name).is_file()


def test_a_program_is_published_alone(built: Built, tmp_path: Path) -> None:
    routine = tmp_path / "one.yaml"
    routine.write_text("title: One\nsteps:\n  - say: Hello there.\n", encoding="utf-8")
    both = run_cli(
        "publish", str(built.program), str(routine), "-o", str(tmp_path / "s"), cwd=tmp_path
    )
    assert both.returncode == 2 and "published as a site of its own" in both.stderr
    assert not (tmp_path / "s").exists()


WEEKDAYS = {"mon": "Monday", "wed": "Wednesday", "fri": "Friday"}
