"""Fixtures: a real database (an SQLite file, or PostgreSQL from TEST_DATABASE_URL), migrated
once per session with the project's own migrations, emptied after every test."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from straxlab import create_app
from straxlab.config import TestConfig
from straxlab.extensions import db
from tests import scratch
from tests.factories import DEFAULT_PASSWORD, make_user

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL", "")
    if scratch.is_postgres(base):
        with scratch.postgres_database(base, "straxlab_test") as url:
            yield url
    else:
        path = tmp_path_factory.mktemp("db") / "straxlab-test.sqlite"
        yield f"sqlite:///{path}"


@pytest.fixture(scope="session")
def migrated_url(database_url: str) -> str:
    """The test database, upgraded to head by the project's own migrations."""
    scratch.migrate(database_url)
    return database_url


def empty_database(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        tables = db.metadata.sorted_tables
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(conn.dialect.identifier_preparer.quote(t.name) for t in tables)
                conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            else:
                for table in reversed(tables):
                    conn.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def app(migrated_url: str) -> Iterator[Flask]:
    app = create_app(TestConfig(migrated_url))
    app.test_client_class = Client
    yield app
    empty_database(app)


@pytest.fixture
def app_factory(migrated_url: str) -> Iterator[Any]:
    """Builds extra apps on the test database with changed settings; disposes their engines."""
    built: list[Flask] = []

    def build(**settings: Any) -> Flask:
        config = TestConfig(migrated_url)
        for key, value in settings.items():
            setattr(config, key, value)
        extra = create_app(config)
        extra.test_client_class = Client
        built.append(extra)
        return extra

    yield build
    for extra in built:
        with extra.app_context():
            db.engine.dispose()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    """An application context, for service tests that use ``db.session`` directly."""
    with app.app_context():
        yield app
        db.session.rollback()


class Client(FlaskClient):
    """A test client that fills in the CSRF token, the way a browser submitting a page does."""

    def csrf_token(self) -> str:
        page = self.get("/login", follow_redirects=True)
        match = CSRF_META.search(page.get_data(as_text=True))
        assert match, "no csrf-token meta tag on the page"
        return match.group(1)

    def post(self, *args: Any, csrf: bool = True, **kwargs: Any) -> Any:
        data = kwargs.get("data")
        if csrf and (data is None or isinstance(data, dict)) and "json" not in kwargs:
            data = dict(data or {})
            data.setdefault("csrf_token", self.csrf_token())
            kwargs["data"] = data
        return super().post(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> Client:
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, app: Flask, client: Client) -> None:
        self.app = app
        self.client = client

    def login(self, email: str, password: str = DEFAULT_PASSWORD) -> Any:
        return self.client.post("/login", data={"email": email, "password": password})

    def login_as(self, role: str = "teacher", **overrides: Any) -> Any:
        """Create a user with ``role`` and log in as them; returns the user's id and e-mail."""
        with self.app.app_context():
            user = make_user(role=role, **overrides)
            db.session.commit()
            info = UserInfo(id=user.id, email=user.email, name=user.name, role=role)
        response = self.login(info.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return info

    def logout(self) -> Any:
        return self.client.post("/logout")


class UserInfo:
    def __init__(self, *, id: int, email: str, name: str, role: str) -> None:
        self.id, self.email, self.name, self.role = id, email, name, role


@pytest.fixture
def auth(app: Flask, client: Client) -> AuthActions:
    return AuthActions(app, client)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent.name == "browser":
            item.add_marker(pytest.mark.browser)
