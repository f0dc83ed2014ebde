"""The nightly retention job and the outbox job."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from straxlab.compliance import services as compliance
from straxlab.design_teams import services as teams
from straxlab.design_teams.models import DesignDay
from straxlab.design_teams.rules import DesignDayStatus
from straxlab.extensions import db
from straxlab.jobs import lending as lending_jobs
from straxlab.jobs import upkeep
from straxlab.mail import sender
from straxlab.mail.rules import Notice
from tests.jobs.conftest import lab, outbox
from tests.jobs.test_lending import reserve
from tests.jobs.test_teams_and_digest import team_with_days


def test_retention_calls_both_clean_ups_with_now_and_adds_them_up(app_ctx, monkeypatch):
    calls = []
    monkeypatch.setattr(teams, "close_past_days", lambda now: calls.append(("days", now)) or 3)
    monkeypatch.setattr(
        compliance, "erase_attendance_details", lambda now: calls.append(("erase", now)) or 4
    )
    at = lab(2026, 12, 1, 3, 30)
    assert upkeep.retention(at) == 7
    assert calls == [("days", at), ("erase", at)]


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
