"""The weekly compliance job: every team's snapshot, and the managers' digest."""

from __future__ import annotations

from datetime import datetime

from straxlab.compliance import digest
from straxlab.compliance import services as compliance
from straxlab.extensions import db
from straxlab.jobs import rules
from straxlab.jobs.common import already_queued
from straxlab.lab_calendar.services import lab_zone


def weekly_compliance(now: datetime) -> int:
    """From Monday 07:00 lab time: store this ISO week's snapshots and send each active
    manager the week's digest, once (a catch-up later in the week still sends it)."""
    week = rules.digest_week(now, lab_zone())
    if week is None:
        return 0
    year, number = week
    count = 0
    # Run hourly to catch up; once the week is done this costs two small queries.
    if digest.teams_without_snapshot(now, year, number):
        count += compliance.take_snapshots(now)
        db.session.commit()
    keyed = [(manager, rules.digest_key(year, number, manager.id)) for manager in digest.managers()]
    known = already_queued(key for _, key in keyed)
    waiting = [(manager, key) for manager, key in keyed if key not in known]
    summary = digest.weekly_digest(now, year, number) if waiting else None
    # No teams, nothing to report: no mail.
    if summary is not None and summary.total:
        count += sum(
            1 for manager, key in waiting if digest.send_digest(manager, summary, key=key, now=now)
        )
    db.session.commit()
    return count
