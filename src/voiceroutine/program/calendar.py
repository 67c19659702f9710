"""The course as a calendar, program.ics: one event per scheduled day, written with icalendar."""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from voiceroutine.program.course import Course
    from voiceroutine.program.index import IndexedDay


def first_monday_after(today: datetime.date) -> datetime.date:
    """Where a course without a `start` begins in its calendar: today if it is a Monday, else
    the next Monday."""
    return today + datetime.timedelta(days=-today.weekday() % 7)


def program_calendar(
    course: Course, days: list[IndexedDay], start: datetime.date, stem: str
) -> bytes:
    """The calendar of the course from `start` (the program's own `start` if it has one):
    each event is titled by the session and says its length and its file. At the
    program's `time` it is an event of the session's length, else an all-day event."""
    import icalendar

    from voiceroutine.program.course import day_date

    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//voiceroutine//program//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", course.title)
    at = _time(course.plan.time)
    stamp = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    # The course's own id: two courses built from files of the same name differ by title.
    course_id = uuid.uuid5(uuid.NAMESPACE_URL, f"voiceroutine:{stem}:{course.title}")
    # A later build's events replace an earlier one's when the calendar is imported again.
    sequence = int(stamp.timestamp()) // 60
    for indexed in days:
        day = indexed.day
        date = day.date or day_date(start, day.week, day.weekday)
        session = course.sessions[day.session].routine.title
        minutes = max(1, round(indexed.duration_ms / 60_000))
        event = icalendar.Event()
        event.add("uid", f"{course_id}-w{day.week:02d}-{day.weekday}@voiceroutine")
        event.add("dtstamp", stamp)
        event.add("sequence", sequence)
        event.add("summary", f"{course.title}: {session}")
        event.add(
            "description",
            f"Week {day.week} of {course.plan.weeks}, {session}: about {minutes} min. "
            f"Play {indexed.file}.",
        )
        if at is None:
            event.add("dtstart", date)
            event.add("dtend", date + datetime.timedelta(days=1))
        else:
            event.add("dtstart", datetime.datetime.combine(date, at))  # the listener's local time
            event.add("duration", datetime.timedelta(milliseconds=indexed.duration_ms))
        calendar.add_component(event)
    return calendar.to_ical()


def _time(written: str | None) -> datetime.time | None:
    if written is None:
        return None
    hours, minutes = written.split(":")
    return datetime.time(int(hours), int(minutes))
