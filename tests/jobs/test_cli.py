"""``flask jobs list``, ``flask jobs run-once NAME``, and ``flask jobs`` itself; one run of a
job in the scheduler's wrapper (logs, survives errors, rolls back)."""

from __future__ import annotations

import dataclasses
import logging

import pytest
import sqlalchemy as sa

from straxlab.auth.models import User
from straxlab.core import clock
from straxlab.extensions import db
from straxlab.jobs import registry, scheduler
from straxlab.mail.rules import Notice
from tests.factories import make_user
from tests.jobs.conftest import lab, outbox
from tests.jobs.test_lending import reserve


def test_list_shows_every_job_with_its_schedule_and_next_run_in_lab_time(runner):
    with clock.frozen(lab(2026, 11, 30, 13, 0)):
        result = runner.invoke(args=["jobs", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 2 * len(registry.JOBS)
    assert lines[0] == "expire_stale       next 2026-11-30 13:15 CET  (every 15 minutes)"
    assert "retention          next 2026-12-01 03:30 CET  (daily at 03:30)" in lines, result.output
    assert (
        "weekly_compliance  next 2026-11-30 14:00 CET  (Mondays at 07:00, and every hour to "
        "catch up)" in lines
    )
    assert "                   Deliver queued mail (retries with backoff; never twice)." in lines


def test_list_in_summer_time(runner):
    with clock.frozen(lab(2026, 7, 1, 16, 0)):
        result = runner.invoke(args=["jobs", "list"])
    assert "retention          next 2026-07-02 03:30 CEST  (daily at 03:30)" in result.output


def test_run_once_runs_the_job_now_and_says_how_many(app, runner, people):
    reserve(people.borrower)
    db.session.commit()
    with clock.frozen(lab(2026, 11, 30, 15, 30)):
        first = runner.invoke(args=["jobs", "run-once", "pickup_reminders"])
        second = runner.invoke(args=["jobs", "run-once", "pickup_reminders"])
    assert first.exit_code == 0, first.output
    assert first.output == "pickup_reminders: 1\n"
    assert second.output == "pickup_reminders: 0\n"
    assert len(outbox(Notice.PICKUP_REMINDER)) == 1


def test_run_once_of_an_unknown_job_lists_the_names(runner):
    result = runner.invoke(args=["jobs", "run-once", "reminders"])
    assert result.exit_code == 2
    assert "There is no job 'reminders'. The jobs are: expire_stale, pickup_reminders," in (
        result.output
    )
    assert "outbox." in result.output


def failing(now):
    db.session.add(
        User(email="half@school.example", name="Half", password_hash=None, created_at=now)
    )
    db.session.flush()
    raise RuntimeError("SMTP on fire")


@pytest.fixture
def broken_job(monkeypatch):
    job = dataclasses.replace(registry.BY_NAME["retention"], function=failing)
    monkeypatch.setitem(registry.BY_NAME, "retention", job)
    return job


def test_run_once_of_a_failing_job_exits_non_zero(runner, broken_job):
    result = runner.invoke(args=["jobs", "run-once", "retention"])
    assert result.exit_code == 1
    assert "retention failed" in result.output


def test_a_failing_job_is_logged_rolled_back_and_does_not_raise(app, broken_job, caplog):
    caplog.set_level(logging.INFO, logger="straxlab.jobs")
    assert scheduler.run_job(app, broken_job) is None
    failed = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in failed] == ["job retention failed"]
    assert failed[0].exc_info[0] is RuntimeError
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == "half@school.example")) is None


def test_a_job_run_logs_what_it_did(app, caplog):
    caplog.set_level(logging.INFO, logger="straxlab.jobs")
    with app.app_context():
        make_user()
        db.session.commit()
    assert scheduler.run_job(app, registry.BY_NAME["expire_stale"]) == 0
    assert "job expire_stale did 0" in [r.getMessage() for r in caplog.records]


def test_jobs_without_a_command_runs_the_scheduler(runner, monkeypatch, app):
    calls = []

    def fake_run_forever(the_app, *, poll_seconds):
        calls.append((the_app, poll_seconds))
        return 0

    monkeypatch.setattr(scheduler, "run_forever", fake_run_forever)
    result = runner.invoke(args=["jobs", "--lock-poll", "0.5"])
    assert result.exit_code == 0, result.output
    assert calls == [(app, 0.5)]
    help_text = runner.invoke(args=["jobs", "--help"]).output
    assert "run-once" in help_text and "list" in help_text
