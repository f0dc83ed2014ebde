"""One scheduler at a time: a lock that a second scheduler process waits for.

PostgreSQL: a session-level advisory lock, taken on a connection of its own that stays open
for the life of the process; the server lets go when the process dies, however it dies.
SQLite: an exclusive ``flock`` on a file beside the database file (the lock belongs to the
database, whichever instance folder a process uses); the kernel lets go when the process dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from pathlib import Path
from typing import IO, Protocol

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

logger = logging.getLogger("straxlab.jobs")

# pg_advisory_lock key: "STRAXJOB" in ASCII, a constant every straxlab scheduler uses.
ADVISORY_LOCK_KEY = int.from_bytes(b"STRAXJOB", "big")
DEFAULT_POLL_SECONDS = 5.0
WAITING_MESSAGE = "Another scheduler holds the lock; waiting"
TAKEN_MESSAGE = "Scheduler lock taken: this process runs the jobs"


class SchedulerLock(Protocol):
    def try_acquire(self) -> bool:
        """Take the lock if it is free; never blocks."""

    def is_held(self) -> bool:
        """Still ours (False when the database connection that held it is gone)."""

    def release(self) -> None: ...


class PostgresLock:
    """``pg_try_advisory_lock`` on a dedicated connection, kept open while the lock is held."""

    def __init__(self, url: str, key: int = ADVISORY_LOCK_KEY) -> None:
        self.key = key
        # Its own engine without a pool: the connection is never shared or recycled.
        self._engine = sa.create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        self._connection: sa.Connection | None = None
        self._held = False

    def try_acquire(self) -> bool:
        if self._held:
            return True
        try:
            if self._connection is None:
                self._connection = self._engine.connect()
            got = self._connection.scalar(
                sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            )
        except sa.exc.DBAPIError as exc:
            # The database is not reachable (yet): try again at the next poll.
            logger.warning("Cannot reach the database for the scheduler lock: %s", exc)
            self._drop_connection()
            return False
        self._held = bool(got)
        return self._held

    def is_held(self) -> bool:
        if not self._held or self._connection is None:
            return False
        try:
            self._connection.scalar(sa.text("SELECT 1"))
        except sa.exc.DBAPIError:
            # The session that held the lock is gone, and the lock with it.
            self._held = False
            self._drop_connection()
            return False
        return True

    def release(self) -> None:
        if self._connection is not None and self._held:
            with contextlib.suppress(sa.exc.DBAPIError):
                self._connection.scalar(
                    sa.text("SELECT pg_advisory_unlock(:key)"), {"key": self.key}
                )
        self._held = False
        self._drop_connection()
        self._engine.dispose()

    def _drop_connection(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(sa.exc.DBAPIError):
                self._connection.close()
            self._connection = None


class FileLock:
    """An exclusive ``flock`` on ``path`` (SQLite, or any single machine)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def try_acquire(self) -> bool:
        if self._file is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 (kept open while the lock is held)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        # Who holds it, for an operator who looks.
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return True

    def is_held(self) -> bool:
        return self._file is not None

    def release(self) -> None:
        if self._file is not None:
            try:
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            finally:
                self._file.close()
                self._file = None


def lock_for(database_uri: str, instance_path: str) -> SchedulerLock:
    """The lock that fits the database: advisory on PostgreSQL, a file lock on SQLite."""
    url = sa.make_url(database_uri)
    if url.get_backend_name() == "postgresql":
        return PostgresLock(database_uri)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            return FileLock(Path(database).resolve().with_name(Path(database).name + ".jobs.lock"))
        return FileLock(Path(instance_path) / "jobs.lock")
    raise RuntimeError(f"No scheduler lock for {url.get_backend_name()} databases.")


def wait_for(
    lock: SchedulerLock,
    *,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    stop: threading.Event | None = None,
) -> bool:
    """Block until ``lock`` is ours (logging that we wait); False if ``stop`` was set first."""
    stop = stop or threading.Event()
    if lock.try_acquire():
        logger.info(TAKEN_MESSAGE)
        return True
    logger.info(WAITING_MESSAGE)
    while not stop.wait(poll_seconds):
        if lock.try_acquire():
            logger.info(TAKEN_MESSAGE + " (the other scheduler stopped)")
            return True
    return False
