"""The design day reminder: mail to every member of a team the afternoon before its lab day.

The lab-day job (``straxlab.jobs.teams``) decides with ``jobs.rules`` when it is due and
passes the dedupe key; these functions find the days and members and write one message per
member in that member's language. They never commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

import sqlalchemy as sa

from straxlab.auth.models import User
from straxlab.design_teams.models import DesignDay, Membership
from straxlab.design_teams.rules import DesignDayStatus
from straxlab.extensions import db
from straxlab.mail import services as mail
from straxlab.mail.rules import Notice


def scheduled_days(days: Iterable[date], *, starting_after: datetime) -> list[DesignDay]:
    """Scheduled design days on these dates that have not started yet."""
    return list(
        db.session.scalars(
            sa.select(DesignDay)
            .where(
                DesignDay.day.in_(list(days)),
                DesignDay.status == DesignDayStatus.SCHEDULED,
                DesignDay.starts_at > starting_after,
            )
            .order_by(DesignDay.starts_at, DesignDay.id)
        )
    )


def members_of(design_days: Iterable[DesignDay]) -> dict[int, list[User]]:
    """Per design day id, the active users who are members of its team on that day (one query)."""
    ids = [design_day.id for design_day in design_days]
    found: dict[int, list[User]] = defaultdict(list)
    if not ids:
        return found
    rows = db.session.execute(
        sa.select(DesignDay.id, User)
        .join(Membership, Membership.team_id == DesignDay.team_id)
        .join(User, User.id == Membership.user_id)
        .where(
            DesignDay.id.in_(ids),
            Membership.counts_on(DesignDay.day),
            User.is_active.is_(True),
        )
        .order_by(DesignDay.id, User.id)
    )
    for design_day_id, user in rows:
        found[design_day_id].append(user)
    return found


def lab_day_reminder(design_day: DesignDay, member: User, *, key: str, now: datetime) -> bool:
    """Remind one member of the team's design day: when, and where to check in."""
    return mail.queue(
        Notice.LAB_DAY_REMINDER,
        member,
        key=key,
        template="lab_day_reminder",
        now=now,
        design_day=design_day,
        team_name=design_day.team.name,
        link=mail.external_url("days.day", design_day_id=design_day.id),
        check_in_link=mail.external_url("days.check_in", design_day_id=design_day.id),
    )
