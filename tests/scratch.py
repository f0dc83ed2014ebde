"""Throwaway databases migrated with the project's own migrations.

Shared by the test suite (tests/conftest.py), the concurrency tests and the benchmarks, so
every one of them runs on the real schema and leaves the server as it found it.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres", "postgresql"))


@contextlib.contextmanager
def postgres_database(server_url: str, prefix: str) -> Iterator[str]:
    """A new, empty database ``<prefix>_<uuid>`` on the server of ``server_url``; dropped after."""
    from straxlab.config import normalise_database_url

    server = sa.make_url(normalise_database_url(server_url))
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@contextlib.contextmanager
def migrated_database(server_url: str, folder: Path, prefix: str) -> Iterator[str]:
    """A migrated scratch database: on PostgreSQL when ``server_url`` names a server, else an
    SQLite file in ``folder``."""
    if is_postgres(server_url):
        with postgres_database(server_url, prefix) as url:
            migrate(url)
            yield url
        return
    url = f"sqlite:///{folder / f'{prefix}-{uuid.uuid4().hex[:8]}.sqlite'}"
    migrate(url)
    yield url


def migrate(url: str) -> None:
    """Upgrade ``url`` to head with the project's migrations."""
    from alembic import command

    from straxlab import create_app
    from straxlab.config import TestConfig
    from straxlab.extensions import db

    app = create_app(TestConfig(url))
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        config.attributes["configure_logging"] = False
        command.upgrade(config, "head")
        db.engine.dispose()
