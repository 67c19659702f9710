"""Debian's Chromium driven by Playwright, for the tests of pages in a real browser.

Never a downloaded browser: a module that needs it skips itself when
/usr/bin/chromium or the playwright package is missing (`skip_without_chromium`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def skip_without_chromium() -> Any:
    """Skip the calling test module without a Chromium; else playwright's sync API."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM} (install Debian's chromium package to run the "
            "browser tests)",
            allow_module_level=True,
        )
    return pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")


@contextmanager
def chromium(sync_api: Any) -> Iterator[Any]:
    """A headless Chromium browser for the duration of the block."""
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
