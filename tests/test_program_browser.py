"""The program's printable overview in real headless Chromium: on a phone, and on A4 paper."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser_tools import chromium, skip_without_chromium
from voiceroutine import api
from voiceroutine.program.course import load_course
from voiceroutine.program.index import IndexedDay
from voiceroutine.program.overview import NOT_PLAYED, TIMES, overview_html

sync_api = skip_without_chromium()
SIX_WEEKS = Path(__file__).resolve().parent.parent / "routines" / "six-week-back.yaml"


@pytest.fixture(scope="module")
def overview(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The six-week course's overview, its lengths as check estimates them (no audio needed)."""
    course = load_course(SIX_WEEKS)
    checked = api.check_program(SIX_WEEKS)
    days = [
        IndexedDay(day, f"w{day.week:02d}-{day.weekday}-{day.session}.mp3", estimate.duration_ms)
        for day, estimate in zip(course.days, checked.days, strict=True)
    ]
    path = tmp_path_factory.mktemp("overview") / "program.html"
    path.write_text(overview_html(course, days), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium(sync_api) as launched:
        yield launched


def test_the_overview_prints_on_one_a4_page(browser: Any, overview: Path, tmp_path: Path) -> None:
    page = browser.new_page()
    page.goto(overview.as_uri())
    pdf = tmp_path / "overview.pdf"
    page.pdf(path=str(pdf), format="A4")
    pages = re.findall(rb"/Type\s*/Page(?!s)", pdf.read_bytes())
    assert len(pages) == 1
    page.close()


def test_the_overview_shows_each_weeks_dose_and_marks_the_easy_week(
    browser: Any, overview: Path
) -> None:
    page = browser.new_page(viewport={"width": 1024, "height": 800})
    page.goto(overview.as_uri())
    strength = page.locator("section").filter(has_text="Strength")
    header = strength.locator("thead th").all_inner_texts()
    assert header == ["Week", "1", "2", "3", "4 easy", "5", "6"]
    bridge = strength.locator("tr", has=page.locator("th", has_text="Bridge"))
    cells = [cell.replace(TIMES, "x") for cell in bridge.locator("td").all_inner_texts()]
    assert cells == ["5 x 10 s", "5 x 15 s", "6 x 20 s", "5 x 10 s", "7 x 30 s", "7 x 30 s"]
    side_plank = strength.locator("tr", has=page.locator("th", has_text="Side plank"))
    joins = [cell.replace(TIMES, "x") for cell in side_plank.locator("td").all_inner_texts()]
    assert joins[:3] == [NOT_PLAYED, NOT_PLAYED, "1 x 10 s"]  # it joins in week 3
    easy = strength.locator("tbody tr").first.locator("td").nth(3)
    assert "easy" in (easy.get_attribute("class") or "")
    page.close()


def test_the_overview_fits_a_phone_screen(browser: Any, overview: Path) -> None:
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(overview.as_uri())
    # The page itself never scrolls sideways: a wide table scrolls inside its own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    font = page.evaluate("parseFloat(getComputedStyle(document.querySelector('td')).fontSize)")
    assert font >= 11
    page.close()
