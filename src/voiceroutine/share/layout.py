"""Where each file of a published site lives, as paths relative to the site's root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from voiceroutine.share.episodes import Episode
from voiceroutine.share.named import member_path

ASSETS = "assets"
INDEX = "index.html"
FEED = "feed.xml"
ARTWORK = f"{ASSETS}/artwork.png"
RESERVED = frozenset({ASSETS, INDEX, FEED})
"""Top-level names the site itself uses; no routine may be published under one of them."""


@dataclass(frozen=True)
class EpisodePaths:
    """An episode's files in the site: a folder named after the routine holds them all."""

    folder: str
    page: str
    audio: str
    subtitles: str
    chapters: str
    timeline: str
    source: str
    cover: str | None
    library: str | None
    named: tuple[str, ...]
    """Every file the routine names (cover and library too), where the routine finds it."""
    named_sources: tuple[Path, ...]
    """Where each of `named` is copied from."""

    def files(self) -> list[str]:
        """Every file of the episode, the page excluded."""
        found = [self.audio, self.subtitles, self.chapters, self.timeline, self.source]
        return found + [path for path in self.named if path not in found]


def episode_paths(episode: Episode) -> EpisodePaths:
    folder = episode.slug
    # Each named file sits where the routine reaches it, so the routine file rebuilds as it is.
    # A file in an allowed folder outside the routine's own is not published.
    placed = ((named.source, member_path(folder, named)) for named in episode.named)
    beside = {
        source: member for source, member in placed if member and member.startswith(f"{folder}/")
    }
    cover = beside.get(episode.cover) if episode.cover else None
    library = beside.get(episode.library) if episode.library else None
    return EpisodePaths(
        folder=folder,
        page=f"{folder}/{INDEX}",
        audio=f"{folder}/{episode.audio.name}",
        subtitles=f"{folder}/{episode.subtitles.name}",
        chapters=f"{folder}/{episode.chapters_file.name}",
        timeline=f"{folder}/{episode.timeline_file.name}",
        source=f"{folder}/{episode.source.name}",
        cover=cover,
        library=library,
        named=tuple(beside.values()),
        named_sources=tuple(beside),
    )


def url(path: str) -> str:
    """A site path as a relative URL (each segment percent-encoded)."""
    return quote(path, safe="/")
