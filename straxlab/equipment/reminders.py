"""The lending desk's reminders: pickup, return and overdue mail, composed for the outbox.

The jobs (``straxlab.jobs.lending``) decide with ``jobs.rules`` when each one is due and pass
its dedupe key; these functions find the candidates and write one message each in the
borrower's language (and, for a late loan whose borrower gets no mail, one to each member
of the lending staff in theirs). They never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from straxlab.auth.models import User
from straxlab.auth.rules import Permission, Role, has_permission
from straxlab.equipment.models import Reservation
from straxlab.equipment.rules import ReservationStatus
from straxlab.extensions import db
from straxlab.mail import services as mail
from straxlab.mail.models import OutboxMessage
from straxlab.mail.rules import Notice


def approved_starting(after: datetime, until: datetime) -> list[Reservation]:
    """Approved reservations that start in ``(after, until]``, earliest first."""
    return _in_window(ReservationStatus.APPROVED, Reservation.starts_at, after, until)


def out_due(after: datetime, until: datetime) -> list[Reservation]:
    """Loans out at the desk that are due back in ``(after, until]``."""
    return _in_window(ReservationStatus.CHECKED_OUT, Reservation.ends_at, after, until)


def _in_window(
    status: ReservationStatus,
    instant: so.InstrumentedAttribute[datetime],
    after: datetime,
    until: datetime,
) -> list[Reservation]:
    return list(
        db.session.scalars(
            sa.select(Reservation)
            .where(Reservation.status == status, instant > after, instant <= until)
            .order_by(instant, Reservation.id)
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


def lending_staff() -> list[User]:
    """Active users who run the desk (may lend): they hear of loans from the second day late."""
    roles = [role for role in Role if has_permission(role, Permission.LEND)]
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.role.in_(roles), User.is_active.is_(True))
            .order_by(User.email, User.id)
        )
    )


def staff_overdue_key(reservation_id: int, day: date, staff_id: int) -> str:
    """At most one message a day per late loan to each staff member who gets one of their own."""
    return f"overdue-staff:{reservation_id}:{day.isoformat()}:{staff_id}"


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
    staff: Sequence[User],
    now: datetime,
) -> int:
    """Tell the borrower that a loan is ``days_late`` days overdue, with ``staff`` in copy;
    how many messages were added.

    A borrower who gets no overdue mail (inactive, or turned it off) gets none, but staff
    must still hear of the loan: each of ``staff`` then gets a message of their own, in
    their own language. When the borrower's message is not added because an earlier run
    queued it already (with staff in copy), nothing more is added.
    """
    borrower = reservation.requester
    staff = [member for member in staff if member.id != borrower.id]
    cc = [member.email for member in staff]
    added = mail.queue(
        Notice.OVERDUE,
        borrower,
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
    if added:
        return 1
    if not staff or _mailed(borrower):
        return 0
    return _tell_staff(reservation, staff, day=day, days_late=days_late, now=now)


def _mailed(user: User) -> bool:
    """Whether ``user`` receives overdue mail at all (so a refused message was a duplicate)."""
    return bool(user.is_active) and mail.wants(user.id, Notice.OVERDUE)


def _tell_staff(
    reservation: Reservation, staff: Sequence[User], *, day: date, days_late: int, now: datetime
) -> int:
    """The overdue message to each of ``staff`` themselves; the ones queued before are skipped
    without being rendered again."""
    keys = {member.id: staff_overdue_key(reservation.id, day, member.id) for member in staff}
    known = set(
        db.session.scalars(
            sa.select(OutboxMessage.dedupe_key).where(
                OutboxMessage.dedupe_key.in_(list(keys.values()))
            )
        )
    )
    link = _link(reservation)
    return sum(
        mail.queue(
            Notice.OVERDUE,
            member,
            key=keys[member.id],
            template="overdue_staff",
            now=now,
            reservation=reservation,
            borrower=reservation.requester,
            day=day,
            days_late=days_late,
            link=link,
        )
        for member in staff
        if keys[member.id] not in known
    )
