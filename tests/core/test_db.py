"""The UTCDateTime round trip and the SQLite transaction discipline, on the real database."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import StatementError

from straxlab.core.audit import AuditEvent
from straxlab.extensions import db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _store(at: datetime) -> int:
    event = AuditEvent(at=at, action="test", object_type="test", object_id=None, details={})
    db.session.add(event)
    db.session.commit()
    return event.id


def _load(event_id: int) -> datetime:
    db.session.expire_all()
    return db.session.scalar(sa.select(AuditEvent.at).where(AuditEvent.id == event_id))


@pytest.mark.parametrize(
    "local",
    [
        datetime(2026, 6, 15, 12, 0, tzinfo=AMSTERDAM),
        # Last Sunday of October: 02:30 happens twice; fold=1 is the second (CET) one.
        datetime(2026, 10, 25, 2, 30, fold=0, tzinfo=AMSTERDAM),
        datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=AMSTERDAM),
        # Last Sunday of March: clocks jump from 02:00 to 03:00.
        datetime(2027, 3, 28, 1, 59, 59, 999999, tzinfo=AMSTERDAM),
        datetime(2027, 3, 28, 3, 0, tzinfo=AMSTERDAM),
    ],
)
def test_utc_datetime_round_trip_is_aware_and_exact(app_ctx, local):
    loaded = _load(_store(local))
    assert loaded.tzinfo is not None
    assert loaded.utcoffset() == timedelta(0)
    # Compare in UTC: Python never calls an ambiguous (fold) local time equal across zones.
    assert loaded == local.astimezone(UTC)
    assert loaded.astimezone(AMSTERDAM).utcoffset() == local.utcoffset()


def test_the_two_0230s_of_the_autumn_change_stay_an_hour_apart(app_ctx):
    first = _load(_store(datetime(2026, 10, 25, 2, 30, fold=0, tzinfo=AMSTERDAM)))
    second = _load(_store(datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=AMSTERDAM)))
    assert second - first == timedelta(hours=1)


def test_naive_datetimes_are_refused(app_ctx):
    db.session.add(
        AuditEvent(at=datetime(2026, 1, 1, 12, 0), action="t", object_type="t", details={})
    )
    with pytest.raises(StatementError, match="naive datetime"):
        db.session.flush()
    db.session.rollback()


def test_comparisons_in_sql_use_instants(app_ctx):
    _store(datetime(2026, 3, 1, 9, 0, tzinfo=AMSTERDAM))  # 08:00 UTC
    cutoff = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.at < cutoff)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.at > cutoff)) == 0


def test_postgresql_column_is_timestamptz(app_ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    data_type = db.session.scalar(
        sa.text(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 'audit_event' AND column_name = 'at'"
        )
    )
    assert data_type == "timestamp with time zone"


def _sqlite_path() -> str:
    return db.engine.url.database or ""


def _can_write_from_elsewhere() -> bool:
    other = sqlite3.connect(_sqlite_path(), timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return False
    finally:
        other.close()


def test_sqlite_pragmas(app_ctx):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    connection = db.session.connection()
    assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_sqlite_work_outside_a_request_begins_immediate(app_ctx):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    db.session.execute(sa.text("SELECT 1"))
    # The write lock is taken at BEGIN, before any write: a second writer must wait.
    assert not _can_write_from_elsewhere()
    db.session.rollback()
    assert _can_write_from_elsewhere()


@pytest.mark.parametrize(("method", "immediate"), [("GET", False), ("HEAD", False), ("POST", True)])
def test_sqlite_requests_begin_by_method(app, method, immediate):
    with app.test_request_context("/", method=method):
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
        db.session.execute(sa.text("SELECT 1"))
        assert _can_write_from_elsewhere() is not immediate
        db.session.rollback()


def test_foreign_keys_stay_on_after_migrating(app_ctx):
    from alembic import command

    config = app_ctx.extensions["migrate"].migrate.get_config()
    config.attributes["configure_logging"] = False
    command.upgrade(config, "head")
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    connection = db.session.connection()
    assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_begin_as_read_opts_a_write_request_out_of_the_write_lock(app):
    from straxlab.core.db import begin_as_read

    with app.test_request_context("/", method="POST"):
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
        begin_as_read(db.session)
        db.session.execute(sa.text("SELECT 1"))
        assert _can_write_from_elsewhere()
        db.session.commit()
        db.session.execute(sa.text("SELECT 1"))
        assert not _can_write_from_elsewhere()
        db.session.rollback()
