"""Gather what the site and the feed show of one built routine: its text, files and timeline."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voiceroutine.access import NO_ALLOWANCES, Allowances
from voiceroutine.audio.formats import format_of_suffix
from voiceroutine.errors import Place, VoiceroutineError
from voiceroutine.share.named import NamedFile, named_files
from voiceroutine.timeline import ChapterSpan

if TYPE_CHECKING:
    from voiceroutine.build import BuildResult

TIMED_KINDS = {
    "hold": "Hold",
    "rest": "Rest",
    "breath-hold": "Hold your breath",
    "get-ready": "Get ready",
}
"""The timed periods whose time left the player shows, and how it names them."""


@dataclass(frozen=True)
class Countdown:
    """A hold or rest: the player counts down the time left in it."""

    label: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Episode:
    """One built routine, ready to publish: `slug` is the routine file's stem."""

    slug: str
    title: str
    description: str | None
    author: str | None
    language: str
    duration_ms: int
    exercises: tuple[str, ...]
    chapters: tuple[ChapterSpan, ...]
    periods: tuple[Countdown, ...]
    source: Path
    audio: Path
    subtitles: Path
    chapters_file: Path
    timeline_file: Path
    cover: Path | None
    library: Path | None
    named: tuple[NamedFile, ...]
    """Every file the routine names, at its path from the routine's folder."""
    build_id: str
    built_at: datetime.datetime

    @property
    def media_type(self) -> str:
        audio_format = format_of_suffix(self.audio.suffix)
        return audio_format.media_type if audio_format else "application/octet-stream"

    @property
    def audio_size(self) -> int:
        return self.audio.stat().st_size


def episode(path: Path, result: BuildResult, allowances: Allowances = NO_ALLOWANCES) -> Episode:
    """The episode for the routine at `path`, from the files its build wrote."""
    from voiceroutine.library.phrasebook import load_phrasebook
    from voiceroutine.loader import load_routine

    routine = load_routine(path, allowances)
    timeline = _read_timeline(result.timeline_file)
    phrases = load_phrasebook(routine.voice.language)
    framing = {phrases.first(key) for key in ("chapter_intro", "chapter_outro", "chapter_rest")}
    chapters = tuple(
        ChapterSpan(str(c["title"]), int(c["start_ms"]), int(c["end_ms"]))
        for c in timeline["chapters"]
    )
    exercises = tuple(dict.fromkeys(c.title for c in chapters if c.title not in framing))
    periods = tuple(
        Countdown(TIMED_KINDS[s["kind"]], int(s["start_ms"]), int(s["end_ms"]))
        for s in timeline.get("segments", [])
        if s["kind"] in TIMED_KINDS
    )
    built = datetime.datetime.fromtimestamp(result.audio.stat().st_mtime, datetime.timezone.utc)
    library = (path.parent / routine.library).resolve() if routine.library else None
    return Episode(
        slug=path.stem,
        title=routine.title,
        description=routine.description,
        author=routine.author,
        language=routine.voice.language,
        duration_ms=int(timeline["duration_ms"]),
        exercises=exercises,
        chapters=chapters,
        periods=periods,
        source=path,
        audio=result.audio,
        subtitles=result.subtitles,
        chapters_file=result.chapters_file or result.audio.with_suffix(".chapters.json"),
        timeline_file=result.timeline_file,
        cover=Path(routine.cover) if routine.cover else None,
        library=library,
        named=tuple(named_files(path, routine)),
        build_id=result.build_id,
        built_at=built.replace(microsecond=0),
    )


def _read_timeline(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise VoiceroutineError(f"cannot read the timeline: {error}", Place(path)) from None
    if not isinstance(data, dict) or "chapters" not in data or "duration_ms" not in data:
        raise VoiceroutineError("not a voiceroutine timeline file", Place(path))
    return data
