"""The published site: its files, escaping, the podcast feed (read by feedparser), the swap."""

from __future__ import annotations

import html
import json
import shutil
import zipfile
from pathlib import Path

import feedparser
import pytest

from audio_tools import make_audio_file
from cli_tools import run_cli
from share_tools import TITLE, build_tiny, publish_tiny, write_tiny
from voiceroutine.errors import VoiceroutineError
from voiceroutine.share.bundle import share_zip
from voiceroutine.share.episodes import Episode
from voiceroutine.share.feed import absolute_links
from voiceroutine.share.site import SiteSettings, write_site
from voiceroutine.share.swap import MANIFEST

BASE = "https://example.org/my routines/"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Episode]:
    return publish_tiny(tmp_path_factory.mktemp("published"), base_url=BASE)


def test_the_site_has_an_index_a_page_per_routine_its_files_and_a_feed(
    published: tuple[Path, Episode],
) -> None:
    site, episode = published
    files = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert files == [
        MANIFEST,
        "assets/artwork.png",
        "assets/icon.svg",
        "assets/player.js",
        "assets/site.css",
        "feed.xml",
        "index.html",
        "tiny/cover.png",
        "tiny/index.html",
        "tiny/moves.yaml",
        "tiny/tiny.chapters.json",
        "tiny/tiny.json",
        "tiny/tiny.mp3",
        "tiny/tiny.vtt",
        "tiny/tiny.yaml",
    ]
    assert (site / "tiny" / "tiny.mp3").read_bytes() == episode.audio.read_bytes()
    assert episode.exercises == ("Reach <up>", "Fold & bend")  # not the "Rest" chapter


def test_pages_load_nothing_from_other_hosts(published: tuple[Path, Episode]) -> None:
    site, _ = published
    for page in ("index.html", "tiny/index.html"):
        text = (site / page).read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text and "//cdn" not in text


def test_every_text_from_the_routine_is_escaped(published: tuple[Path, Episode]) -> None:
    site, _ = published
    index = (site / "index.html").read_text(encoding="utf-8")
    page = (site / "tiny" / "index.html").read_text(encoding="utf-8")
    for text in (index, page):
        assert "<script>alert" not in text and "<b>" not in text and "<up>" not in text
        assert html.escape(TITLE, quote=False).replace('"', "&#34;") in text
    assert "Reach &lt;up&gt;" in index and "Fold &amp; bend" in index
    assert "Test &lt;site&gt;" in index
    # The player's data is JSON inside a script element: nothing in it can close the element.
    data = page.split('<script type="application/json" id="timeline">')[1].split("</script>")[0]
    assert "<" not in data
    assert json.loads(data)["chapters"][0]["title"] == "Reach <up>"


def test_the_feed_parses_with_the_right_enclosures_lengths_and_durations(
    published: tuple[Path, Episode],
) -> None:
    site, episode = published
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "rss20"
    assert feed.feed.title == "Test <site>"
    assert feed.feed.image.href == BASE.replace(" ", "%20") + "assets/artwork.png"
    [entry] = feed.entries
    assert entry.title == TITLE
    [enclosure] = entry.enclosures
    assert enclosure.href == "https://example.org/my%20routines/tiny/tiny.mp3"
    assert int(enclosure.length) == (site / "tiny" / "tiny.mp3").stat().st_size
    assert enclosure.type == "audio/mpeg"
    assert int(entry.itunes_duration) == round(episode.duration_ms / 1000)
    assert 20 <= int(entry.itunes_duration) <= 45
    assert entry.image.href.endswith("/tiny/cover.png")
    chapters = entry.podcast_chapters
    assert chapters["url"].endswith("/tiny/tiny.chapters.json")
    assert chapters["type"] == "application/json+chapters"
    assert entry.link == "https://example.org/my%20routines/tiny/index.html"


def test_without_a_base_url_links_are_relative_and_can_be_made_absolute(tmp_path: Path) -> None:
    site, _ = publish_tiny(tmp_path)
    relative = feedparser.parse((site / "feed.xml").read_bytes()).entries[0].enclosures[0]
    assert relative.href == "tiny/tiny.mp3"
    absolute = absolute_links((site / "feed.xml").read_bytes(), "http://192.168.1.9:8000/")
    parsed = feedparser.parse(absolute)
    assert parsed.entries[0].enclosures[0].href == "http://192.168.1.9:8000/tiny/tiny.mp3"
    assert parsed.entries[0].podcast_chapters["url"].startswith("http://192.168.1.9:8000/")


def test_publishing_again_keeps_the_users_files_and_drops_the_tools_old_ones(
    tmp_path: Path,
) -> None:
    site, tiny = publish_tiny(tmp_path)
    (site / "notes.txt").write_text("mine", encoding="utf-8")
    (site / "tiny" / "photo.jpg").write_bytes(b"also mine")
    (site / "empty").mkdir()
    other_routine = write_tiny(tmp_path / "routines", stem="other")
    other = build_tiny(other_routine, tmp_path / "output", tmp_path / "cache")

    removed = write_site(site, [other], SiteSettings())
    assert removed == ["tiny"]  # said, so that nobody loses a published routine unawares
    assert (site / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (site / "tiny" / "photo.jpg").read_bytes() == b"also mine"
    assert (site / "empty").is_dir()
    assert not (site / "tiny" / "index.html").exists()  # the tool's own, for a routine now gone
    assert (site / "other" / "other.mp3").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.")]  # no leftovers
    assert tiny.audio.is_file()  # the build itself is untouched


def test_a_users_file_in_the_way_stops_the_publish_and_leaves_the_folder_alone(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("my own page", encoding="utf-8")
    routine = write_tiny(tmp_path / "routines")
    built = build_tiny(routine, tmp_path / "output", tmp_path / "cache")
    with pytest.raises(VoiceroutineError, match=r"did not write.*index\.html"):
        write_site(site, [built], SiteSettings())
    assert [p.name for p in site.iterdir()] == ["index.html"]
    assert (site / "index.html").read_text(encoding="utf-8") == "my own page"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.")]


def test_the_share_zip_holds_audio_cover_chapters_and_yaml(tmp_path: Path) -> None:
    routine = write_tiny(tmp_path / "routines")
    from fakes import ToneEngine
    from voiceroutine import api

    options = api.BuildOptions(out_dir=tmp_path / "out", cache_dir=tmp_path / "cache")
    result = api.build(routine, options, ToneEngine())
    packed = share_zip(routine, result)
    assert packed == tmp_path / "out" / "tiny.zip"
    with zipfile.ZipFile(packed) as archive:
        assert sorted(archive.namelist()) == [
            "tiny/cover.png",
            "tiny/moves.yaml",
            "tiny/tiny.chapters.json",
            "tiny/tiny.mp3",
            "tiny/tiny.yaml",
        ]
        assert archive.read("tiny/tiny.mp3") == result.audio.read_bytes()
        assert archive.read("tiny/tiny.yaml") == routine.read_bytes()


def test_publish_and_build_share_from_the_command_line(tmp_path: Path) -> None:
    """The commands as a user runs them, with the real engine: build --share, then publish."""
    write_tiny(tmp_path / "routines")
    built = run_cli("build", "routines/tiny.yaml", "--share", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert "packed output/tiny.zip" in built.stdout
    published = run_cli("publish", "-o", "site", "--base-url", "http://example.org", cwd=tmp_path)
    assert published.returncode == 0, published.stderr
    assert "up to date output/tiny.mp3" in published.stdout  # built above: not built again
    assert "published site: 1 routine" in published.stdout
    feed = feedparser.parse((tmp_path / "site" / "feed.xml").read_bytes())
    assert feed.entries[0].enclosures[0].href == "http://example.org/tiny/tiny.mp3"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["publish", "missing.yaml"], 1, "error: no routine file or folder missing.yaml"),
        (["publish", "empty"], 1, "error: no routine files (*.yaml) in empty"),
        (["publish", "bad.yaml", "-o", "site"], 1, "bad.yaml:1:1:"),
        (["publish", "empty", "--base-url", "example.org"], 2, "give the site's address"),
        (["publish", "empty", "-o", "."], 1, "error: no routine files"),
        (["serve", "nowhere"], 1, "error: no site in nowhere"),
    ],
)
def test_bad_input_gives_one_clear_message(
    tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad.yaml").write_text("steps: 3\n", encoding="utf-8")
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "site").exists()


def test_the_site_cannot_be_the_folder_that_holds_the_routines(tmp_path: Path) -> None:
    write_tiny(tmp_path / "routines")
    result = run_cli("publish", "routines", "-o", ".", cwd=tmp_path)
    assert result.returncode == 1
    assert "give the site a folder of its own" in result.stderr
    assert "Traceback" not in result.stderr


NESTED = """\
title: Knee rehab
library: lib/knee-exercises.yaml
cover: art/cover.png
intro: false
outro: false
audio: {bell: sounds/ding.wav, music: music/loop.wav}
defaults:
  rest_between_exercises: 2s
  sounds: {rest_end: sounds/ding.wav}
steps:
  - exercise: reach
  - rest: 3s
  - exercise: fold
"""


def write_nested(folder: Path) -> Path:
    """A routine whose library, cover, sound and music lie in folders below it."""
    for sub in ("lib", "art", "sounds", "music"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    from share_tools import LIBRARY

    (folder / "lib" / "knee-exercises.yaml").write_text(LIBRARY, encoding="utf-8")
    make_audio_file(folder / "art" / "cover.png", "color=c=teal:s=32x32", 0.04, "-frames:v", "1")
    make_audio_file(folder / "sounds" / "ding.wav", "sine=frequency=880", 0.3)
    make_audio_file(folder / "music" / "loop.wav", "anoisesrc=color=pink:seed=3", 6.0)
    routine = folder / "knee-rehab.yaml"
    routine.write_text(NESTED, encoding="utf-8")
    return routine


def test_a_shared_routine_unzipped_anywhere_builds_again(tmp_path: Path) -> None:
    from fakes import ToneEngine
    from voiceroutine import api

    routine = write_nested(tmp_path / "routines")
    options = api.BuildOptions(out_dir=tmp_path / "out", cache_dir=tmp_path / "cache")
    result = api.build(routine, options, ToneEngine())
    packed = share_zip(routine, result)
    with zipfile.ZipFile(packed) as archive:
        names = set(archive.namelist())
        assert {
            "knee-rehab/knee-rehab.yaml", "knee-rehab/lib/knee-exercises.yaml",
            "knee-rehab/art/cover.png", "knee-rehab/sounds/ding.wav", "knee-rehab/music/loop.wav",
        } <= names  # fmt: skip
        archive.extractall(tmp_path / "received")
    again = api.build(
        tmp_path / "received" / "knee-rehab" / "knee-rehab.yaml",
        api.BuildOptions(out_dir=tmp_path / "rebuilt", cache_dir=tmp_path / "cache"),
        ToneEngine(),
    )
    assert again.timeline is not None
    assert again.timeline.duration_ms == result.timeline.duration_ms


def test_a_published_routines_folder_builds_again(tmp_path: Path) -> None:
    from fakes import ToneEngine
    from voiceroutine import api
    from voiceroutine.share.episodes import episode

    routine = write_nested(tmp_path / "routines")
    options = api.BuildOptions(out_dir=tmp_path / "out", cache_dir=tmp_path / "cache")
    built = episode(routine, api.build(routine, options, ToneEngine()))
    site = tmp_path / "site"
    write_site(site, [built], SiteSettings())
    downloaded = tmp_path / "downloaded"
    shutil.copytree(site / "knee-rehab", downloaded)
    page = (site / "knee-rehab" / "index.html").read_text(encoding="utf-8")
    assert 'src="art/cover.png"' in page or "art/cover.png" in page
    again = api.build(
        downloaded / "knee-rehab.yaml",
        api.BuildOptions(out_dir=tmp_path / "rebuilt", cache_dir=tmp_path / "cache"),
        ToneEngine(),
    )
    assert again.timeline is not None and again.timeline.duration_ms == built.duration_ms


def test_a_file_outside_the_routines_folder_cannot_be_shared(tmp_path: Path) -> None:
    from fakes import ToneEngine
    from voiceroutine import api
    from voiceroutine.access import Allowances

    routine = write_nested(tmp_path / "deep" / "routines")
    elsewhere = tmp_path / "elsewhere"  # two folders up from the routine: beyond the zip's root
    elsewhere.mkdir()
    make_audio_file(elsewhere / "bell.wav", "sine=frequency=660", 0.3)
    routine.write_text(NESTED.replace("bell: sounds/ding.wav", f"bell: {elsewhere / 'bell.wav'}"))
    allowances = Allowances((elsewhere,), None)
    options = api.BuildOptions(
        out_dir=tmp_path / "out", cache_dir=tmp_path / "cache", allowances=allowances
    )
    result = api.build(routine, options, ToneEngine())
    with pytest.raises(VoiceroutineError, match="lies too far outside the routine's folder"):
        share_zip(routine, result, allowances)
    assert not (tmp_path / "out" / "knee-rehab.zip").exists()


def test_publish_says_which_routines_the_new_site_leaves_out(tmp_path: Path) -> None:
    write_tiny(tmp_path / "first")
    write_tiny(tmp_path / "second", stem="other")
    first = run_cli("publish", "first", "-o", "site", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    again = run_cli("publish", "second", "-o", "site", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "note: site no longer has tiny" in again.stderr
