"""No double booking, ever (DESIGN.md, invariant 1), proven under real concurrency.

Sixteen processes, each with its own app and connections, wait at one barrier and then ask
for the same single asset for the same period. Exactly one gets it, fifteen get a clean
conflict, nobody gets an error, and the database holds one active item. The same race runs
over HTTP against gunicorn with four worker processes.

Each race has a negative control with the guard switched off (LENDING_RACE_GUARD; on
PostgreSQL also without the exclusion constraint, on SQLite also without BEGIN IMMEDIATE),
which must double book: so these tests can fail.

Everything runs in scratch databases of its own (see race_support), on SQLite by default
and on PostgreSQL when TEST_DATABASE_URL names a server.
"""

from __future__ import annotations

import contextlib
import html
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from tests.equipment import race_support as race
from tests.factories import DEFAULT_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
AMS = ZoneInfo("Europe/Amsterdam")
ATTEMPTS = 3

pytestmark = pytest.mark.timeout(240)


# --------------------------------------------------------------------------------------------
# Service layer


@pytest.fixture(scope="module")
def racers() -> Iterator[race.RacePool]:
    pool = race.RacePool()
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(scope="module")
def guarded_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, race.Seed]]:
    with race.scratch_database(tmp_path_factory.mktemp("race"), "guarded") as url:
        yield url, race.seed(url)


@pytest.fixture(scope="module")
def unguarded_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, race.Seed]]:
    with race.scratch_database(tmp_path_factory.mktemp("race"), "unguarded") as url:
        if race.is_postgres(url):
            race.drop_exclusion_constraint(url)
            assert not race.has_exclusion_constraint(url)
        yield url, race.seed(url)


@pytest.mark.parametrize("run", range(1, ATTEMPTS + 1))
def test_sixteen_processes_one_asset_exactly_one_booking(racers, guarded_db, run):
    url, seeded = guarded_db
    start, end = race.desk_period(days_ahead=2 + 7 * run)
    if race.is_postgres(url):
        assert race.has_exclusion_constraint(url)

    outcomes = racers.race(url, seeded, start, end, guard=True)

    counts = race.tally(outcomes)
    print(f"service layer, guarded, run {run}: {counts}")
    errors = [o for o in outcomes if o.startswith("error")]
    assert counts == {"ok": 1, "conflict": race.RACERS - 1, "error": 0}, errors
    assert race.active_items(url, seeded.asset_id, start, end) == 1


@pytest.mark.postgres_only
def test_without_the_row_lock_the_exclusion_constraint_still_gives_clean_conflicts(
    racers, guarded_db
):
    """The backstop alone (guard off, constraint on): its refusal (SQLSTATE 23P01) must
    reach every loser as the same clean conflict, never as an error."""
    url, seeded = guarded_db
    if not race.is_postgres(url):
        pytest.skip("PostgreSQL only: SQLite has no exclusion constraint")
    assert race.has_exclusion_constraint(url)
    start, end = race.desk_period(days_ahead=2 + 7 * (2 * ATTEMPTS + 1))

    outcomes = racers.race(url, seeded, start, end, guard=False)

    counts = race.tally(outcomes)
    print(f"service layer, constraint only: {counts}")
    errors = [o for o in outcomes if o.startswith("error")]
    assert counts == {"ok": 1, "conflict": race.RACERS - 1, "error": 0}, errors
    assert race.active_items(url, seeded.asset_id, start, end) == 1


def test_negative_control_without_the_guard_double_books(racers, unguarded_db):
    url, seeded = unguarded_db
    seen = []
    for attempt in range(1, ATTEMPTS + 1):
        start, end = race.desk_period(days_ahead=2 + 7 * attempt)
        outcomes = racers.race(url, seeded, start, end, guard=False)
        seen.append(race.tally(outcomes))
        print(f"service layer, unguarded, attempt {attempt}: {seen[-1]}")
        if seen[-1]["ok"] > 1:
            # What the racers reported is what the database holds: a double booking.
            assert race.active_items(url, seeded.asset_id, start, end) == seen[-1]["ok"]
            break
    assert any(counts["ok"] > 1 for counts in seen), seen


# --------------------------------------------------------------------------------------------
# Over HTTP, against gunicorn with four worker processes

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
RESERVATION_PATH = re.compile(r"^(?:https?://[^/]+)?/reservations/(\d+)$")
CONFLICT_TEXTS = ("is free in this period", "Someone else has just reserved this equipment")
SERVER_START_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 60.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Browser:
    """One user's cookies and plain HTTP/1.1 requests to the server under test."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, fields: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_S)
        try:
            headers = {"Host": f"127.0.0.1:{self.port}"}
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            body = None
            if fields is not None:
                body = urlencode(fields)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for raw in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(raw).items():
                    self.cookies[name] = morsel.value
            return response.status, dict(response.headers.items()), text
        finally:
            conn.close()

    def csrf_token(self, path: str) -> str:
        status, _, page = self.request("GET", path)
        assert status == 200, (path, status, page[:500])
        match = CSRF_META.search(page)
        assert match, f"no csrf-token meta tag on {path}"
        return html.unescape(match.group(1))

    def login(self, email: str) -> None:
        token = self.csrf_token("/login")
        status, _, page = self.request(
            "POST", "/login", {"email": email, "password": DEFAULT_PASSWORD, "csrf_token": token}
        )
        assert status == 302, (status, page[:500])


@contextlib.contextmanager
def gunicorn(url: str, *, guard: bool) -> Iterator[int]:
    """gunicorn with four sync workers serving tests/equipment/race_app.py on a free port."""
    port = _free_port()
    env = {
        **os.environ,
        "STRAXLAB_RACE_DATABASE_URL": url,
        "STRAXLAB_RACE_GUARD": "on" if guard else "off",
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--workers=4",
        "--worker-class=sync",
        f"--bind=127.0.0.1:{port}",
        f"--chdir={ROOT}",
        "--timeout=60",
        "--graceful-timeout=5",
        "--log-level=warning",
        "tests.equipment.race_app:app",
    ]
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            assert server.poll() is None, f"gunicorn exited with {server.returncode}"
            try:
                status, _, _ = Browser(port).request("GET", "/login")
                if status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer in time"
            time.sleep(0.2)
        yield port
    finally:
        # SIGINT is gunicorn's quick shutdown (SIGTERM waits for the workers' graceful exit).
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def _reserve_form_path(type_id: int) -> str:
    return f"/equipment/reserve?type={type_id}"


def _local(moment: datetime) -> str:
    return moment.astimezone(AMS).strftime("%Y-%m-%dT%H:%M")


def _http_race(browsers: list[Browser], type_id: int, start: datetime, end: datetime) -> list[str]:
    """Every browser posts the reservation form at once; "ok", "conflict" or "error: ..."."""
    path = _reserve_form_path(type_id)
    tokens = [browser.csrf_token(path) for browser in browsers]
    barrier = threading.Barrier(len(browsers))
    outcomes = ["error: no answer"] * len(browsers)

    def post(index: int) -> None:
        fields = {
            "starts_at": _local(start),
            "ends_at": _local(end),
            "quantity": "1",
            "purpose": "Race test over HTTP",
            "csrf_token": tokens[index],
        }
        try:
            barrier.wait(race.BARRIER_TIMEOUT_S)
            status, headers, page = browsers[index].request("POST", path, fields)
        except Exception as exc:
            outcomes[index] = f"error: {exc!r}"
            return
        location = headers.get("Location", "")
        if status == 302 and RESERVATION_PATH.match(location):
            outcomes[index] = "ok"
        elif status == 200 and any(text in html.unescape(page) for text in CONFLICT_TEXTS):
            outcomes[index] = "conflict"
        else:
            outcomes[index] = f"error: {status} {location} {page[:300]!r}"

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(browsers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=race.ROUND_TIMEOUT_S)
    return outcomes


def _logged_in_browsers(port: int, seeded: race.Seed) -> list[Browser]:
    browsers = []
    for email in seeded.teacher_emails:
        browser = Browser(port)
        browser.login(email)
        browsers.append(browser)
    return browsers


def _route_is_there() -> bool:
    from straxlab import create_app
    from straxlab.config import TestConfig

    app = create_app(TestConfig())
    return "equipment.reserve" in {rule.endpoint for rule in app.url_map.iter_rules()}


def test_over_http_sixteen_browsers_one_asset_exactly_one_booking(guarded_db):
    assert _route_is_there(), "the reservation form (equipment.reserve) is missing"
    url, seeded = guarded_db
    with gunicorn(url, guard=True) as port:
        browsers = _logged_in_browsers(port, seeded)
        for run in range(1, ATTEMPTS + 1):
            # Fresh periods: after the service-layer runs' weeks.
            start, end = race.desk_period(days_ahead=2 + 7 * (ATTEMPTS + run))
            outcomes = _http_race(browsers, seeded.type_id, start, end)
            print(f"HTTP, guarded, run {run}: {race.tally(outcomes)}")
            errors = [o for o in outcomes if o.startswith("error")]
            assert race.tally(outcomes) == {"ok": 1, "conflict": race.RACERS - 1, "error": 0}, (
                run,
                errors,
            )
            assert race.active_items(url, seeded.asset_id, start, end) == 1


def test_over_http_negative_control_without_the_guard_double_books(unguarded_db):
    assert _route_is_there(), "the reservation form (equipment.reserve) is missing"
    url, seeded = unguarded_db
    seen = []
    with gunicorn(url, guard=False) as port:
        browsers = _logged_in_browsers(port, seeded)
        for attempt in range(1, ATTEMPTS + 1):
            start, end = race.desk_period(days_ahead=2 + 7 * (ATTEMPTS + attempt))
            outcomes = _http_race(browsers, seeded.type_id, start, end)
            seen.append(race.tally(outcomes))
            print(f"HTTP, unguarded, attempt {attempt}: {seen[-1]}")
            if seen[-1]["ok"] > 1:
                assert race.active_items(url, seeded.asset_id, start, end) == seen[-1]["ok"]
                break
    assert any(counts["ok"] > 1 for counts in seen), seen
