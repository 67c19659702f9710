"""Write the static site: an index, a player page per routine, their files and the podcast feed.

Every text from a routine is escaped by the templates (autoescaping HTML) and
the feed's XML writer; the pages load nothing from other hosts.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

from voiceroutine import __version__
from voiceroutine.durations import format_duration
from voiceroutine.errors import VoiceroutineError
from voiceroutine.share.artwork import artwork_png
from voiceroutine.share.episodes import Episode
from voiceroutine.share.feed import Channel, podcast_feed
from voiceroutine.share.layout import (
    ARTWORK,
    ASSETS,
    FEED,
    INDEX,
    RESERVED,
    EpisodePaths,
    episode_paths,
    url,
)
from voiceroutine.share.swap import own_files, replace_folder

STATIC_FILES = ("site.css", "player.js", "icon.svg")
DEFAULT_TITLE = "Guided routines"
DEFAULT_DESCRIPTION = (
    "Voice-guided exercise and breathing routines to follow with your eyes closed."
)


@dataclass(frozen=True)
class SiteSettings:
    title: str = DEFAULT_TITLE
    description: str = DEFAULT_DESCRIPTION
    author: str = "voiceroutine"
    base_url: str | None = None
    """The address the site will be served from (for the feed); None keeps links relative."""


def write_site(site: Path, episodes: Sequence[Episode], settings: SiteSettings) -> list[str]:
    """Write the site for `episodes` into `site`, replacing the tool's old files in one swap.

    Returns the routines published there before that the new site no longer has
    (the site always holds exactly the routines published last), by name.
    """
    _check_slugs(episodes)
    before = sorted(
        path.removesuffix(f"/{INDEX}")
        for path in own_files(site)
        if path.endswith(f"/{INDEX}") and path.count("/") == 1
    )
    replace_folder(site, lambda stage: _fill(stage, episodes, settings))
    kept = {episode.slug for episode in episodes}
    return [slug for slug in before if slug not in kept]


def _check_slugs(episodes: Sequence[Episode]) -> None:
    seen: dict[str, Path] = {}
    for episode in episodes:
        if episode.slug in RESERVED or episode.slug.startswith("."):
            raise VoiceroutineError(
                f"a routine file cannot be named '{episode.slug}' in a site; rename it"
            )
        if episode.slug in seen:
            raise VoiceroutineError(
                f"two routines would share the page '{episode.slug}': "
                f"{seen[episode.slug]} and {episode.source}; rename one"
            )
        seen[episode.slug] = episode.source


class Stage:
    """A site's files as they are written into its staging folder, and the list of them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written: list[str] = []

    def put(self, path: str, data: bytes | str) -> None:
        """Write `data` (text as UTF-8) at `path` in the site."""
        destination = self._made(path)
        destination.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)

    def copy(self, path: str, source: Path, link: bool = True) -> None:
        """Put the file `source` at `path`, hard-linked where `link` allows (build outputs are
        replaced by new files, never changed in place), else copied."""
        destination = self._made(path)
        if link:
            with contextlib.suppress(OSError):
                os.link(source, destination)
                return
        shutil.copyfile(source, destination)

    def assets(self, names: Sequence[str]) -> None:
        """The package's static files `names`, and the site's artwork."""
        static = resources.files("voiceroutine.share") / "static"
        for name in names:
            self.put(f"{ASSETS}/{name}", static.joinpath(name).read_bytes())
        self.put(ARTWORK, artwork_png())

    def _made(self, path: str) -> Path:
        destination = self.folder / path
        destination.parent.mkdir(parents=True, exist_ok=True)
        self.written.append(path)
        return destination


def _fill(folder: Path, episodes: Sequence[Episode], settings: SiteSettings) -> list[str]:
    """Write every file of the site into `folder`; return their paths relative to it."""
    stage = Stage(folder)
    put, copy = stage.put, stage.copy
    stage.assets(STATIC_FILES)

    templates = site_templates()
    common = {"version": __version__, "site_title": settings.title}
    items = []
    for episode in episodes:
        paths = episode_paths(episode)
        copy(paths.audio, episode.audio, link=True)
        copy(paths.subtitles, episode.subtitles, link=True)
        copy(paths.chapters, episode.chapters_file, link=True)
        copy(paths.timeline, episode.timeline_file, link=True)
        copy(paths.source, episode.source, link=False)
        for source, path in zip(paths.named_sources, paths.named, strict=True):
            copy(path, source, link=False)
        facts = _facts(episode)
        page = templates.get_template("routine.html").render(
            **common,
            **facts,
            root="../",
            language=episode.language,
            episode=episode,
            files=_in_folder(paths),
            chapters=[
                {"title": c.title, "start_ms": c.start_ms, "clock": format_duration(c.start_ms)}
                for c in episode.chapters
            ],
            timeline=_player_data(episode),
        )
        put(paths.page, page)
        items.append({"episode": episode, "paths": paths, **facts})

    languages = {episode.language for episode in episodes}
    language = languages.pop() if len(languages) == 1 else "en"
    index = templates.get_template("index.html").render(
        **common, root="", language=language, items=items,
        site_description=settings.description,
    )  # fmt: skip
    put(INDEX, index)
    channel = Channel(
        title=settings.title,
        description=settings.description,
        language=language,
        author=settings.author,
        artwork=ARTWORK,
        base_url=settings.base_url,
    )
    put(FEED, podcast_feed(channel, episodes))
    return stage.written


def site_templates() -> Any:
    """The site's page templates, every text autoescaped."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    environment = Environment(
        loader=PackageLoader("voiceroutine.share", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["url"] = url
    return environment


def _facts(episode: Episode) -> dict[str, str]:
    """What the pages say about an episode's audio: its length, format and size."""
    minutes = max(1, round(episode.duration_ms / 60_000))
    return {
        "length": f"{minutes} min",
        "format": episode.audio.suffix.lstrip(".").upper(),
        "size": f"{episode.audio_size / 1e6:.1f} MB",
    }


def _in_folder(paths: EpisodePaths) -> EpisodePaths:
    """The episode's paths relative to its own folder, where its page is."""
    prefix = f"{paths.folder}/"
    changed = {
        field.name: value.removeprefix(prefix) if isinstance(value, str) else value
        for field in fields(paths)
        if (value := getattr(paths, field.name)) is not None
    }
    return replace(paths, **changed)


def _player_data(episode: Episode) -> dict[str, object]:
    """What the page's player needs from the timeline: chapters and the holds and rests."""
    return {
        "duration_ms": episode.duration_ms,
        "chapters": [
            {"title": c.title, "start_ms": c.start_ms, "end_ms": c.end_ms} for c in episode.chapters
        ],
        "periods": [
            {"label": p.label, "start_ms": p.start_ms, "end_ms": p.end_ms} for p in episode.periods
        ],
    }
