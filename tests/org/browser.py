"""Debian's headless Chromium driven by Playwright, for the HTML report's tests.

Only ``/usr/bin/chromium`` is used (never Playwright's own download), with the
flags the project runs it with; every request that is not the page's own file
is refused and recorded, so a test sees if the report ever tried the network.
Console errors and uncaught exceptions are recorded too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


@dataclass
class Browsed:
    page: Any
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


def need_browser() -> None:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"no {CHROMIUM} (Debian: apt-get install -y chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright is a test extra: pip install -e '.[test]'")


@contextmanager
def open_page(path: Path, width: int = 1400, height: int = 900) -> Iterator[Browsed]:
    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            seen = Browsed(page)
            page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: seen.errors.append(str(exc)))

            def route(r: Any) -> None:
                if r.request.url == path.as_uri():
                    r.continue_()
                else:
                    seen.requests.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.goto(path.as_uri(), wait_until="load")
            yield seen
        finally:
            browser.close()
