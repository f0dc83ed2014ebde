"""Shared pieces of the notification tests: a frozen clock and the outbox as rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask

from straxlab.core import clock
from straxlab.extensions import db
from straxlab.mail import services as mail
from straxlab.mail.models import OutboxMessage
from straxlab.mail.rules import Notice
from tests.factories import make_team, make_user

AMS = ZoneInfo("Europe/Amsterdam")
BASE_URL = "http://127.0.0.1:5000"


def lab(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """An instant on the lab's wall clock, as UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=AMS).astimezone(UTC)


# Monday 30 November 2026, 10:00 in the lab.
NOW = lab(2026, 11, 30)


@pytest.fixture
def frozen(app_ctx: Flask) -> Iterator[None]:
    # No request context: the services run as a job or a CLI command would run them, and
    # mail must render without one. (Not for view tests: a client request would share this
    # application context and its session.)
    app_ctx.config["BASE_URL"] = BASE_URL
    with clock.frozen(NOW):
        yield


def outbox(kind: str | None = None) -> list[OutboxMessage]:
    """Every queued message (of ``kind``), oldest first."""
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def only(kind: str) -> OutboxMessage:
    rows = outbox(kind)
    assert len(rows) == 1, [(r.to_address, r.subject) for r in rows]
    return rows[0]


def recipients(kind: str) -> set[int | None]:
    return {row.recipient_id for row in outbox(kind)}


@dataclass
class TeamWorld:
    """A design team with everyone a team mail must or must not reach."""

    team: Any
    staff: Any
    manager: Any
    coordinator: Any
    member: Any
    former: Any  # left the team
    deactivated: Any  # still a member, account switched off
    opted_out: Any  # still a member, turned the kind of mail off (set per test)

    @property
    def mailed(self) -> set[int]:
        """Who a team mail goes to (when the opted-out member has opted out)."""
        return {self.coordinator.id, self.member.id}


@pytest.fixture
def world(frozen: None) -> TeamWorld:
    from straxlab.design_teams import services as teams
    from straxlab.design_teams.models import Membership

    coordinator = make_user(locale="en", name="Cora Coordinator", email="cora@school.example")
    member = make_user(locale="en", name="Mila Member", email="mila@school.example")
    former = make_user(locale="en", name="Fay Former")
    deactivated = make_user(locale="en", name="Dirk Deactivated")
    opted_out = make_user(locale="en", name="Otto Optout")
    team = make_team(coordinator, [member, former, deactivated, opted_out], name="VR in de zorg")
    membership = db.session.scalar(
        sa.select(Membership).where(Membership.user_id == former.id, Membership.team_id == team.id)
    )
    teams.end_membership(membership, actor=coordinator, now=NOW)
    deactivated.is_active = False
    return TeamWorld(
        team=team,
        staff=make_user(role="staff", locale="en", name="Sam Staff"),
        manager=make_user(role="manager", locale="en", name="Manon Manager"),
        coordinator=coordinator,
        member=member,
        former=former,
        deactivated=deactivated,
        opted_out=opted_out,
    )


def opt_out(user: Any, notice: Notice) -> None:
    mail.set_wanted_notices(user.id, [n for n in Notice if n is not notice])
