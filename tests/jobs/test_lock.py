"""The scheduler lock in one process: a second holder waits; the first one's end frees it."""

from __future__ import annotations

import logging
import threading

import pytest
import sqlalchemy as sa

from straxlab.jobs import lock as locks


def test_file_lock_is_exclusive_until_released(tmp_path):
    path = tmp_path / "db.sqlite.jobs.lock"
    first, second = locks.FileLock(path), locks.FileLock(path)
    assert first.try_acquire()
    assert first.is_held()
    assert not second.try_acquire()
    assert path.read_text().strip().isdigit()  # the holder's process id
    first.release()
    assert not first.is_held()
    assert second.try_acquire()
    second.release()


def test_lock_for_fits_the_database(tmp_path):
    sqlite = locks.lock_for(f"sqlite:///{tmp_path}/straxlab.sqlite", "/elsewhere")
    assert isinstance(sqlite, locks.FileLock)
    # Beside the database file: two instance folders on one database share the lock.
    assert sqlite.path == tmp_path / "straxlab.sqlite.jobs.lock"
    memory = locks.lock_for("sqlite://", str(tmp_path))
    assert isinstance(memory, locks.FileLock) and memory.path == tmp_path / "jobs.lock"
    postgres = locks.lock_for("postgresql+psycopg://postgres@127.0.0.1:5432/x", str(tmp_path))
    assert isinstance(postgres, locks.PostgresLock)
    assert postgres.key == int.from_bytes(b"STRAXJOB", "big") < 2**63
    postgres.release()
    with pytest.raises(RuntimeError):
        locks.lock_for("mysql://x/y", str(tmp_path))


def test_wait_for_says_it_waits_and_takes_over_when_the_holder_stops(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="straxlab.jobs")
    path = tmp_path / "jobs.lock"
    holder, waiter = locks.FileLock(path), locks.FileLock(path)
    assert locks.wait_for(holder)
    got = []
    thread = threading.Thread(target=lambda: got.append(locks.wait_for(waiter, poll_seconds=0.05)))
    thread.start()
    try:
        for _ in range(100):
            if locks.WAITING_MESSAGE in caplog.text:
                break
            threading.Event().wait(0.02)
        assert locks.WAITING_MESSAGE in caplog.text
        assert got == []
    finally:
        holder.release()
        thread.join(5)
    assert got == [True]
    assert waiter.is_held()
    waiter.release()
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        locks.TAKEN_MESSAGE,
        locks.WAITING_MESSAGE,
        locks.TAKEN_MESSAGE + " (the other scheduler stopped)",
    ]


def test_wait_for_gives_up_when_asked_to_stop(tmp_path):
    path = tmp_path / "jobs.lock"
    holder = locks.FileLock(path)
    holder.try_acquire()
    stop = threading.Event()
    stop.set()
    assert locks.wait_for(locks.FileLock(path), poll_seconds=0.01, stop=stop) is False
    holder.release()


@pytest.fixture
def postgres_url(migrated_url):
    if not migrated_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: set TEST_DATABASE_URL")
    return migrated_url


@pytest.mark.postgres_only
def test_advisory_lock_is_exclusive_and_dies_with_its_connection(postgres_url):
    first, second = locks.PostgresLock(postgres_url), locks.PostgresLock(postgres_url)
    try:
        assert first.try_acquire() and first.is_held()
        assert not second.try_acquire()
        # The holder's connection is killed (a crash, a network cut): the server frees the
        # lock, the holder notices, and the other one takes it.
        backend = first._connection.scalar(sa.text("SELECT pg_backend_pid()"))
        admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            assert conn.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        admin.dispose()
        assert not first.is_held()
        assert second.try_acquire()
        assert not first.try_acquire()
    finally:
        first.release()
        second.release()


@pytest.mark.postgres_only
def test_advisory_lock_release_frees_it_at_once(postgres_url):
    first, second = locks.PostgresLock(postgres_url), locks.PostgresLock(postgres_url)
    try:
        assert first.try_acquire()
        first.release()
        assert second.try_acquire()
    finally:
        first.release()
        second.release()


def test_an_unreachable_database_is_retried_not_fatal(caplog):
    lock = locks.PostgresLock("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    assert lock.try_acquire() is False
    assert not lock.is_held()
    assert "Cannot reach the database for the scheduler lock" in caplog.text
    lock.release()
