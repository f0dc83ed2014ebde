"""Read-side queries for the design-team pages: the team list and one team's page.

Nothing here writes. Every function issues a fixed number of SQL statements, however many
teams, members or design days there are (tests count them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from straxlab.auth.models import User
from straxlab.auth.rules import Permission
from straxlab.design_teams.models import Attendance, DesignDay, DesignTeam, Membership, Programme
from straxlab.design_teams.rules import TAKING_PLACE, ProgrammeStatus, is_member_on
from straxlab.extensions import db

# Programmes that are "current" for the team list, the approved one first.
CURRENT_PROGRAMME = (ProgrammeStatus.APPROVED, ProgrammeStatus.REQUESTED)
# The team page lists at most this many upcoming design days (the lab calendar has the rest).
UPCOMING_DAYS = 12


# The team list --------------------------------------------------------------------------


def visible_teams(user: User, *, name: str = "") -> sa.Select[DesignTeam]:
    """Teams ``user`` may see in the list, by name: every team for staff and managers, the
    teams they coordinate or are (or were) a member of for everyone else."""
    query = sa.select(DesignTeam).order_by(sa.func.lower(DesignTeam.name), DesignTeam.id)
    if not user.can(Permission.VIEW_ALL_TEAMS):
        member_of = sa.select(Membership.team_id).where(Membership.user_id == user.id)
        query = query.where(
            sa.or_(DesignTeam.coordinator_id == user.id, DesignTeam.id.in_(member_of))
        )
    needle = name.strip().lower()
    if needle:
        query = query.where(sa.func.lower(DesignTeam.name).contains(needle, autoescape=True))
    return query


@dataclass(frozen=True)
class TeamRow:
    team: DesignTeam
    active_members: int
    programme: Programme | None


def active_member_counts(team_ids: Sequence[int], on: date) -> dict[int, int]:
    """Active members per team on ``on`` (one statement)."""
    if not team_ids:
        return {}
    rows = db.session.execute(
        sa.select(Membership.team_id, sa.func.count(sa.distinct(Membership.user_id)))
        .where(Membership.team_id.in_(sorted(set(team_ids))), Membership.counts_on(on))
        .group_by(Membership.team_id)
    )
    return {team_id: count for team_id, count in rows}


def team_rows(teams: Sequence[DesignTeam], on: date) -> list[TeamRow]:
    """The list's facts for a page of teams: active members and the current programme.

    Two statements, whatever the number of teams (the coordinator is joined with the team).
    """
    ids = [team.id for team in teams]
    if not ids:
        return []
    counts = active_member_counts(ids, on)
    current: dict[int, Programme] = {}
    programmes = db.session.scalars(
        sa.select(Programme)
        .where(Programme.team_id.in_(ids), Programme.status.in_(CURRENT_PROGRAMME))
        .order_by(Programme.first_day.desc(), Programme.id.desc())
    )
    for programme in programmes:
        known = current.get(programme.team_id)
        # An approved programme wins over a request; otherwise the latest one.
        if known is None or (
            known.status != ProgrammeStatus.APPROVED
            and programme.status == ProgrammeStatus.APPROVED
        ):
            current[programme.team_id] = programme
    return [TeamRow(team, counts.get(team.id, 0), current.get(team.id)) for team in teams]


# One team's page ------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberAttendance:
    held: int
    present: int


@dataclass
class TeamPage:
    team: DesignTeam
    active: list[Membership] = field(default_factory=list)
    former: list[Membership] = field(default_factory=list)
    programmes: list[Programme] = field(default_factory=list)
    upcoming: list[DesignDay] = field(default_factory=list)
    more_upcoming: bool = False
    # Per user id: design days held while they were a member, and days they were present.
    attendance: dict[int, MemberAttendance] = field(default_factory=dict)

    def attendance_of(self, user_id: int) -> MemberAttendance:
        return self.attendance.get(user_id, MemberAttendance(0, 0))

    @property
    def people(self) -> list[User]:
        """Everyone who is or was a member, current members first, each once."""
        seen: dict[int, User] = {}
        for membership in [*self.active, *self.former]:
            seen.setdefault(membership.user_id, membership.user)
        return list(seen.values())


def memberships(team_id: int) -> list[Membership]:
    """Every membership of a team, old and current, with its user (one statement)."""
    return list(
        db.session.scalars(
            sa.select(Membership)
            .where(Membership.team_id == team_id)
            .order_by(Membership.joined_on, Membership.id)
        )
    )


def _held(now: datetime) -> sa.ColumnElement[bool]:
    """A design day that has taken place: not cancelled and already over (the same test as
    the compliance check's, so both count the same days)."""
    return sa.and_(DesignDay.status.in_(TAKING_PLACE), DesignDay.ends_at <= now)


def attendance_summary(team_id: int, now: datetime) -> dict[int, MemberAttendance]:
    """Per member: the design days held while they were a member, and the days present.

    Two grouped statements, whatever the number of members and days.
    """
    held_rows = db.session.execute(
        sa.select(Membership.user_id, sa.func.count(sa.distinct(DesignDay.id)))
        .join(DesignDay, DesignDay.team_id == Membership.team_id)
        .where(
            Membership.team_id == team_id,
            Membership.counts_on(DesignDay.day),
            _held(now),
        )
        .group_by(Membership.user_id)
    ).all()
    held = dict(held_rows)
    present = dict(
        db.session.execute(
            sa.select(Attendance.user_id, sa.func.count(sa.distinct(DesignDay.id)))
            .join(DesignDay, DesignDay.id == Attendance.design_day_id)
            .where(DesignDay.team_id == team_id, Attendance.present.is_(True), _held(now))
            .group_by(Attendance.user_id)
        ).all()
    )
    return {
        user_id: MemberAttendance(held.get(user_id, 0), present.get(user_id, 0))
        for user_id in set(held) | set(present)
    }


def team_page(team: DesignTeam, *, on: date, now: datetime) -> TeamPage:
    """Everything the team page shows, in a fixed number of statements."""
    page = TeamPage(team)
    for membership in memberships(team.id):
        if is_member_on(membership.joined_on, membership.left_on, on):
            page.active.append(membership)
        elif membership.left_on is not None:
            page.former.append(membership)
    page.former.sort(key=lambda m: (m.left_on or on, m.id), reverse=True)
    page.programmes = list(
        db.session.scalars(
            sa.select(Programme)
            .where(Programme.team_id == team.id)
            .order_by(Programme.first_day.desc(), Programme.id.desc())
        ).unique()
    )
    upcoming = list(
        db.session.scalars(
            sa.select(DesignDay)
            .where(DesignDay.team_id == team.id, DesignDay.day >= on, DesignDay.ends_at > now)
            .order_by(DesignDay.day, DesignDay.starts_at, DesignDay.id)
            .limit(UPCOMING_DAYS + 1)
        ).unique()
    )
    page.upcoming = upcoming[:UPCOMING_DAYS]
    page.more_upcoming = len(upcoming) > UPCOMING_DAYS
    page.attendance = attendance_summary(team.id, now)
    return page


def active_user_by_email(email: str) -> User | None:
    """The active account with this e-mail address (case and spaces ignored)."""
    wanted = email.strip().lower()
    if not wanted:
        return None
    return db.session.scalar(
        sa.select(User).where(sa.func.lower(User.email) == wanted, User.is_active.is_(True))
    )


def active_users() -> list[User]:
    """Everyone who can be made coordinator of a new team, by name."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.is_active.is_(True))
            .order_by(sa.func.lower(User.name), User.id)
        )
    )
