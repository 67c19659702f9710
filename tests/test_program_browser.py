"""The program's printable overview in real headless Chromium: on a phone, and on A4 paper."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser_tools import chromium, skip_without_chromium
from share_tools import serving
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


TINY = """\
title: Two quick weeks
outro: false
program:
  weeks: 2
  schedule: {mon: move, thu: move}
  progress:
    hold: {add: 1s, every: 1, up_to: 5s}
sessions:
  move:
    title: Move
    steps:
      - exercise: {name: Bridge, reps: 1, hold: 2s}
"""


@pytest.fixture(scope="module")
def course_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("course-site")
    program = root / "quick.yaml"
    program.write_text(TINY, encoding="utf-8")
    options = api.BuildOptions(out_dir=root / "out", cache_dir=root / "cache")
    api.publish_program(program, root / "site", options)
    with serving(root / "site") as address:
        yield address


def _page(browser: Any, width: int = 360) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 800}, accept_downloads=True)
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    return page


def test_marks_are_kept_in_the_browser_and_summed_up(browser: Any, course_site: str) -> None:
    page = _page(browser)
    page.goto(course_site)
    assert page.locator("li.day").count() == 4
    # Without dates, today's session is the first one not done yet.
    assert page.locator("#today-slot a").inner_text() == "Week 1, Monday: Move"
    page.locator("#w01-mon .done").check()
    page.locator("#w01-mon .pain").select_option("6")
    page.locator("#w01-thu .done").check()
    page.locator("#w02-mon .pain").select_option("2")  # felt, not done
    assert page.locator("#summary").inner_text() == "2 of 4 sessions done; 2 in a row."
    page.reload()
    assert page.locator("#w01-mon .done").is_checked()
    assert page.locator("#w01-mon .pain").input_value() == "6"
    assert not page.locator("#w02-mon .done").is_checked()
    assert page.locator("#w02-mon .pain").input_value() == "2"
    assert page.locator("#today-slot a").inner_text() == "Week 2, Monday: Move"
    # One point a week, higher for more pain: week 1's 6 above week 2's 2 (y grows downwards).
    dots = page.locator("#chart circle")
    assert dots.count() == 2
    first, second = (float(dots.nth(n).get_attribute("cy") or 0) for n in (0, 1))
    assert first < second
    assert dots.nth(0).locator("title").text_content() == "Week 1: 6.0"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # The course at a glance: the bridge's hold in each week, as program.json has it.
    glance = page.locator("table.glance tbody tr").first.locator("td").all_inner_texts()
    assert [cell.replace(TIMES, "x") for cell in glance] == ["1 x 2 s", "1 x 3 s"]
    assert page.problems == []
    page.context.close()


def test_the_marks_export_as_csv(browser: Any, course_site: str, tmp_path: Path) -> None:
    page = _page(browser, 1024)
    page.goto(course_site)
    page.locator("#w01-thu .done").check()
    page.locator("#w01-thu .pain").select_option("3")
    with page.expect_download() as download:
        page.locator("#export").click()
    assert download.value.suggested_filename == "quick-progress.csv"
    rows = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert rows[0] == "week,weekday,date,session,done,pain,marked_at"
    assert rows[1] == "1,mon,,move,no,,"
    week, weekday, date, session, done, pain, marked_at = rows[2].split(",")
    assert (week, weekday, date, session, done, pain) == ("1", "thu", "", "move", "yes", "3")
    assert marked_at.startswith("20") and marked_at.endswith("Z")
    assert len(rows) == 5
    page.context.close()
