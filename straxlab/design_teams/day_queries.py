"""Read-side queries of single design days: the day page, the door poster, "My lab days" and
the home-page pieces. Each page takes a fixed number of statements, whatever the rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from straxlab.auth.models import User
from straxlab.auth.queries import user_names
from straxlab.core.audit import AuditEvent, history
from straxlab.design_teams import services
from straxlab.design_teams.models import Attendance, DesignDay, Membership, Programme
from straxlab.design_teams.rules import TAKING_PLACE, ProgrammeStatus
from straxlab.extensions import db


def load_day(design_day_id: int) -> DesignDay | None:
    """The design day with its team, the team's coordinator and its programme (one query)."""
    return db.session.scalar(sa.select(DesignDay).where(DesignDay.id == design_day_id))


# --- the day page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceRow:
    """One member active on the day, and what is known of their attendance."""

    user: User
    attendance: Attendance | None

    @property
    def state(self) -> str:
        """``present``, ``absent`` or ``unknown`` (not recorded)."""
        if self.attendance is None:
            return "unknown"
        return "present" if self.attendance.present else "absent"


def attendance_rows(design_day: DesignDay) -> list[AttendanceRow]:
    """Every member active on the day, by name, with their attendance (two queries)."""
    members = db.session.scalars(
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.team_id == design_day.team_id, Membership.counts_on(design_day.day))
        .order_by(User.name, User.id)
    ).all()
    records = {
        record.user_id: record
        for record in db.session.scalars(
            sa.select(Attendance).where(Attendance.design_day_id == design_day.id)
        )
    }
    seen: set[int] = set()
    rows = []
    for user in members:
        # Someone who left and rejoined before the day has two memberships: list them once.
        if user.id not in seen:
            seen.add(user.id)
            rows.append(AttendanceRow(user, records.get(user.id)))
    return rows


def day_history(
    design_day: DesignDay, rows: list[AttendanceRow]
) -> tuple[list[AuditEvent], dict[int, str]]:
    """The day's audit events, newest first, and the names of everyone they and the
    attendance list mention (one query for the events, one for the names)."""
    events = history("design_day", design_day.id)
    people: list[int | None] = [event.actor_id for event in events]
    people += [_int(event.details.get("user_id")) for event in events if event.details]
    people += [row.attendance.recorded_by_id for row in rows if row.attendance]
    return events, user_names(people)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


# --- today in the lab ------------------------------------------------------------------------


def days_on(day: date) -> list[DesignDay]:
    """The design days on one lab day that take place, in time order, teams loaded."""
    return list(
        db.session.scalars(
            sa.select(DesignDay)
            .where(DesignDay.day == day, DesignDay.status.in_(TAKING_PLACE))
            .order_by(DesignDay.starts_at, DesignDay.id)
        )
    )


def waiting_requests() -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count(Programme.id)).where(
                Programme.status == ProgrammeStatus.REQUESTED
            )
        )
        or 0
    )


# --- one member's days -----------------------------------------------------------------------


def my_days(user_id: int) -> sa.Select[DesignDay]:
    """The design days of every team the user was a member of on that day."""
    return (
        sa.select(DesignDay)
        .join(Membership, Membership.team_id == DesignDay.team_id)
        .where(Membership.user_id == user_id, Membership.counts_on(DesignDay.day))
    )


def coming_days(user_id: int, today: date, limit: int) -> list[DesignDay]:
    """The user's design days from today on, earliest first, at most ``limit``."""
    query = (
        my_days(user_id)
        .where(DesignDay.day >= today)
        .order_by(DesignDay.day, DesignDay.starts_at, DesignDay.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def past_days(user_id: int, today: date) -> sa.Select[DesignDay]:
    """The user's design days before today, latest first (the caller paginates)."""
    return (
        my_days(user_id)
        .where(DesignDay.day < today)
        .order_by(DesignDay.day.desc(), DesignDay.starts_at.desc(), DesignDay.id.desc())
    )


def attendance_of(user_id: int, design_day_ids: Iterable[int]) -> dict[int, Attendance]:
    """The user's attendance on each of the given design days that has one (one query)."""
    ids = sorted(set(design_day_ids))
    if not ids:
        return {}
    rows = db.session.scalars(
        sa.select(Attendance).where(
            Attendance.user_id == user_id, Attendance.design_day_id.in_(ids)
        )
    )
    return {row.design_day_id: row for row in rows}


@dataclass(frozen=True)
class NextDay:
    """The teacher home's "My next design day"."""

    design_day: DesignDay
    attendance: Attendance | None
    today: bool


def next_day(user_id: int, today: date, now: datetime) -> NextDay | None:
    """The user's next design day that takes place: today's (even when it is over, so the home
    page still says whether they checked in), else the first one still to come."""
    design_day = db.session.scalar(
        my_days(user_id)
        .where(
            DesignDay.day >= today,
            DesignDay.status.in_(TAKING_PLACE),
            sa.or_(DesignDay.day == today, DesignDay.ends_at > now),
        )
        .order_by(DesignDay.day, DesignDay.starts_at, DesignDay.id)
        .limit(1)
    )
    if design_day is None:
        return None
    attendance = (
        services.find_attendance(design_day.id, user_id) if design_day.day == today else None
    )
    return NextDay(design_day, attendance, design_day.day == today)
