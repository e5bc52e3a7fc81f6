"""A real headless Chromium for tests (Debian's chromium, driven by Playwright; no download).

``open_page(path)`` loads a local file with every network request refused and recorded, and
collects console errors and page errors, so a test can assert that a page is self-contained
and runs clean.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--mute-audio",
                 "--autoplay-policy=no-user-gesture-required"]


def chromium_path() -> str:
    """Debian's Chromium; a test fails (not skips) without it, unless told to skip."""
    found = os.environ.get("SIGNALCHAIN_CHROMIUM") or shutil.which("chromium") or \
        shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("SIGNALCHAIN_SKIP_BROWSER"):
            pytest.skip("SIGNALCHAIN_SKIP_BROWSER is set and chromium is not installed")
        pytest.fail("the browser tests need Chromium: 'apt-get install chromium' (scripts/"
                    "setup.sh test does it), or set SIGNALCHAIN_SKIP_BROWSER=1 to skip them")
    return found


@dataclass
class PageLog:
    """What happened while a page was open."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    """Every request that left the page (file: and data: included); others are refused."""


@contextmanager
def open_page(path: Path, width: int = 1280, height: int = 900) -> Iterator[tuple[Any, PageLog]]:
    """Open a local HTML file in headless Chromium; yields (page, log)."""
    from playwright.sync_api import sync_playwright

    log = PageLog()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on("console", lambda m: log.console_errors.append(m.text)
                    if m.type == "error" else None)
            page.on("pageerror", lambda e: log.page_errors.append(str(e)))

            def route(r: Any) -> None:
                url = r.request.url
                log.requests.append(url)
                if url.startswith(("file:", "data:")):
                    r.continue_()
                else:
                    r.abort()

            page.route("**/*", route)
            page.goto(path.resolve().as_uri())
            yield page, log
        finally:
            browser.close()
