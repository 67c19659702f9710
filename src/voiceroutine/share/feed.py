"""Write the podcast feed: RSS 2.0 with the iTunes and Podcasting 2.0 tags, one episode a routine.

Without a base URL the feed's links are relative to the feed itself; the
local server makes them absolute for each request (see `absolute_links`).
"""

from __future__ import annotations

import datetime
import email.utils
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, urljoin
from xml.dom import minidom
from xml.sax.saxutils import XMLGenerator

from voiceroutine import __version__
from voiceroutine.share.episodes import Episode
from voiceroutine.share.layout import FEED, episode_paths, url

NAMESPACES = {
    "xmlns:itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "xmlns:podcast": "https://podcastindex.org/namespace/1.0",
    "xmlns:atom": "http://www.w3.org/2005/Atom",
}
CATEGORY = ("Health & Fitness", "Fitness")
URL_SAFE = ":/?#[]@!$&'()*+,;=%~"
"""What stays as it is when a base URL is made safe: its reserved characters and escapes."""
LINK_ATTRIBUTES = ("url", "href")
LINK_ELEMENTS = ("link", "url")
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot carry, even escaped (a routine's text may hold them)."""


@dataclass(frozen=True)
class Channel:
    """The podcast itself: what a podcast app shows above the episodes."""

    title: str
    description: str
    language: str
    author: str
    artwork: str | None
    """The artwork's path in the site."""
    base_url: str | None
    """The site's address, ending in a slash; None for links relative to the feed."""


@dataclass(frozen=True)
class FeedItem:
    """One episode of the feed, its files as paths in the site."""

    title: str
    description: str | None
    page: str
    guid: str
    published: datetime.datetime
    audio: str
    audio_size: int
    media_type: str
    duration_ms: int
    chapters: str
    subtitles: str
    author: str | None = None
    image: str | None = None
    season: int | None = None
    """The week of a program's day: podcast apps group its episodes by it."""
    number: int | None = None
    """The day's place in the course, from 1."""


def routine_item(episode: Episode) -> FeedItem:
    """A published routine's episode."""
    paths = episode_paths(episode)
    return FeedItem(
        title=episode.title,
        description=episode.description,
        page=paths.page,
        guid=f"voiceroutine:{episode.slug}:{episode.build_id[:16]}",
        published=episode.built_at,
        audio=paths.audio,
        audio_size=episode.audio_size,
        media_type=episode.media_type,
        duration_ms=episode.duration_ms,
        chapters=paths.chapters,
        subtitles=paths.subtitles,
        author=episode.author,
        image=paths.cover,
    )


def podcast_feed(channel: Channel, episodes: Sequence[Episode]) -> bytes:
    """The feed of published routines, one episode each, as UTF-8 XML."""
    return feed_of_items(channel, [routine_item(episode) for episode in episodes])


def feed_of_items(channel: Channel, items: Sequence[FeedItem], serial: bool = False) -> bytes:
    """The feed as UTF-8 XML; every text is escaped by the XML writer. A `serial` feed (a
    course) is meant to be listened to in order, oldest first."""
    out = io.StringIO()
    xml = _Writer(XMLGenerator(out, encoding="utf-8", short_empty_elements=True))
    link = _href(channel, "") or "./"
    xml.generator.startDocument()
    xml.start("rss", {"version": "2.0", **NAMESPACES})
    xml.start("channel")
    xml.text("title", channel.title)
    xml.text("link", link)
    xml.text("description", channel.description)
    xml.text("language", channel.language)
    xml.text("generator", f"voiceroutine {__version__}")
    if channel.base_url:
        xml.empty(
            "atom:link",
            {"href": _href(channel, FEED), "rel": "self", "type": "application/rss+xml"},
        )
    xml.text("itunes:author", channel.author)
    xml.text("itunes:summary", channel.description)
    xml.text("itunes:type", "serial" if serial else "episodic")
    xml.text("itunes:explicit", "false")
    xml.start("itunes:category", {"text": CATEGORY[0]})
    xml.empty("itunes:category", {"text": CATEGORY[1]})
    xml.end("itunes:category")
    if channel.artwork:
        artwork = _href(channel, channel.artwork)
        xml.empty("itunes:image", {"href": artwork})
        xml.start("image")
        xml.text("url", artwork)
        xml.text("title", channel.title)
        xml.text("link", link)
        xml.end("image")
    for item in items:
        _item(xml, channel, item)
    xml.end("channel")
    xml.end("rss")
    xml.generator.endDocument()
    return out.getvalue().encode("utf-8")


def _item(xml: _Writer, channel: Channel, item: FeedItem) -> None:
    xml.start("item")
    xml.text("title", item.title)
    if item.description:
        xml.text("description", item.description)
        xml.text("itunes:summary", item.description)
    xml.text("link", _href(channel, item.page))
    xml.text("guid", item.guid, {"isPermaLink": "false"})
    xml.text("pubDate", email.utils.format_datetime(item.published))
    xml.empty(
        "enclosure",
        {
            "url": _href(channel, item.audio),
            "length": str(item.audio_size),
            "type": item.media_type,
        },
    )
    xml.text("itunes:duration", str(round(item.duration_ms / 1000)))
    xml.text("itunes:episodeType", "full")
    if item.season is not None:
        xml.text("itunes:season", str(item.season))
    if item.number is not None:
        xml.text("itunes:episode", str(item.number))
    xml.text("itunes:explicit", "false")
    if item.author:
        xml.text("itunes:author", item.author)
    if item.image:
        xml.empty("itunes:image", {"href": _href(channel, item.image)})
    xml.empty(
        "podcast:chapters",
        {"url": _href(channel, item.chapters), "type": "application/json+chapters"},
    )
    xml.empty(
        "podcast:transcript",
        {"url": _href(channel, item.subtitles), "type": "text/vtt", "rel": "captions"},
    )
    xml.end("item")


def _href(channel: Channel, path: str) -> str:
    relative = url(path)
    if not channel.base_url:
        return relative
    return urljoin(quote(channel.base_url, safe=URL_SAFE), relative)


class _Writer:
    """Element-at-a-time XML output with every text and attribute cleaned of what XML forbids."""

    def __init__(self, generator: XMLGenerator) -> None:
        self.generator = generator

    def start(self, name: str, attributes: dict[str, str] | None = None) -> None:
        clean = {key: _clean(value) for key, value in (attributes or {}).items()}
        self.generator.startElement(name, clean)  # type: ignore[arg-type]

    def end(self, name: str) -> None:
        self.generator.endElement(name)

    def empty(self, name: str, attributes: dict[str, str]) -> None:
        self.start(name, attributes)
        self.end(name)

    def text(self, name: str, value: str, attributes: dict[str, str] | None = None) -> None:
        self.start(name, attributes)
        self.generator.characters(_clean(value))
        self.end(name)


def _clean(text: str) -> str:
    return NOT_XML.sub("", text)


def absolute_links(feed: bytes, base_url: str) -> bytes:
    """The feed with every relative link made absolute against `base_url` (the site's address)."""
    document = minidom.parseString(feed)
    try:
        for element in document.getElementsByTagName("*"):
            for name in LINK_ATTRIBUTES:
                if element.hasAttribute(name):
                    element.setAttribute(name, urljoin(base_url, element.getAttribute(name)))
            if element.tagName in LINK_ELEMENTS:
                text = "".join(node.data for node in element.childNodes if node.nodeType == 3)
                for node in list(element.childNodes):
                    element.removeChild(node)
                element.appendChild(document.createTextNode(urljoin(base_url, text.strip())))
        return document.toxml(encoding="utf-8")
    finally:
        document.unlink()
