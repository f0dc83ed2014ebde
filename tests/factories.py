"""Factories that build valid objects, with overrides for what a test cares about."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from straxlab.auth import passwords
from straxlab.auth.models import User
from straxlab.auth.rules import Role
from straxlab.core import clock
from straxlab.extensions import db

DEFAULT_PASSWORD = "een lang genoeg testwachtwoord"
_sequence = itertools.count(1)


def make_user(
    *,
    role: Role | str = Role.TEACHER,
    email: str | None = None,
    name: str | None = None,
    password: str = DEFAULT_PASSWORD,
    created_at: datetime | None = None,
    **overrides: Any,
) -> User:
    n = next(_sequence)
    user = User(
        email=email or f"user{n}@school.example",
        name=name or f"Test Gebruiker {n}",
        role=Role(role),
        password_hash=passwords.hash_password(password),
        created_at=created_at or clock.now(),
        **overrides,
    )
    db.session.add(user)
    db.session.flush()
    return user
