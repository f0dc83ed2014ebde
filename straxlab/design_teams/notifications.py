"""Mail to design teams: their programme decided, one of their lab days moved or cancelled.

``design_teams.services`` calls these inside the transaction of the change, after it is
applied; ``mail.services.queue`` writes one message per recipient to the outbox in their
language, at most once per dedupe key. Recipients are the team's coordinator and the members
active today (former members are not mailed; ``queue`` skips inactive accounts and people who
turned the kind off). Nobody is mailed about what they did themselves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from straxlab.auth.models import User
from straxlab.design_teams.models import DesignDay, DesignTeam, Membership, Programme
from straxlab.design_teams.rules import ProgrammeStatus
from straxlab.extensions import db
from straxlab.lab_calendar.services import lab_today
from straxlab.mail import services as mail
from straxlab.mail.rules import Notice


def team_recipients(
    teams: Iterable[DesignTeam], *, on: date, exclude: int | None = None
) -> dict[int, list[User]]:
    """Per team id: its coordinator and the members active ``on``, in one query.

    ``exclude`` (the acting user) is left out.
    """
    by_id = {team.id: team for team in teams}
    found: dict[int, dict[int, User]] = defaultdict(dict)
    for team in by_id.values():
        found[team.id][team.coordinator.id] = team.coordinator
    if by_id:
        memberships = db.session.scalars(
            sa.select(Membership)
            .where(Membership.team_id.in_(sorted(by_id)), Membership.counts_on(on))
            .order_by(Membership.team_id, Membership.id)
        )
        for membership in memberships:
            found[membership.team_id][membership.user_id] = membership.user
    return {
        team_id: [user for user_id, user in users.items() if user_id != exclude]
        for team_id, users in found.items()
    }


def tell_team(
    team: DesignTeam,
    notice: Notice,
    *,
    key: str,
    template: str,
    actor: User,
    now: datetime,
    **context: Any,
) -> int:
    """One message to each of ``team``'s recipients but ``actor``, keyed ``<key>:<user id>``
    (the key is unique across the outbox); returns how many were added."""
    recipients = team_recipients([team], on=lab_today(now), exclude=actor.id)
    return sum(
        mail.queue(
            notice, user, key=f"{key}:{user.id}", template=template, now=now, team=team, **context
        )
        for user in recipients.get(team.id, [])
    )


def programme_decided(
    programme: Programme,
    *,
    actor: User,
    now: datetime,
    days: Sequence[DesignDay] = (),
) -> int:
    """Tell the team that staff approved their programme (with its ``days``) or rejected it
    (with the reason). Returns how many messages were added."""
    outcome = "approved" if programme.status is ProgrammeStatus.APPROVED else "rejected"
    return tell_team(
        programme.team,
        Notice.PROGRAMME_DECIDED,
        key=f"programme:{programme.id}:{outcome}",
        template=f"programme_{outcome}",
        actor=actor,
        now=now,
        programme=programme,
        days=sorted(days, key=lambda d: d.starts_at),
        note=programme.decision_note,
        link=mail.external_url("programmes.programme", programme_id=programme.id),
    )


def lab_day_moved(
    design_day: DesignDay,
    *,
    old_starts_at: datetime,
    old_ends_at: datetime,
    actor: User,
    now: datetime,
) -> int:
    """Tell the team that one of its lab days moved (from when, to when). Nothing when the
    day stayed where it was. Keyed by the day's sequence: a second real move mails again."""
    if (old_starts_at, old_ends_at) == (design_day.starts_at, design_day.ends_at):
        return 0
    return tell_team(
        design_day.team,
        Notice.LAB_DAY_CHANGED,
        key=f"designday:{design_day.id}:moved:{design_day.sequence}",
        template="lab_day_moved",
        actor=actor,
        now=now,
        design_day=design_day,
        old_starts_at=old_starts_at,
        old_ends_at=old_ends_at,
        link=mail.external_url("days.day", design_day_id=design_day.id),
    )


def lab_days_cancelled(
    design_days: Sequence[DesignDay],
    *,
    actor: User | None,
    now: datetime,
    closure: bool = False,
) -> int:
    """Tell each team that its lab days were cancelled, with the reason: one message per
    day and member (one members query for all the teams). ``closure`` says the lab is
    closed that day (a closure or a holiday) rather than the day being called off."""
    if not design_days:
        return 0
    teams = {day.team_id: day.team for day in design_days}
    recipients = team_recipients(
        teams.values(), on=lab_today(now), exclude=actor.id if actor is not None else None
    )
    added = 0
    for design_day in design_days:
        link = mail.external_url("days.day", design_day_id=design_day.id)
        for user in recipients.get(design_day.team_id, []):
            added += mail.queue(
                Notice.LAB_DAY_CHANGED,
                user,
                key=f"designday:{design_day.id}:cancelled:{user.id}",
                template="lab_day_cancelled",
                now=now,
                design_day=design_day,
                team=teams[design_day.team_id],
                reason=design_day.cancel_reason,
                closure=closure,
                link=link,
            )
    return added
