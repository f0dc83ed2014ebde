"""Every background job, with its schedule: the one list the scheduler, the dev server and
``flask jobs`` read.

Wall-clock times are in the lab's zone (``LAB_TIMEZONE``). No time between 02:00 and 03:00:
a cron trigger there fires twice or not at all when the clocks change (PITFALLS 10).
Because every job decides for itself what is due at the instant it runs, jobs whose work can
become due at any moment also run every hour to catch up; running them more often is safe.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from straxlab.jobs import compliance, lending, rules, teams, upkeep

WEEKDAY_NAMES = {
    "mon": "Mondays",
    "tue": "Tuesdays",
    "wed": "Wednesdays",
    "thu": "Thursdays",
    "fri": "Fridays",
    "sat": "Saturdays",
    "sun": "Sundays",
}


@dataclass(frozen=True)
class Schedule:
    """When a job runs: at a wall-clock time in the lab's zone (daily, or on one weekday),
    and/or every ``every`` (measured in real time, so no DST surprises)."""

    at: time | None = None
    weekday: str | None = None
    every: timedelta | None = None

    def __post_init__(self) -> None:
        if self.at is None and self.every is None:
            raise ValueError("a schedule needs a time of day or an interval")
        if self.weekday is not None and (self.at is None or self.weekday not in WEEKDAY_NAMES):
            raise ValueError("a weekday needs a time of day, and is one of mon..sun")
        if self.at is not None and not rules.is_safe_wall_time(self.at):
            raise ValueError(f"{self.at:%H:%M} is in the hour a DST change repeats or skips")
        if self.every is not None and self.every < timedelta(seconds=1):
            raise ValueError("an interval is at least one second")

    def trigger(self, zone: ZoneInfo, now: datetime | None = None) -> Any:
        """The APScheduler trigger (a cron trigger, an interval trigger, or either); an
        interval counts from ``now`` (by default from when the trigger is made)."""
        from apscheduler.triggers.combining import OrTrigger
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        parts: list[Any] = []
        if self.at is not None:
            parts.append(
                CronTrigger(
                    day_of_week=self.weekday,
                    hour=self.at.hour,
                    minute=self.at.minute,
                    timezone=zone,
                )
            )
        if self.every is not None:
            start = now + self.every if now is not None else None
            parts.append(
                IntervalTrigger(
                    seconds=int(self.every.total_seconds()), start_date=start, timezone=zone
                )
            )
        return parts[0] if len(parts) == 1 else OrTrigger(parts)

    def __str__(self) -> str:
        words = []
        if self.at is not None:
            days = WEEKDAY_NAMES[self.weekday] if self.weekday else "daily"
            words.append(f"{days} at {self.at:%H:%M}")
        if self.every is not None:
            words.append(_every(self.every) + (" to catch up" if words else ""))
        return ", and ".join(words)


def _every(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            count = seconds // size
            return f"every {unit}" if count == 1 else f"every {count} {unit}s"
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class JobDefinition:
    name: str
    function: Callable[[datetime], int]
    schedule: Schedule
    # One line in English for operators (``flask jobs list``).
    description: str
    # Seconds a run may start late (None: however late; the job catches up itself).
    misfire_grace_time: int | None = None


HOURLY = timedelta(hours=1)

# In this order the start-up catch-up runs them: stale requests expire before reminders are
# composed, and the outbox goes last so that it sends what the others queued.
JOBS: tuple[JobDefinition, ...] = (
    JobDefinition(
        "expire_stale",
        lending.expire_stale,
        Schedule(every=timedelta(minutes=15)),
        "Expire pending requests whose start has passed and approved ones never picked up.",
    ),
    JobDefinition(
        "pickup_reminders",
        lending.pickup_reminders,
        Schedule(at=rules.PICKUP_REMINDER_AT, every=HOURLY),
        "Remind borrowers to pick up approved reservations, from 15:00 the day before.",
    ),
    JobDefinition(
        "return_reminders",
        lending.return_reminders,
        Schedule(at=rules.RETURN_REMINDER_AT, every=HOURLY),
        "Remind borrowers of loans due back today, from 08:00.",
    ),
    JobDefinition(
        "overdue_notices",
        lending.overdue_notices,
        Schedule(at=rules.OVERDUE_NOTICE_AT, every=HOURLY),
        "One overdue notice a day per late loan, staff in copy from the second day.",
    ),
    JobDefinition(
        "lab_day_reminders",
        teams.lab_day_reminders,
        Schedule(at=rules.LAB_DAY_REMINDER_AT, every=HOURLY),
        "Remind team members of tomorrow's design day, from 15:00.",
    ),
    JobDefinition(
        "weekly_compliance",
        compliance.weekly_compliance,
        Schedule(at=rules.DIGEST_AT, weekday="mon", every=HOURLY),
        "Store the week's compliance snapshots and send managers the digest (Monday 07:00).",
    ),
    JobDefinition(
        "retention",
        upkeep.retention,
        Schedule(at=time(3, 30)),
        "Nightly upkeep: past design days held, old attendance details and old mail erased.",
    ),
    JobDefinition(
        "outbox",
        upkeep.outbox,
        Schedule(every=timedelta(minutes=1)),
        "Deliver queued mail (retries with backoff; never twice).",
    ),
)

BY_NAME = {job.name: job for job in JOBS}
