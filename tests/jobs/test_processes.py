"""Two scheduler processes on one database: only one runs jobs, the other waits and says so,
and takes over when the first dies. On PostgreSQL (advisory lock) and on SQLite (file lock).

Also the development server: ``make run`` starts the jobs once, in the reloader's child.
Every process is a real ``flask`` process, killed in a ``finally`` whatever happens.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import time

import pytest

from straxlab.jobs import lock as locks
from tests import scratch
from tests.jobs.processes import Process, environment, running

pytestmark = pytest.mark.timeout(120)

STARTED = "Scheduler started with 8 jobs"
JOB_LINE = r"job \w+ did \d+"


@pytest.fixture
def sqlite_url(tmp_path):
    with scratch.migrated_database("", tmp_path, "jobs") as url:
        yield url


@pytest.fixture
def postgres_url(tmp_path):
    server = os.environ.get("TEST_DATABASE_URL", "")
    if not scratch.is_postgres(server):
        pytest.skip("PostgreSQL only: set TEST_DATABASE_URL")
    with scratch.migrated_database(server, tmp_path, "straxlab_jobs") as url:
        yield url


def two_schedulers_take_turns(url, tmp_path):
    env = environment(url, tmp_path / "instance")
    args = ["jobs", "--lock-poll", "0.3"]
    first = Process(args, tmp_path / "first.log", env)
    second = None
    with running(first):
        first.wait_for(STARTED)
        second = Process(args, tmp_path / "second.log", env)
        with running(second):
            second.wait_for(re.escape(locks.WAITING_MESSAGE))
            # Long enough for several polls: the second one still only waits.
            time.sleep(2)
            waiting = second.text()
            assert locks.TAKEN_MESSAGE not in waiting, waiting
            assert not re.search(JOB_LINE, waiting), waiting
            assert len(re.findall(JOB_LINE, first.text())) == 8

            # The first one dies without a word (SIGKILL): the lock goes with it.
            first.signal(signal.SIGKILL)
            first.popen.wait(10)
            taken_over = second.wait_for(STARTED)
            assert locks.TAKEN_MESSAGE + " (the other scheduler stopped)" in taken_over
            assert len(re.findall(JOB_LINE, taken_over)) == 8
            assert "job outbox did 0" in taken_over

            # A polite stop (SIGTERM) releases the lock and exits cleanly.
            second.signal(signal.SIGTERM)
            assert second.popen.wait(15) == 0
            assert "Scheduler stopped" in second.text()
    first_log = first.text()
    assert locks.WAITING_MESSAGE not in first_log
    assert first_log.count(locks.TAKEN_MESSAGE) == 1


@pytest.mark.postgres_only
def test_two_schedulers_on_postgresql_only_one_runs_jobs(postgres_url, tmp_path):
    two_schedulers_take_turns(postgres_url, tmp_path)


def test_two_schedulers_on_sqlite_only_one_runs_jobs(sqlite_url, tmp_path):
    two_schedulers_take_turns(sqlite_url, tmp_path)


# --- the development server ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dev_server(url, tmp_path, name, *flags, run_jobs=True):
    extra = {"STRAXLAB_RUN_JOBS": "1"} if run_jobs else {}
    env = environment(url, tmp_path / "instance", **extra)
    args = ["run", "--host", "127.0.0.1", "--port", str(free_port()), *flags]
    return Process(args, tmp_path / f"{name}.log", env)


def holders(text):
    """Process ids that took the scheduler lock, in order."""
    return [int(pid) for pid in re.findall(r"\[(\d+)\] straxlab\.jobs: Scheduler lock taken", text)]


def test_make_run_starts_the_jobs_once_in_the_reloaders_child(sqlite_url, tmp_path):
    server = dev_server(sqlite_url, tmp_path, "debug", "--debug")
    with running(server):
        text = server.wait_for("Jobs run inside the development server")
        server.wait_for(r"Running on http://127\.0\.0\.1")
        time.sleep(2)
        text = server.text()
    # Started by the child the reloader runs, never by the reloader itself, and never twice
    # at once (a second start would have to wait for the lock). A file edited meanwhile makes
    # the reloader start a new child, which takes the lock after the old one has exited.
    assert holders(text) and server.pid not in holders(text), text
    assert locks.WAITING_MESSAGE not in text
    assert len(re.findall(JOB_LINE, text)) >= 8


def test_without_the_reloader_the_one_process_runs_the_jobs(sqlite_url, tmp_path):
    server = dev_server(sqlite_url, tmp_path, "plain", "--no-reload")
    with running(server):
        text = server.wait_for("Jobs run inside the development server")
    assert holders(text) == [server.pid]


def test_the_dev_server_runs_no_jobs_unless_asked(sqlite_url, tmp_path):
    server = dev_server(sqlite_url, tmp_path, "off", "--debug", run_jobs=False)
    with running(server):
        server.wait_for(r"Running on http://127\.0\.0\.1")
        server.wait_for("Debugger is active")
        time.sleep(1.5)
        text = server.text()
    assert "straxlab.jobs" not in text, text
