"""The schedules: what fires when, never in the DST hour, late runs still run, once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from straxlab.jobs import scheduler
from straxlab.jobs.registry import BY_NAME, JOBS, Schedule

AMS = ZoneInfo("Europe/Amsterdam")


def cron_parts(trigger):
    if isinstance(trigger, OrTrigger):
        return [part for part in trigger.triggers if isinstance(part, CronTrigger)]
    return [trigger] if isinstance(trigger, CronTrigger) else []


def fire_times(trigger, start, end):
    """Every fire time of ``trigger`` in [start, end)."""
    times, previous, now = [], None, start
    while True:
        fire = trigger.get_next_fire_time(previous, now)
        if fire is None or fire >= end:
            return times
        times.append(fire)
        previous, now = fire, fire


def test_the_job_names_and_what_the_issue_asks_for():
    assert [job.name for job in JOBS] == [
        "expire_stale",
        "pickup_reminders",
        "return_reminders",
        "overdue_notices",
        "lab_day_reminders",
        "weekly_compliance",
        "retention",
        "outbox",
    ]
    assert all(job.description and job.description[0].isupper() for job in JOBS)
    assert BY_NAME["outbox"].schedule == Schedule(every=timedelta(minutes=1))
    assert BY_NAME["expire_stale"].schedule == Schedule(every=timedelta(minutes=15))
    assert BY_NAME["pickup_reminders"].schedule.at == time(15)
    assert BY_NAME["lab_day_reminders"].schedule.at == time(15)
    assert BY_NAME["return_reminders"].schedule.at == time(8)
    assert BY_NAME["overdue_notices"].schedule.at == time(9)
    assert (
        BY_NAME["weekly_compliance"].schedule.at,
        BY_NAME["weekly_compliance"].schedule.weekday,
    ) == (
        time(7),
        "mon",
    )
    assert BY_NAME["retention"].schedule == Schedule(at=time(3, 30))


def test_no_cron_time_fires_between_02_00_and_03_00_nor_twice_on_the_dst_days():
    start = datetime(2026, 1, 1, tzinfo=AMS)
    end = datetime(2027, 1, 1, tzinfo=AMS)
    checked = 0
    for job in JOBS:
        for cron in cron_parts(job.schedule.trigger(AMS)):
            times = fire_times(cron, start, end)
            checked += len(times)
            assert times, job.name
            assert all(t.astimezone(AMS).hour != 2 for t in times), job.name
            # Once a day (or once a week) at the same wall-clock time, also on 29 March and
            # 25 October 2026.
            per_day = Counter(t.astimezone(AMS).date() for t in times)
            assert max(per_day.values()) == 1, job.name
            assert {t.astimezone(AMS).time() for t in times} == {job.schedule.at}, job.name
    assert checked > 5 * 365


def test_the_daily_times_hold_on_both_dst_days():
    for day in (datetime(2026, 3, 29, tzinfo=AMS), datetime(2026, 10, 25, tzinfo=AMS)):
        trigger = BY_NAME["retention"].schedule.trigger(AMS)
        fire = trigger.get_next_fire_time(None, day)
        assert fire.astimezone(AMS).replace(tzinfo=None) == day.replace(
            hour=3, minute=30, tzinfo=None
        )
        pickup = cron_parts(BY_NAME["pickup_reminders"].schedule.trigger(AMS))[0]
        fire = pickup.get_next_fire_time(None, day)
        assert fire.astimezone(AMS).hour == 15


def test_a_schedule_in_the_dst_hour_is_refused():
    with pytest.raises(ValueError, match="DST"):
        Schedule(at=time(2, 30))
    with pytest.raises(ValueError):
        Schedule()
    with pytest.raises(ValueError):
        Schedule(weekday="mon", every=timedelta(hours=1))


def test_catch_up_triggers_measure_real_time():
    for job in JOBS:
        trigger = job.schedule.trigger(AMS)
        parts = trigger.triggers if isinstance(trigger, OrTrigger) else [trigger]
        assert all(isinstance(part, (CronTrigger, IntervalTrigger)) for part in parts)
        for part in parts:
            if isinstance(part, CronTrigger):
                assert str(part.timezone) == "Europe/Amsterdam"


def test_schedules_read_as_words():
    assert [str(job.schedule) for job in JOBS] == [
        "every 15 minutes",
        "daily at 15:00, and every hour to catch up",
        "daily at 08:00, and every hour to catch up",
        "daily at 09:00, and every hour to catch up",
        "daily at 15:00, and every hour to catch up",
        "Mondays at 07:00, and every hour to catch up",
        "daily at 03:30",
        "every minute",
    ]


def test_the_scheduler_lets_late_runs_run_once_one_at_a_time(app):
    built = scheduler.build_scheduler(app, BackgroundScheduler)
    jobs = {job.id: job for job in built.get_jobs()}
    assert set(jobs) == set(BY_NAME)
    for job in jobs.values():
        assert job.misfire_grace_time is None  # not APScheduler's default of one second
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.args[1] is BY_NAME[job.id]
    assert not built.running


def test_next_runs_are_in_lab_time():
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # Monday 13:00 in the lab
    runs = {job.name: when for job, when in scheduler.next_runs(AMS, now)}
    assert runs == {
        "expire_stale": datetime(2026, 11, 30, 13, 15, tzinfo=AMS),
        "pickup_reminders": datetime(2026, 11, 30, 14, 0, tzinfo=AMS),
        "return_reminders": datetime(2026, 11, 30, 14, 0, tzinfo=AMS),
        "overdue_notices": datetime(2026, 11, 30, 14, 0, tzinfo=AMS),
        "lab_day_reminders": datetime(2026, 11, 30, 14, 0, tzinfo=AMS),
        "weekly_compliance": datetime(2026, 11, 30, 14, 0, tzinfo=AMS),
        "retention": datetime(2026, 12, 1, 3, 30, tzinfo=AMS),
        "outbox": datetime(2026, 11, 30, 13, 1, tzinfo=AMS),
    }
    assert all(str(when.tzinfo) == "Europe/Amsterdam" for when in runs.values())
    # Just before 15:00 the daily time comes before the hourly catch-up.
    at_1430 = datetime(2026, 11, 30, 13, 30, tzinfo=UTC)
    runs = {job.name: when for job, when in scheduler.next_runs(AMS, at_1430)}
    assert runs["pickup_reminders"] == datetime(2026, 11, 30, 15, 0, tzinfo=AMS)
