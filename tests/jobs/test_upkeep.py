"""The nightly retention job and the outbox job."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from straxlab.compliance import services as compliance
from straxlab.design_teams import services as teams
from straxlab.design_teams.models import DesignDay
from straxlab.design_teams.rules import DesignDayStatus
from straxlab.extensions import db
from straxlab.jobs import lending as lending_jobs
from straxlab.jobs import upkeep
from straxlab.mail import sender
from straxlab.mail import services as mail
from straxlab.mail.rules import MAX_ATTEMPTS, Notice
from tests.jobs.conftest import lab, outbox
from tests.jobs.test_lending import reserve
from tests.jobs.test_teams_and_digest import team_with_days
from tests.mail.outbox import add_message


def test_retention_calls_the_clean_ups_and_adds_them_up(app_ctx, monkeypatch):
    calls = []
    monkeypatch.setattr(teams, "close_past_days", lambda now: calls.append(("days", now)) or 3)
    monkeypatch.setattr(
        compliance, "erase_attendance_details", lambda now: calls.append(("erase", now)) or 4
    )
    monkeypatch.setattr(mail, "prune", lambda before: calls.append(("outbox", before)) or 5)
    at = lab(2026, 12, 1, 3, 30)
    assert upkeep.retention(at) == 12
    assert calls == [("days", at), ("erase", at), ("outbox", at - timedelta(days=90))]


def test_retention_deletes_mail_sent_or_given_up_over_ninety_days_ago(app_ctx):
    night = lab(2026, 12, 1, 3, 30)
    long_ago = night - timedelta(days=200)
    kept = [
        add_message(created_at=long_ago, send_after=long_ago).id,  # still waiting
        add_message(created_at=long_ago, sent_at=night - timedelta(days=89)).id,
        add_message(created_at=long_ago, attempts=3, last_error="SMTPRecipientsRefused").id,
    ]
    add_message(created_at=long_ago, sent_at=night - timedelta(days=91))
    add_message(created_at=long_ago, attempts=MAX_ATTEMPTS, failed_at=night - timedelta(days=95))
    db.session.commit()

    assert upkeep.retention(night) == 2
    assert [row.id for row in outbox()] == kept
    assert upkeep.retention(night) == 0


def test_retention_marks_past_design_days_held_and_a_second_run_does_nothing(people):
    _team, days, *_ = team_with_days(people, first_day=date(2026, 12, 2))
    night = lab(2026, 12, 3, 3, 30)
    assert upkeep.retention(night) == 1
    assert upkeep.retention(night) == 0
    db.session.expire_all()
    ids = [design_day.id for design_day in days]
    statuses = db.session.scalars(
        sa.select(DesignDay.status).where(DesignDay.id.in_(ids)).order_by(DesignDay.day)
    ).all()
    assert statuses[0] is DesignDayStatus.HELD
    assert set(statuses[1:]) == {DesignDayStatus.SCHEDULED}


def test_the_outbox_job_is_the_senders_deliver(app_ctx, monkeypatch):
    seen = []
    monkeypatch.setattr(sender, "deliver", lambda now: seen.append(now) or 2)
    at = lab(2026, 12, 1, 9)
    assert upkeep.outbox(at) == 2
    assert seen == [at]


def test_the_outbox_job_sends_what_the_reminders_queued(people):
    reserve(people.borrower)
    assert lending_jobs.pickup_reminders(lab(2026, 11, 30, 15)) == 1
    assert upkeep.outbox(lab(2026, 11, 30, 15, 1)) >= 1
    assert upkeep.outbox(lab(2026, 11, 30, 15, 2)) == 0
    (row,) = outbox(Notice.PICKUP_REMINDER)
    assert row.sent_at == lab(2026, 11, 30, 15, 1)
