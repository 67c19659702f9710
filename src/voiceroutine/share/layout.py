"""Where each file of a published site lives, as paths relative to the site's root."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from voiceroutine.share.episodes import Episode

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

    def files(self) -> list[str]:
        """Every file of the episode, the page excluded."""
        found = [self.audio, self.subtitles, self.chapters, self.timeline, self.source]
        return found + [path for path in (self.cover, self.library) if path]


def episode_paths(episode: Episode) -> EpisodePaths:
    folder = episode.slug
    cover = episode.cover
    library = episode.library
    return EpisodePaths(
        folder=folder,
        page=f"{folder}/{INDEX}",
        audio=f"{folder}/{episode.audio.name}",
        subtitles=f"{folder}/{episode.subtitles.name}",
        chapters=f"{folder}/{episode.chapters_file.name}",
        timeline=f"{folder}/{episode.timeline_file.name}",
        source=f"{folder}/{episode.source.name}",
        cover=f"{folder}/cover{cover.suffix.lower()}" if cover else None,
        library=f"{folder}/{library.name}" if library and library.name != episode.source.name
        else None,
    )  # fmt: skip


def url(path: str) -> str:
    """A site path as a relative URL (each segment percent-encoded)."""
    return quote(path, safe="/")
