"""What kinds of mail exist, who may turn them off, and when a failed message is tried again.

Pure: no database, no Flask.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum


class Notice(StrEnum):
    """A kind of message; users choose per kind whether they receive it (security mail always)."""

    RESERVATION_DECIDED = "reservation_decided"
    RESERVATION_CHANGED = "reservation_changed"
    PICKUP_REMINDER = "pickup_reminder"
    RETURN_REMINDER = "return_reminder"
    OVERDUE = "overdue"
    PROGRAMME_DECIDED = "programme_decided"
    LAB_DAY_CHANGED = "lab_day_changed"
    LAB_DAY_REMINDER = "lab_day_reminder"
    PLAN_DECIDED = "plan_decided"
    COMPLIANCE_DIGEST = "compliance_digest"
    SECURITY = "security"


# Mail a user cannot turn off: without it they could lock themselves out.
ALWAYS_SENT = frozenset({Notice.SECURITY})

# After this many failed attempts a message stops being tried (it stays in the outbox).
MAX_ATTEMPTS = 8
_FIRST_RETRY = timedelta(minutes=1)
_LONGEST_WAIT = timedelta(hours=6)


def may_opt_out(notice: Notice) -> bool:
    return notice not in ALWAYS_SENT


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: 1, 2, 4, 8 … minutes, at most 6 hours."""
    if attempts < 1:
        return timedelta(0)
    return min(_FIRST_RETRY * (1 << min(attempts - 1, 20)), _LONGEST_WAIT)


def gives_up(attempts: int) -> bool:
    return attempts >= MAX_ATTEMPTS
