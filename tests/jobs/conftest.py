"""Shared pieces of the job tests: lab-clock instants, the outbox as rows, some people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from straxlab.auth.models import User
from straxlab.extensions import db
from straxlab.mail import services as mail
from straxlab.mail.models import OutboxMessage
from straxlab.mail.rules import Notice
from tests.factories import make_user

AMS = ZoneInfo("Europe/Amsterdam")
BASE_URL = "http://127.0.0.1:5000"


def lab(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """An instant on the lab's wall clock, as UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=AMS).astimezone(UTC)


def outbox(kind: Notice | None = None) -> list[OutboxMessage]:
    """Every queued message (of ``kind``), oldest first, read fresh from the database."""
    db.session.expire_all()
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind.value)
    return list(db.session.scalars(query))


def keys(kind: Notice) -> list[str]:
    return [row.dedupe_key for row in outbox(kind)]


def opt_out(user: User, notice: Notice) -> None:
    mail.set_wanted_notices(user.id, [n for n in Notice if n is not notice])
    db.session.commit()


@dataclass
class People:
    borrower: User
    staff: User
    other_staff: User
    manager: User


@pytest.fixture
def people(app_ctx: Any) -> People:
    app_ctx.config["BASE_URL"] = BASE_URL
    found = People(
        borrower=make_user(email="anna@school.example", name="Anna de Vries", locale="en"),
        staff=make_user(role="staff", email="balie@school.example", name="Joost"),
        other_staff=make_user(role="staff", email="balie2@school.example", name="Sanne"),
        manager=make_user(role="manager", email="manager@school.example", locale="en"),
    )
    db.session.commit()
    return found
