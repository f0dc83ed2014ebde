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
# Only failures of the message itself count (a refused recipient, refused data, a message that
# cannot be built): while the mail server is down or refuses us as a whole, nothing counts and
# nothing is given up (see ``server_retry_delay``).
MAX_ATTEMPTS = 8
_FIRST_RETRY = timedelta(minutes=1)
_LONGEST_WAIT = timedelta(hours=6)
# While the server is down the sender tries one connection per run at most this far apart:
# cheap (one connection, not one per message), and a password-reset link queued during a long
# outage still goes out within minutes of the server's return.
_LONGEST_SERVER_WAIT = timedelta(minutes=10)

# Sent and given-up messages are deleted this long after they were sent or given up: they hold
# personal data and (password-reset) links. Messages still waiting are never deleted. Deleting
# frees their dedupe keys, which is safe because no key can come due again this late: a key
# carries a date or instant (pickup, return, overdue, lab-day reminders, the weekly digest, a
# password reset), or a sequence or version that only goes up (reservation decided or
# changed, lab day moved, plan decided), or names a change that happens once (a reservation or
# a lab day cancelled, a programme decided: those states are final).
OUTBOX_RETENTION = timedelta(days=90)


def may_opt_out(notice: Notice) -> bool:
    return notice not in ALWAYS_SENT


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: 1, 2, 4, 8 … minutes, at most 6 hours."""
    if attempts < 1:
        return timedelta(0)
    return min(_FIRST_RETRY * (1 << min(attempts - 1, 20)), _LONGEST_WAIT)


def server_retry_delay(waited: timedelta) -> timedelta:
    """How long to wait after the mail server could not be reached (or failed as a whole)
    for a message that has waited ``waited`` since it was written: as long again plus a
    minute, at most 10 minutes.

    The server's failures are not the message's: they are not counted (no ``attempts``), so
    the wait follows from the message's age instead. For a sender that runs on time this is
    1, 2, 4, 8, 10, 10 … minutes; it never gives up.
    """
    return min(max(waited, timedelta(0)) + _FIRST_RETRY, _LONGEST_SERVER_WAIT)


def gives_up(attempts: int) -> bool:
    """True when ``attempts`` failures of the message itself mean it is not tried again."""
    return attempts >= MAX_ATTEMPTS
