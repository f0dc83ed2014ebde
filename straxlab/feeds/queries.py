"""The read side of the feeds: one statement per kind of event, whatever the number of events.

Each query selects the columns a feed needs (no ORM objects, no lazy loads), bounded on both
sides by the feed's window so that it uses the indexes and does not grow with history.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from straxlab.auth.models import User
from straxlab.compliance.models import Milestone, ProfessionalisationPlan
from straxlab.core.audit import AuditEvent
from straxlab.design_teams.models import DesignDay, DesignTeam, Membership
from straxlab.equipment.models import Asset, EquipmentType, Kit, Reservation, ReservationItem
from straxlab.equipment.rules import LOOKBACK
from straxlab.extensions import db

# A design day lies within one local date; its UTC instants stay within a day of that date.
_DAY_MARGIN = timedelta(days=1)

# Rows of any columns: the feeds read them by name (``row.starts_at``).
Query = sa.Select[*tuple[Any, ...]]
Rows = Sequence[sa.Row[*tuple[Any, ...]]]

TOKEN_ACTIONS = ("user.feed_token_created", "user.feed_token_regenerated")


def _reservations(start: datetime, end: datetime) -> Query:
    """Reservations overlapping [start, end): ``starts_at`` bounded from below by the longest
    loan, so the index on the start is used (DESIGN.md, queries that stay fast)."""
    return (
        sa.select(
            Reservation.id,
            Reservation.sequence,
            Reservation.updated_at,
            Reservation.starts_at,
            Reservation.ends_at,
            Reservation.status,
            Reservation.quantity,
            Reservation.purpose,
            EquipmentType.name.label("type_name"),
            Kit.name.label("kit_name"),
            User.name.label("requester_name"),
        )
        .join(User, User.id == Reservation.requester_id)
        .outerjoin(EquipmentType, EquipmentType.id == Reservation.equipment_type_id)
        .outerjoin(Kit, Kit.id == Reservation.kit_id)
        .where(
            Reservation.starts_at < end,
            Reservation.ends_at > start,
            Reservation.starts_at > start - LOOKBACK,
        )
        .order_by(Reservation.starts_at, Reservation.id)
    )


def my_reservations(user_id: int, start: datetime, end: datetime) -> Rows:
    """The user's own reservations in the window, whatever their status."""
    return db.session.execute(
        _reservations(start, end).where(Reservation.requester_id == user_id)
    ).all()


def all_reservations(start: datetime, end: datetime) -> Rows:
    return db.session.execute(_reservations(start, end)).all()


def type_reservations(type_id: int, start: datetime, end: datetime) -> Rows:
    """Reservations of the type, and of kits that hold an asset of the type.

    A kit reservation counts when one of its items is an asset of this type (what the
    reservation holds, not what the kit holds today: ``equipment.services
    .reservation_components`` follows the same rule). Items keep the reservation's start, so
    the item query is bounded like the reservation query.
    """
    holding = (
        sa.select(ReservationItem.reservation_id)
        .join(Asset, Asset.id == ReservationItem.asset_id)
        .where(
            Asset.equipment_type_id == type_id,
            ReservationItem.starts_at < end,
            ReservationItem.starts_at > start - LOOKBACK,
        )
    )
    query = _reservations(start, end).where(
        sa.or_(Reservation.equipment_type_id == type_id, Reservation.id.in_(holding))
    )
    return db.session.execute(query).all()


def _design_days(start: datetime, end: datetime, first: date, last: date) -> Query:
    return (
        sa.select(
            DesignDay.id,
            DesignDay.sequence,
            DesignDay.updated_at,
            DesignDay.starts_at,
            DesignDay.ends_at,
            DesignDay.status,
            DesignDay.cancel_reason,
            DesignDay.team_id,
            DesignTeam.name.label("team_name"),
            DesignTeam.theme.label("team_theme"),
        )
        .join(DesignTeam, DesignTeam.id == DesignDay.team_id)
        .where(
            DesignDay.day >= first - _DAY_MARGIN,
            DesignDay.day <= last + _DAY_MARGIN,
            DesignDay.starts_at < end,
            DesignDay.ends_at > start,
        )
        .order_by(DesignDay.starts_at, DesignDay.id)
    )


def my_design_days(
    user_id: int, today: date, start: datetime, end: datetime, first: date, last: date
) -> Rows:
    """The design days of the teams the user is an active member of today."""
    teams = sa.select(Membership.team_id).where(
        Membership.user_id == user_id, Membership.counts_on(today)
    )
    query = _design_days(start, end, first, last).where(DesignDay.team_id.in_(teams))
    return db.session.execute(query).all()


def team_design_days(team_id: int, start: datetime, end: datetime, first: date, last: date) -> Rows:
    query = _design_days(start, end, first, last).where(DesignDay.team_id == team_id)
    return db.session.execute(query).all()


def all_design_days(start: datetime, end: datetime, first: date, last: date) -> Rows:
    return db.session.execute(_design_days(start, end, first, last)).all()


def team_milestones(team_id: int, first: date, last: date) -> Rows:
    """The team's milestones due within the window's dates."""
    query = (
        sa.select(
            Milestone.id,
            Milestone.title,
            Milestone.due_on,
            Milestone.done_on,
            Milestone.created_at,
            Milestone.updated_at,
        )
        .join(ProfessionalisationPlan, ProfessionalisationPlan.id == Milestone.plan_id)
        .where(
            ProfessionalisationPlan.team_id == team_id,
            Milestone.due_on >= first,
            Milestone.due_on <= last,
        )
        .order_by(Milestone.due_on, Milestone.id)
    )
    return db.session.execute(query).all()


def current_teams(user_id: int, today: date) -> list[DesignTeam]:
    """The teams the user coordinates or is an active member of, by name."""
    member_of = sa.select(Membership.team_id).where(
        Membership.user_id == user_id, Membership.counts_on(today)
    )
    query = (
        sa.select(DesignTeam)
        .where(sa.or_(DesignTeam.coordinator_id == user_id, DesignTeam.id.in_(member_of)))
        .order_by(sa.func.lower(DesignTeam.name), DesignTeam.id)
    )
    return list(db.session.scalars(query).unique())


def token_made_at(user_id: int) -> datetime | None:
    """When the user's current feed token was made (from the audit trail)."""
    return db.session.scalar(
        sa.select(sa.func.max(AuditEvent.at)).where(
            AuditEvent.object_type == "user",
            AuditEvent.object_id == user_id,
            AuditEvent.action.in_(TOKEN_ACTIONS),
        )
    )
