"""Browser fixtures: the app served on a loopback port, and Chromium driven by Playwright.

The server serves the app of the root ``app`` fixture, so it uses the same real database
(an SQLite file, or PostgreSQL from TEST_DATABASE_URL) and is emptied after every test.
Chromium is the system's own (/usr/bin/chromium); Playwright's browser download is not used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from werkzeug.serving import make_server

from straxlab.core import clock
from straxlab.extensions import db
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.smtp import smtp_server  # noqa: F401  (a real SMTP server on loopback)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# Generous for a page load on a busy CI machine, short enough to fail well within a test.
TIMEOUT_MS = 8_000

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app on a free loopback port, in a background thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="live-server", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}; the browser tests need it "
            "(on Debian/Ubuntu: apt-get install chromium).",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


NewContext = Callable[[], BrowserContext]


@pytest.fixture
def new_context(browser: Browser, live_server: str) -> Iterator[NewContext]:
    """Opens fresh browser contexts (own cookies) on the live server; closes them afterwards."""
    contexts: list[BrowserContext] = []

    def open_context() -> BrowserContext:
        context = browser.new_context(base_url=live_server, locale="en-GB")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def context(new_context: NewContext) -> BrowserContext:
    return new_context()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    name: str
    password: str = DEFAULT_PASSWORD


@pytest.fixture
def make_account(app: Flask) -> Callable[..., Account]:
    """Creates a user in the database (committed) and returns what a test needs to log in."""

    def create(role: str = "teacher", **overrides: Any) -> Account:
        with app.app_context():
            user = make_user(role=role, **overrides)
            db.session.commit()
            return Account(id=user.id, email=user.email, name=user.name)

    return create


class LabClock:
    """The application's clock, stopped at a moment the test chooses and moved on by it.

    The live server runs in a thread of this process, so it reads the same clock.
    """

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self.now: datetime | None = None

    def set(self, at: datetime) -> None:
        """From now on (until the test ends or the next ``set``) it is ``at`` everywhere."""
        self._stack.enter_context(clock.frozen(at))
        self.now = at


@pytest.fixture
def lab_clock() -> Iterator[LabClock]:
    """A clock the test sets; the real clock comes back when the test ends."""
    with ExitStack() as stack:
        yield LabClock(stack)
