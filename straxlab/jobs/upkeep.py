"""Upkeep jobs: the outbox sender and the nightly retention clean-up."""

from __future__ import annotations

from datetime import datetime

from straxlab.compliance import services as compliance
from straxlab.design_teams import services as teams
from straxlab.extensions import db
from straxlab.mail import services as mail
from straxlab.mail.rules import OUTBOX_RETENTION


def outbox(now: datetime) -> int:
    """Deliver the mail that is due (the sender commits per message itself)."""
    from straxlab.mail.sender import deliver

    return deliver(now)


def retention(now: datetime) -> int:
    """Nightly: past design days become held (programmes finish), attendance details of
    programmes past the retention period are erased, and mail sent or given up more than
    ``OUTBOX_RETENTION`` ago is deleted from the outbox (waiting mail stays)."""
    count = teams.close_past_days(now)
    count += compliance.erase_attendance_details(now)
    count += mail.prune(now - OUTBOX_RETENTION)
    db.session.commit()
    return count
