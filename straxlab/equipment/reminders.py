"""The lending desk's reminders: pickup, return and overdue mail, composed for the outbox.

The jobs (``straxlab.jobs.lending``) decide with ``jobs.rules`` when each one is due and pass
its dedupe key; these functions find the candidates and write one message each in the
borrower's language. They never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import sqlalchemy as sa

from straxlab.auth.models import User
from straxlab.auth.rules import Permission, Role, has_permission
from straxlab.equipment.models import Reservation
from straxlab.equipment.rules import ReservationStatus
from straxlab.extensions import db
from straxlab.mail import services as mail
from straxlab.mail.rules import Notice


def approved_starting(after: datetime, until: datetime) -> list[Reservation]:
    """Approved reservations that start in ``(after, until]``, earliest first."""
    return list(
        db.session.scalars(
            sa.select(Reservation)
            .where(
                Reservation.status == ReservationStatus.APPROVED,
                Reservation.starts_at > after,
                Reservation.starts_at <= until,
            )
            .order_by(Reservation.starts_at, Reservation.id)
        )
    )


def out_due(after: datetime, until: datetime) -> list[Reservation]:
    """Loans out at the desk that are due back in ``(after, until]``."""
    return list(
        db.session.scalars(
            sa.select(Reservation)
            .where(
                Reservation.status == ReservationStatus.CHECKED_OUT,
                Reservation.ends_at > after,
                Reservation.ends_at <= until,
            )
            .order_by(Reservation.ends_at, Reservation.id)
        )
    )


def overdue(now: datetime) -> list[Reservation]:
    """Loans still out after their due instant."""
    return list(
        db.session.scalars(
            sa.select(Reservation)
            .where(
                Reservation.status == ReservationStatus.CHECKED_OUT,
                Reservation.ends_at < now,
            )
            .order_by(Reservation.ends_at, Reservation.id)
        )
    )


def lending_staff_addresses() -> list[str]:
    """The addresses of active users who run the desk (may lend): copied on late loans."""
    roles = [role for role in Role if has_permission(role, Permission.LEND)]
    return list(
        db.session.scalars(
            sa.select(User.email)
            .where(User.role.in_(roles), User.is_active.is_(True))
            .order_by(User.email)
        )
    )


def _link(reservation: Reservation) -> str:
    return mail.external_url("equipment.reservation", reservation_id=reservation.id)


def pickup_reminder(reservation: Reservation, *, key: str, now: datetime) -> bool:
    """Remind the borrower when and where to pick up an approved reservation."""
    return mail.queue(
        Notice.PICKUP_REMINDER,
        reservation.requester,
        key=key,
        template="pickup_reminder",
        now=now,
        reservation=reservation,
        link=_link(reservation),
    )


def return_reminder(reservation: Reservation, *, key: str, now: datetime) -> bool:
    """Remind the borrower that a loan is due back today, and by when."""
    return mail.queue(
        Notice.RETURN_REMINDER,
        reservation.requester,
        key=key,
        template="return_reminder",
        now=now,
        reservation=reservation,
        link=_link(reservation),
    )


def overdue_notice(
    reservation: Reservation,
    *,
    key: str,
    day: date,
    days_late: int,
    cc: Iterable[str],
    now: datetime,
) -> bool:
    """Tell the borrower (and staff in ``cc``) that a loan is ``days_late`` days overdue."""
    cc = [address for address in cc if address != reservation.requester.email]
    return mail.queue(
        Notice.OVERDUE,
        reservation.requester,
        key=key,
        template="overdue",
        now=now,
        cc=cc,
        reservation=reservation,
        day=day,
        days_late=days_late,
        staff_copied=bool(cc),
        link=_link(reservation),
    )
