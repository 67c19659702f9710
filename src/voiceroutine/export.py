"""Write a session's files (audio, timeline JSON, WebVTT, chapters): all of them appear, or none."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from voiceroutine.errors import VoiceroutineError
from voiceroutine.interrupts import signals_held
from voiceroutine.timeline import ChapterSpan, Timeline

T = TypeVar("T")

PODCAST_CHAPTERS_VERSION = "1.2.0"


@dataclass(frozen=True)
class SessionFiles:
    audio: Path
    timeline: Path
    subtitles: Path
    chapters: Path
    """Podcasting 2.0 chapters (JSON), for feeds and the players that read them."""

    def all(self) -> tuple[Path, Path, Path, Path]:
        return (self.audio, self.timeline, self.subtitles, self.chapters)


def session_files(out_dir: Path, stem: str, extension: str) -> SessionFiles:
    return SessionFiles(
        out_dir / f"{stem}.{extension}",
        out_dir / f"{stem}.json",
        out_dir / f"{stem}.vtt",
        out_dir / f"{stem}.chapters.json",
    )


def write_session(files: SessionFiles, timeline: Timeline, write_audio: Callable[[Path], T]) -> T:
    """Write all four files to temporary names beside their targets, then rename them in place.

    `write_audio(path)` writes the audio into `path`; what it returns is returned.

    If anything fails (or the build is interrupted), the temporary files are
    removed and whatever was there before is left untouched.
    """
    folder = files.audio.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise VoiceroutineError(
            f"cannot create the output folder {folder}: {error.strerror}"
        ) from None
    with _temporaries(files.all()) as temporaries:
        audio, timeline_file, subtitles, chapters = temporaries
        written = write_audio(audio)
        timeline_file.write_text(_json(timeline.to_json()), encoding="utf-8")
        subtitles.write_text(to_webvtt(timeline), encoding="utf-8")
        chapters.write_text(_json(podcast_chapters(timeline)), encoding="utf-8")
        # The audio first: if it cannot be put in place, the old set stays as it was. An
        # interrupt waits until the whole set is in place: never a new audio with old subtitles.
        with signals_held():
            for temporary, target in zip(temporaries, files.all(), strict=True):
                os.chmod(temporary, 0o644)  # mkstemp makes files private; outputs are shared
                os.replace(temporary, target)
    return written


def _json(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def podcast_chapters(timeline: Timeline) -> dict[str, object]:
    """The chapters in the Podcasting 2.0 JSON chapters format (times in seconds)."""
    return {
        "version": PODCAST_CHAPTERS_VERSION,
        "title": timeline.title,
        "chapters": [_podcast_chapter(chapter) for chapter in timeline.chapters],
    }


def _podcast_chapter(chapter: ChapterSpan) -> dict[str, object]:
    return {
        "startTime": chapter.start_ms / 1000,
        "endTime": chapter.end_ms / 1000,
        "title": chapter.title,
    }


def write_together(contents: dict[Path, bytes]) -> None:
    """Write each file's bytes to a temporary name beside it, then put them all in place at
    once: an interrupt or a failure leaves every file as it was, never half of a set."""
    targets = list(contents)
    with _temporaries(targets) as temporaries:
        for temporary, target in zip(temporaries, targets, strict=True):
            temporary.write_bytes(contents[target])
        with signals_held():
            for temporary, target in zip(temporaries, targets, strict=True):
                os.chmod(temporary, 0o644)
                os.replace(temporary, target)


@contextlib.contextmanager
def _temporaries(targets: Sequence[Path]) -> Iterator[list[Path]]:
    made: list[Path] = []
    try:
        for target in targets:
            with signals_held():  # made and noted at once: an interrupt cannot come between
                handle, name = tempfile.mkstemp(
                    dir=target.parent, prefix=f".{target.name}.", suffix=".partial"
                )
                os.close(handle)
                made.append(Path(name))
        yield made
    except OSError as error:
        raise VoiceroutineError(
            f"cannot write to {targets[0].parent}: {error.strerror or error}"
        ) from None
    finally:
        for path in made:
            path.unlink(missing_ok=True)


def to_webvtt(timeline: Timeline) -> str:
    """One WebVTT cue per spoken line."""
    lines = ["WEBVTT", ""]
    for cue in timeline.cues:
        if cue.kind == "speech" and cue.text:
            lines.append(f"{_vtt_time(cue.start_ms)} --> {_vtt_time(cue.end_ms)}")
            lines.append(_vtt_text(cue.text))
            lines.append("")
    return "\n".join(lines)


def _vtt_text(text: str) -> str:
    """Cue text on one line, with the characters WebVTT reserves escaped."""
    flat = " ".join(text.split())
    return flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _vtt_time(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"
