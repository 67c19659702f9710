"""Publish a program as a site of its own: the course page with a tracker, and its podcast.

The page lists every scheduled day by week, today's first, each with its
session to play; a listener marks a day done and notes how the back felt
(0-10), kept in the browser alone (course.js). The feed has one episode per
scheduled day in course order: its week as the season, its place as the
episode number, its date (with a `start`) as the publication date.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voiceroutine import __version__
from voiceroutine.audio.formats import format_of_suffix
from voiceroutine.program.overview import NOT_PLAYED, session_tables
from voiceroutine.share.feed import Channel, FeedItem, feed_of_items
from voiceroutine.share.layout import ARTWORK, FEED, INDEX
from voiceroutine.share.site import SiteSettings, Stage, site_templates
from voiceroutine.share.swap import replace_folder

if TYPE_CHECKING:
    from voiceroutine.program.build import ProgramResult

SESSIONS = "sessions"
STATIC_FILES = ("site.css", "icon.svg", "course.js")
WEEKDAY_NAMES = {
    "mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday",
    "fri": "Friday", "sat": "Saturday", "sun": "Sunday",
}  # fmt: skip


@dataclass(frozen=True)
class CourseDay:
    """One scheduled day as the page and the feed show it."""

    id: str
    """`w03-wed`: the day's place in the course, stable across rebuilds (the tracker's key)."""
    week: int
    weekday: str
    date: datetime.date | None
    session: str
    title: str
    audio: str
    duration_ms: int

    @property
    def shown_date(self) -> str:
        """`Wed 20 Jan 2027` (written without strftime's `%-d`, which only glibc has)."""
        assert self.date is not None
        return f"{self.date:%a} {self.date.day} {self.date:%b %Y}"

    @property
    def label(self) -> str:
        return f"Week {self.week}, {WEEKDAY_NAMES[self.weekday]}: {self.title}"


def course_days(built: ProgramResult) -> list[CourseDay]:
    """Every scheduled day of the built program, in course order."""
    course = built.course
    return [
        CourseDay(
            id=f"w{indexed.day.week:02d}-{indexed.day.weekday}",
            week=indexed.day.week,
            weekday=indexed.day.weekday,
            date=indexed.day.date,
            session=indexed.day.session,
            title=course.sessions[indexed.day.session].routine.title,
            audio=f"{SESSIONS}/{indexed.file}",
            duration_ms=indexed.duration_ms,
        )
        for indexed in built.days
    ]


def write_course_site(
    site: Path, built: ProgramResult, settings: SiteSettings, title: str | None = None
) -> None:
    """Write the program's site into `site`, replacing what the tool wrote there before; it
    is titled `title`, else by the program's own title."""
    replace_folder(site, lambda stage: _fill(stage, built, settings, title))


def _fill(
    folder: Path, built: ProgramResult, settings: SiteSettings, title: str | None
) -> list[str]:
    stage = Stage(folder)
    stage.assets(STATIC_FILES)
    days = course_days(built)
    for outcome in built.sessions:
        result = outcome.result
        assert result is not None  # a program with a failed session is not published
        chapters = result.chapters_file or result.audio.with_suffix(".chapters.json")
        for file in (result.audio, result.timeline_file, result.subtitles, chapters):
            stage.copy(f"{SESSIONS}/{file.name}", file)
    for file in (built.index, built.calendar, built.overview):
        stage.copy(file.name, file)
    course = built.course
    title = title or course.title or settings.title
    description = course.description or settings.description
    language = course.language
    page = site_templates().get_template("course.html").render(
        version=__version__, site_title=title, root="", language=language,
        title=title, description=description, stem=built.folder.name,
        weeks=_weeks(days, course.plan.easy_weeks),
        calendar=built.calendar.name, overview=built.overview.name,
        tables=session_tables(course, list(built.days)), not_played=NOT_PLAYED,
        easy=set(course.plan.easy_weeks), week_numbers=list(range(1, course.plan.weeks + 1)),
    )  # fmt: skip
    stage.put(INDEX, page)
    channel = Channel(title, description, language, settings.author, ARTWORK, settings.base_url)
    built_at = max(
        outcome.result.audio.stat().st_mtime for outcome in built.sessions if outcome.result
    )
    stage.put(FEED, feed_of_items(channel, _items(days, built, built_at), serial=True))
    return stage.written


def _weeks(days: list[CourseDay], easy: tuple[int, ...]) -> list[dict[str, Any]]:
    weeks: dict[int, list[CourseDay]] = {}
    for day in days:
        weeks.setdefault(day.week, []).append(day)
    return [
        {"number": number, "easy": number in easy, "days": in_week}
        for number, in_week in weeks.items()
    ]


def _items(days: list[CourseDay], built: ProgramResult, built_at: float) -> list[FeedItem]:
    """One feed episode per day; without dates they are dated a second apart, in order."""
    time = built.course.plan.time
    at = datetime.time(*(int(part) for part in time.split(":"))) if time else datetime.time(0)
    first = datetime.datetime.fromtimestamp(built_at, datetime.timezone.utc).replace(microsecond=0)
    results = {
        outcome.result.audio.name: outcome.result for outcome in built.sessions if outcome.result
    }
    items = []
    for number, day in enumerate(days, 1):
        result = results[day.audio.removeprefix(f"{SESSIONS}/")]
        audio_format = format_of_suffix(result.audio.suffix)
        published = (
            datetime.datetime.combine(day.date, at, datetime.timezone.utc)
            if day.date
            else first + datetime.timedelta(seconds=number)
        )
        chapters = result.chapters_file or result.audio.with_suffix(".chapters.json")
        items.append(
            FeedItem(
                title=day.label,
                description=None,
                page=f"{INDEX}#{day.id}",
                guid=f"voiceroutine:{built.folder.name}:{day.id}:{result.build_id[:16]}",
                published=published,
                audio=day.audio,
                audio_size=result.audio.stat().st_size,
                media_type=audio_format.media_type if audio_format else "audio/mpeg",
                duration_ms=day.duration_ms,
                chapters=f"{SESSIONS}/{chapters.name}",
                subtitles=f"{SESSIONS}/{result.subtitles.name}",
                season=day.week,
                number=number,
            )
        )
    return items
