"""A kit on simulated hardware behind the real server, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import require, require_program

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run"]


@pytest.fixture
def live_app(kit):
    """(the dashboard's app, its URL) behind the real server."""
    from web import create_app
    from web.server import Server

    app = create_app(kit)
    server = Server(app, "127.0.0.1", 0, max_viewers=kit.config.web.max_viewers).start()
    yield app, f"http://127.0.0.1:{server.port}"
    kit.stop()            # ends the live streams, so the server stops at once
    server.stop()


@pytest.fixture
def live_url(live_app):
    return live_app[1]


@pytest.fixture(scope="session")
def browser():
    executable = require_program("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "playwright is not installed (make test installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageWatch:
    """Everything a page did that a test may object to: console errors and requests off this device."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))

    def offsite(self) -> list[str]:
        """Requests to anywhere but this device (data: is inline; blob:ORIGIN/... is the page's own memory)."""
        return [u for u in self.requests
                if not u.startswith("data:") and urlparse(u.removeprefix("blob:")).hostname != "127.0.0.1"]


@contextmanager
def watched_page(browser, **options):
    """A page in a fresh browser context (options: viewport, user agent, locale...), with its PageWatch."""
    context = browser.new_context(**options)
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page, PageWatch(page)
    finally:
        context.close()


@pytest.fixture
def phone(browser):
    with watched_page(browser, viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                      has_touch=True) as (page, watch):
        yield page, watch


def save(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def eventually(page, predicate, timeout_s: float = 10.0) -> bool:
    """Poll *predicate* until it holds or *timeout_s* passes (the page's CSP rules out wait_for_function)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        page.wait_for_timeout(100)
    return bool(predicate())


def camera_snapshot(page) -> bytes:
    return page.locator("#camera").screenshot()
