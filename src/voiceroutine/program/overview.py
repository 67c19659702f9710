"""The course on one printable page, program.html: weeks across, each session's steps down.

Each cell holds the dose that step plays in that week; easy weeks are marked.
The page is self-contained (no script, styles inline) so that it prints and
opens anywhere: it is made to fit one A4 page for a six-week course.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from voiceroutine.names import WEEKDAYS
from voiceroutine.program.changes import Dose, doses

if TYPE_CHECKING:
    from voiceroutine.program.course import Course
    from voiceroutine.program.index import IndexedDay

TIMES = "\u00d7"
NOT_PLAYED = "\u2013"
"""What a cell shows in a week its step does not play: an en dash."""
WEEKDAY_NAMES = dict(zip(WEEKDAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))


@dataclass(frozen=True)
class Row:
    """One step of a session: its name, and its dose in each week ('' when it does not play)."""

    name: str
    cells: tuple[str, ...]


@dataclass(frozen=True)
class SessionTable:
    title: str
    days: str
    """The weekdays it plays: `Mon, Wed, Fri`."""
    lengths: tuple[str, ...]
    """Its length in each week, in whole minutes (`''` for a week it does not play)."""
    rows: tuple[Row, ...]


def overview_html(course: Course, days: list[IndexedDay]) -> str:
    """program.html's text."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    environment = Environment(
        loader=PackageLoader("voiceroutine.program", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    weeks = range(1, course.plan.weeks + 1)
    first = next((day.day.date for day in days if day.day.date), None)
    return environment.get_template("overview.html").render(
        title=course.title or "Program",
        not_played=NOT_PLAYED,
        language=course.language,
        weeks=list(weeks),
        easy=set(course.plan.easy_weeks),
        start=f"{first.day} {first:%B %Y}" if first else None,  # no %-d: glibc's alone
        sessions=session_tables(course, days),
    )


def session_tables(course: Course, days: list[IndexedDay]) -> list[SessionTable]:
    """Each session's table, in the order the sessions first play."""
    weeks = range(1, course.plan.weeks + 1)
    return [_table(course, days, name, weeks) for name in _sessions_in_order(course)]


def _sessions_in_order(course: Course) -> list[str]:
    return list(dict.fromkeys(day.session for day in course.days))


def _table(course: Course, days: list[IndexedDay], name: str, weeks: range) -> SessionTable:
    rows: dict[str, tuple[str, dict[int, str]]] = {}
    for week in weeks:
        for dose in doses(course, name, week):
            if dose.kind != "pause":  # a pause is not something to do
                rows.setdefault(dose.step, (dose.name, {}))[1][week] = dose_text(dose)
    in_order = sorted(rows, key=lambda step: tuple(int(part) for part in step.split(".")))
    length = {day.day.week: day.duration_ms for day in days if day.day.session == name}
    weekdays = [WEEKDAY_NAMES[day] for day in WEEKDAYS if course.plan.schedule.get(day) == name]  # type: ignore[call-overload]
    return SessionTable(
        course.sessions[name].routine.title,
        ", ".join(weekdays),
        tuple(f"{round(length[week] / 60_000)} min" if week in length else "" for week in weeks),
        tuple(
            Row(rows[step][0], tuple(rows[step][1].get(week, "") for week in weeks))
            for step in in_order
        ),
    )


def dose_text(dose: Dose) -> str:
    """A dose as a cell shows it: `5 x 10 s` (with a multiplication sign), `8 reps`,
    `2 sets of 5 x 10 s`, `6 cycles`."""
    values = dose.values
    if "cycles" in values:
        return f"{values['cycles']} cycles"
    if dose.kind != "exercise":
        field = "duration" if "duration" in values else "pause"
        return _seconds(values[field])
    reps = values.get("reps", 1)
    text = f"{reps} {TIMES} {_seconds(values['hold'])}" if "hold" in values else f"{reps} reps"
    sets = values.get("sets", 1)
    return f"{sets} sets of {text}" if sets > 1 else text


def _seconds(ms: int) -> str:
    if ms >= 120_000 and ms % 60_000 == 0:
        return f"{ms // 60_000} min"
    return f"{ms / 1000:g} s"
