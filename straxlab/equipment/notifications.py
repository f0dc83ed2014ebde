"""Mail to borrowers: their request decided, their reservation changed or cancelled by staff.

``equipment.services`` calls these inside the transaction of the change, after it is applied;
``mail.services.queue`` writes the message to the outbox in the borrower's language, at most
once per dedupe key. Nobody is mailed about what they did themselves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from straxlab.auth.models import User
from straxlab.equipment.models import Reservation
from straxlab.equipment.rules import Interval, ReservationStatus
from straxlab.lab_calendar.services import lab_zone
from straxlab.mail import services as mail
from straxlab.mail.rules import Notice


def reservation_decided(reservation: Reservation, *, actor: User, now: datetime) -> bool:
    """Tell the requester that staff approved or rejected their request, with the note.

    The key carries the reservation's sequence: a replayed call adds nothing, but a request
    that went back to staff after a change and is approved again is mailed again.
    """
    if reservation.requester_id == actor.id:
        return False
    outcome = "approved" if reservation.status is ReservationStatus.APPROVED else "rejected"
    return mail.queue(
        Notice.RESERVATION_DECIDED,
        reservation.requester,
        key=f"reservation:{reservation.id}:{outcome}:{reservation.sequence}",
        template=f"reservation_{outcome}",
        now=now,
        note=reservation.decision_note,
        **_about(reservation),
    )


def reservation_changed(
    reservation: Reservation,
    *,
    actor: User,
    now: datetime,
    old_period: Interval,
    old_quantity: int,
    old_purpose: str,
) -> bool:
    """Tell the requester that staff changed the period, quantity or purpose of their
    reservation (what it was, what it is now). Nothing when nothing of that changed."""
    if reservation.requester_id == actor.id:
        return False
    period_changed = old_period != Interval(reservation.starts_at, reservation.ends_at)
    quantity_changed = old_quantity != reservation.quantity
    purpose_changed = old_purpose != reservation.purpose
    if not (period_changed or quantity_changed or purpose_changed):
        return False
    return mail.queue(
        Notice.RESERVATION_CHANGED,
        reservation.requester,
        key=f"reservation:{reservation.id}:changed:{reservation.sequence}",
        template="reservation_changed",
        now=now,
        old_when=_period(old_period.start, old_period.end) if period_changed else None,
        old_quantity=old_quantity if quantity_changed else None,
        old_purpose=old_purpose if purpose_changed else None,
        **_about(reservation),
    )


def reservation_cancelled(
    reservation: Reservation, *, actor: User, now: datetime, reason: str
) -> bool:
    """Tell the requester that staff cancelled their reservation, and why if they said."""
    if reservation.requester_id == actor.id:
        return False
    return mail.queue(
        Notice.RESERVATION_CHANGED,
        reservation.requester,
        key=f"reservation:{reservation.id}:cancelled",
        template="reservation_cancelled",
        now=now,
        reason=reason.strip(),
        **_about(reservation),
    )


def _about(reservation: Reservation) -> dict[str, Any]:
    """What every reservation message shows: the gear, its period, purpose and page."""
    return {
        "reservation": reservation,
        "when": _period(reservation.starts_at, reservation.ends_at),
        "link": mail.external_url("equipment.reservation", reservation_id=reservation.id),
    }


def _period(starts_at: datetime, ends_at: datetime) -> dict[str, Any]:
    """Start and end for ``mail/reservation_macros.txt``; the end omits its date on the same
    lab day ("Tue 3 Mar 09:00–12:00")."""
    zone = lab_zone()
    same_day = starts_at.astimezone(zone).date() == ends_at.astimezone(zone).date()
    return {"starts_at": starts_at, "ends_at": ends_at, "same_day": same_day}
