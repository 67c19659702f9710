"""The published pages in real headless Chromium: chapters seek, the instruction follows the audio.

Uses the system's Chromium (Debian's `chromium` package), never a downloaded
browser; without it these tests are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser_tools import chromium, skip_without_chromium
from share_tools import publish_tiny, serving

sync_api = skip_without_chromium()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return publish_tiny(tmp_path_factory.mktemp("browsed"))[0]


@pytest.fixture(scope="module")
def address(site: Path) -> Iterator[str]:
    with serving(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium(sync_api) as launched:
        yield launched


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, has_touch=True, accept_downloads=True
    )
    opened = context.new_page()
    opened.problems = []
    opened.on("console", lambda m: opened.problems.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda error: opened.problems.append(str(error)))
    yield opened
    context.close()


def open_routine(page: Any, address: str) -> None:
    page.goto(f"{address}tiny/index.html")
    page.wait_for_function(
        "() => { const t = document.getElementById('audio').textTracks[0];"
        " return t.cues && t.cues.length > 0 && document.getElementById('audio').readyState >= 1 }"
    )


def spoken(site: Path) -> list[dict[str, Any]]:
    timeline = json.loads((site / "tiny" / "tiny.json").read_text(encoding="utf-8"))
    return [cue for cue in timeline["cues"] if cue["kind"] == "speech"]


def set_time(page: Any, seconds: float) -> None:
    page.evaluate(f"document.getElementById('audio').currentTime = {seconds}")


def test_the_pages_load_with_no_console_errors_and_fit_a_phone(page: Any, address: str) -> None:
    for path in ("", "index.html", "tiny/index.html"):
        page.goto(address + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    open_routine(page, address)
    assert page.problems == []
    unnamed = page.evaluate(
        "Array.from(document.querySelectorAll('button, a, audio'))"
        ".filter(e => !(e.getAttribute('aria-label') || e.textContent.trim())).length"
    )
    assert unnamed == 0


def test_tapping_a_chapter_moves_the_audio_to_its_start(
    page: Any, address: str, site: Path
) -> None:
    open_routine(page, address)
    chapters = json.loads((site / "tiny" / "tiny.json").read_text(encoding="utf-8"))["chapters"]
    last = chapters[-1]
    button = page.get_by_role("button", name=last["title"])
    button.tap()
    now = page.evaluate("document.getElementById('audio').currentTime")
    assert abs(now - last["start_ms"] / 1000) < 0.5
    assert button.get_attribute("aria-current") == "true"
    assert page.locator("#chapter-now").text_content() == last["title"]
    page.evaluate("document.getElementById('audio').pause()")
    assert page.problems == []


def test_the_shown_instruction_changes_when_the_audio_crosses_a_cue(
    page: Any, address: str, site: Path
) -> None:
    open_routine(page, address)
    instruction = page.locator("#instruction")
    assert instruction.inner_text() == "Press play to begin."
    first, second = spoken(site)[:2]
    set_time(page, (first["start_ms"] + 50) / 1000)
    page.wait_for_function(
        "text => document.getElementById('instruction').textContent === text", arg=first["text"]
    )
    assert instruction.text_content() == "Reach <up>."  # shown as text, not markup
    set_time(page, (second["start_ms"] + 50) / 1000)
    page.wait_for_function(
        "text => document.getElementById('instruction').textContent === text", arg=second["text"]
    )
    assert page.problems == []


def test_the_time_left_in_a_hold_is_shown(page: Any, address: str, site: Path) -> None:
    open_routine(page, address)
    timeline = json.loads((site / "tiny" / "tiny.json").read_text(encoding="utf-8"))
    hold = next(s for s in timeline["segments"] if s["kind"] == "hold")
    set_time(page, (hold["start_ms"] + 300) / 1000)
    page.wait_for_function("!document.getElementById('countdown').hidden")
    assert page.locator("#countdown-label").text_content() == "Hold"
    left = (hold["end_ms"] - hold["start_ms"] - 300) / 1000
    assert int(page.locator("#countdown-value").text_content()) == -(-left // 1)
    set_time(page, (hold["end_ms"] + 100) / 1000)
    page.wait_for_function("document.getElementById('countdown').hidden")


def test_the_keyboard_plays_and_changes_chapters(page: Any, address: str, site: Path) -> None:
    open_routine(page, address)
    chapters = json.loads((site / "tiny" / "tiny.json").read_text(encoding="utf-8"))["chapters"]
    page.locator("h1").click()
    page.keyboard.press("n")
    start = chapters[1]["start_ms"] / 1000
    # The seek lands when the browser has handled the key: wait for it rather than read at once.
    page.wait_for_function(
        f"Math.abs(document.getElementById('audio').currentTime - {start}) < 0.5", timeout=10_000
    )
    page.locator("#play").focus()
    page.keyboard.press("Enter")
    # The label follows the audio's play and pause events, which the browser fires a task later.
    page.wait_for_function("document.getElementById('play').getAttribute('aria-label') === 'Pause'")
    assert not page.evaluate("document.getElementById('audio').paused")
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('play').getAttribute('aria-label') === 'Play'")
    assert page.evaluate("document.getElementById('audio').paused")
    assert page.problems == []


def test_the_download_link_returns_the_file(page: Any, address: str, site: Path) -> None:
    open_routine(page, address)
    with page.expect_download() as event:
        page.locator("#download").click()
    download = event.value
    assert download.suggested_filename == "tiny.mp3"
    assert Path(download.path()).read_bytes() == (site / "tiny" / "tiny.mp3").read_bytes()
