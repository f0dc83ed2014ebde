"""Design teams, their members, programme requests, design days and attendance."""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
import sqlalchemy.orm as so

from straxlab.auth.models import User
from straxlab.core.db import enum_type
from straxlab.design_teams.rules import DesignDayStatus, ProgrammeStatus
from straxlab.extensions import Model


class DesignTeam(Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True)
    theme: so.Mapped[str] = so.mapped_column(sa.String(200))
    department: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    coordinator_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id"), index=True)
    created_at: so.Mapped[datetime]

    coordinator: so.Mapped[User] = so.relationship(lazy="joined", foreign_keys=[coordinator_id])

    def __repr__(self) -> str:
        return f"<DesignTeam {self.id} {self.name}>"


class Membership(Model):
    """A member's time in a team; leaving sets ``left_on`` and the row stays as history."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    team_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("design_team.id"))
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id"), index=True)
    joined_on: so.Mapped[date]
    left_on: so.Mapped[date | None]

    user: so.Mapped[User] = so.relationship(lazy="joined")
    team: so.Mapped[DesignTeam] = so.relationship()

    __table_args__ = (
        sa.CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="left_after_joined"),
        sa.Index("ix_membership_team", "team_id", "user_id"),
        # One open membership per person and team.
        sa.Index(
            "uq_membership_open",
            "team_id",
            "user_id",
            unique=True,
            sqlite_where=sa.text("left_on IS NULL"),
            postgresql_where=sa.text("left_on IS NULL"),
        ),
    )

    @classmethod
    def counts_on(
        cls, day: date | sa.ColumnElement[date] | so.QueryableAttribute[date]
    ) -> sa.ColumnElement[bool]:
        """SQL for ``rules.is_member_on``: from joining up to (not including) leaving."""
        return sa.and_(cls.joined_on <= day, sa.or_(cls.left_on.is_(None), cls.left_on > day))

    def __repr__(self) -> str:
        return f"<Membership {self.team_id}/{self.user_id} {self.joined_on}..{self.left_on}>"


class Programme(Model):
    """A team's request for one lab day a week: "every Tuesday 09:00-16:00 from 3 Feb, 20 days"."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    team_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("design_team.id"), index=True)
    # ISO weekday, 1 = Monday.
    weekday: so.Mapped[int]
    second_weekday: so.Mapped[int | None]
    # Wall-clock times in the lab's zone (DESIGN.md, Time).
    starts_at: so.Mapped[time]
    ends_at: so.Mapped[time]
    first_day: so.Mapped[date]
    day_count: so.Mapped[int]
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    status: so.Mapped[ProgrammeStatus] = so.mapped_column(
        enum_type(ProgrammeStatus, "programme_status"), default=ProgrammeStatus.REQUESTED
    )
    requested_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id"))
    requested_at: so.Mapped[datetime]
    decided_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    decided_at: so.Mapped[datetime | None]
    decision_note: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    team: so.Mapped[DesignTeam] = so.relationship(lazy="joined")

    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 1 AND 7", name="weekday_iso"),
        sa.CheckConstraint(
            "second_weekday IS NULL OR second_weekday BETWEEN 1 AND 7", name="second_weekday_iso"
        ),
        sa.CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        sa.CheckConstraint("day_count >= 1", name="day_count_positive"),
        sa.Index("ix_programme_status", "status", "weekday"),
    )

    def __repr__(self) -> str:
        return f"<Programme {self.id} team {self.team_id} {self.status.value}>"


class DesignDay(Model):
    """One lab day of a team (ontwerpdag); stored one row per day so checks stay plain."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    programme_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("programme.id"), index=True)
    team_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("design_team.id"))
    # The lab day (local date) and its window as UTC instants, expanded from wall-clock times.
    day: so.Mapped[date] = so.mapped_column(sa.ForeignKey("lab_day.day"))
    starts_at: so.Mapped[datetime]
    ends_at: so.Mapped[datetime]
    status: so.Mapped[DesignDayStatus] = so.mapped_column(
        enum_type(DesignDayStatus, "design_day_status"), default=DesignDayStatus.SCHEDULED
    )
    cancel_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # Bumped on every change, for calendar clients (iCal SEQUENCE).
    sequence: so.Mapped[int] = so.mapped_column(default=0)
    updated_at: so.Mapped[datetime]

    programme: so.Mapped[Programme] = so.relationship(lazy="joined")
    team: so.Mapped[DesignTeam] = so.relationship(lazy="joined")

    __table_args__ = (
        sa.CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        sa.Index("ix_design_day_day", "day", "status"),
        sa.Index("ix_design_day_team", "team_id", "day"),
    )

    def __repr__(self) -> str:
        return f"<DesignDay {self.id} team {self.team_id} {self.day} {self.status.value}>"


class Attendance(Model):
    """Whether a member was there on a design day: self check-in or recorded by staff."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    design_day_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("design_day.id"))
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id"), index=True)
    present: so.Mapped[bool]
    checked_in_at: so.Mapped[datetime | None]
    # Null for a self check-in; the staff member who recorded or corrected it otherwise.
    recorded_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    updated_at: so.Mapped[datetime]

    __table_args__ = (sa.UniqueConstraint("design_day_id", "user_id"),)

    def __repr__(self) -> str:
        return f"<Attendance day {self.design_day_id} user {self.user_id} {self.present}>"
