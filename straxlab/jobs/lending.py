"""The lending desk's jobs: pickup and return reminders, overdue notices, stale requests."""

from __future__ import annotations

from datetime import datetime

from straxlab.auth.models import User
from straxlab.equipment import reminders
from straxlab.equipment import services as lending
from straxlab.equipment.models import Reservation
from straxlab.extensions import db
from straxlab.jobs import rules
from straxlab.jobs.common import already_queued, queue_new
from straxlab.lab_calendar.services import lab_zone


def pickup_reminders(now: datetime) -> int:
    """Remind borrowers of approved reservations to pick them up (from 15:00 the day before)."""
    zone = lab_zone()
    due = [
        (reservation, rules.pickup_key(reservation.id, reservation.starts_at))
        for reservation in reminders.approved_starting(now, now + rules.PICKUP_LOOKAHEAD)
        if rules.pickup_reminder_due(reservation.starts_at, now, zone)
    ]
    count = queue_new(due, lambda r, key: reminders.pickup_reminder(r, key=key, now=now))
    db.session.commit()
    return count


def return_reminders(now: datetime) -> int:
    """Remind borrowers of loans due back today (from 08:00 until the due time)."""
    zone = lab_zone()
    due = [
        (reservation, rules.return_key(reservation.id, reservation.ends_at))
        for reservation in reminders.out_due(now, now + rules.RETURN_LOOKAHEAD)
        if rules.return_reminder_due(reservation.ends_at, now, zone)
    ]
    count = queue_new(due, lambda r, key: reminders.return_reminder(r, key=key, now=now))
    db.session.commit()
    return count


def overdue_notices(now: datetime) -> int:
    """Today's overdue notice for every loan still out after its due day (staff in copy
    from the second day, or each told on their own when the borrower gets no overdue mail);
    days missed during an outage are not sent afterwards."""
    zone = lab_zone()
    today = rules.local_date(now, zone)
    due = [
        (reservation, rules.overdue_key(reservation.id, today))
        for reservation in reminders.overdue(now)
        if rules.overdue_notice_due(reservation.ends_at, now, zone)
    ]
    staff: list[User] | None = None

    def send(reservation: Reservation, key: str) -> int:
        nonlocal staff
        days = rules.days_overdue(reservation.ends_at, now, zone)
        told: list[User] = []
        if rules.staff_in_copy(days):
            staff = reminders.lending_staff() if staff is None else staff
            told = staff
        return reminders.overdue_notice(
            reservation, key=key, day=today, days_late=days, staff=told, now=now
        )

    # Like queue_new, but one loan may give several messages (staff told one by one).
    known = already_queued(key for _, key in due)
    count = sum(send(reservation, key) for reservation, key in due if key not in known)
    db.session.commit()
    return count


def expire_stale(now: datetime) -> int:
    """Expire requests nobody approved before their start, and reservations never picked up."""
    count = lending.expire_stale(now=now)
    db.session.commit()
    return count
