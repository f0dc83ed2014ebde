"""Declarative base, the UTC datetime column type and the SQLite transaction discipline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.engine import Dialect

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Stores instants in UTC and always hands back timezone-aware datetimes.

    PostgreSQL gets ``timestamptz`` (range exclusion constraints need it); SQLite stores
    the UTC wall time without an offset, and the offset is put back on the way out.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored; attach a time zone")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(so.DeclarativeBase):
    registry = so.registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime},
    )


def configure_sqlite_engine(engine: sa.Engine, *, busy_timeout_ms: int) -> None:
    """Set pragmas and begin write transactions with ``BEGIN IMMEDIATE``.

    The sqlite3 driver's own transaction handling lets two writers both pass a
    check-then-insert; deferred ``BEGIN`` fails with "database is locked" when a read
    transaction tries to upgrade. So the driver's handling is switched off and the
    decision is made at BEGIN: immediate unless :func:`wants_read_only` says the work
    is a read (a GET request). Call once per engine: a second ``begin`` listener would
    emit a second BEGIN.
    """

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # SQLite's lower() only knows ASCII; searching "ünal" must find "Ünal" as on PostgreSQL.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate")
        if immediate is None:
            immediate = not wants_read_only()
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def begin_as_read(session: so.Session) -> None:
    """Begin the session's transaction as a read, whatever the request method.

    For a slow step (password hashing) before a short write: on SQLite the write lock is
    then not held during the slow step. Must come before the first statement; end the
    read with a commit before writing, so the write starts its own immediate transaction.
    No effect on PostgreSQL.
    """
    session.connection(execution_options={"sqlite_immediate": False})


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def wants_read_only() -> bool:
    """True inside a request whose method cannot change state (GET, HEAD, OPTIONS)."""
    from flask import has_request_context, request

    return has_request_context() and request.method in {"GET", "HEAD", "OPTIONS"}


def enum_type(enum_class: type[Any], name: str) -> sa.Enum:
    """Store an enum by its value in a VARCHAR with a named CHECK constraint."""
    return sa.Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_class),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def lock_row(instance: Any) -> None:
    """Lock ``instance``'s row (``SELECT ... FOR UPDATE``) and re-read it.

    Two people acting on one object at once then take turns, and the second sees what the
    first did. On SQLite the request's BEGIN IMMEDIATE already serialises writers.
    """
    # extensions builds its Model from this module's Base, so it is imported here, late.
    from straxlab.extensions import db

    model = type(instance)
    key = sa.inspect(model).primary_key[0]
    db.session.execute(
        sa.select(model)
        .where(key == sa.inspect(instance).identity[0])
        .with_for_update(of=model)
        .execution_options(populate_existing=True)
    ).scalar_one()
