"""When the jobs' reminders and notices are due, and the dedupe keys that make them happen once.

Pure: no database, no Flask. Every job asks these with the instant it runs at, so a job may run
at any moment (on time, hourly, after an outage) and sends exactly what is due then.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# The afternoon before a pickup or a design day: the reminder goes out from then.
PICKUP_REMINDER_AT = time(15, 0)
LAB_DAY_REMINDER_AT = time(15, 0)
# The morning of the due day: the return reminder goes out from then until the due instant.
RETURN_REMINDER_AT = time(8, 0)
# Each morning after the due day while the gear is still out: one overdue notice a day.
OVERDUE_NOTICE_AT = time(9, 0)
# From this many days overdue, lab staff receive the overdue notice in copy.
STAFF_COPY_FROM_DAY = 2
# Monday of each ISO week, from this time: the compliance snapshot and the managers' digest.
DIGEST_AT = time(7, 0)

# Upper bounds for the database queries: nothing further ahead can be due already.
# (15:00 the day before a start at 23:59 is 33 hours earlier, 34 across a DST change.)
PICKUP_LOOKAHEAD = timedelta(days=2)
RETURN_LOOKAHEAD = timedelta(days=1)

# The wall-clock hour a DST change repeats or skips in the lab's zone (Europe: 02:00-03:00).
# A daily trigger in it fires twice or not at all on the change days (PITFALLS 10).
DST_HOUR = 2


def wall_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a day in ``zone``.

    Never raises: a time skipped by a DST change counts with the offset from before the change
    (02:30 on the spring change is 03:30 summer time).
    """
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def pickup_reminder_from(starts_at: datetime, zone: ZoneInfo) -> datetime:
    """15:00 on the lab-local day before the reservation starts."""
    return wall_instant(local_date(starts_at, zone) - timedelta(days=1), PICKUP_REMINDER_AT, zone)


def pickup_reminder_due(starts_at: datetime, now: datetime, zone: ZoneInfo) -> bool:
    """Due from 15:00 the day before the start until the start.

    A reservation made later than that, but before its start, is due at once.
    """
    return pickup_reminder_from(starts_at, zone) <= now < starts_at


def return_reminder_due(ends_at: datetime, now: datetime, zone: ZoneInfo) -> bool:
    """Due from 08:00 on the lab-local due day until the due instant."""
    return wall_instant(local_date(ends_at, zone), RETURN_REMINDER_AT, zone) <= now < ends_at


def days_overdue(ends_at: datetime, now: datetime, zone: ZoneInfo) -> int:
    """Lab-local days since the due day: 0 on the due day itself, 1 the day after, ...

    Zero when the loan is not overdue at all.
    """
    if now <= ends_at:
        return 0
    return (local_date(now, zone) - local_date(ends_at, zone)).days


def overdue_notice_due(ends_at: datetime, now: datetime, zone: ZoneInfo) -> bool:
    """Today's overdue notice is due from 09:00 on each day after the due day.

    One a day (the key holds the day); a job that missed days sends only today's.
    """
    if days_overdue(ends_at, now, zone) < 1:
        return False
    return now >= wall_instant(local_date(now, zone), OVERDUE_NOTICE_AT, zone)


def staff_in_copy(days: int) -> bool:
    """Lab staff read along from the second day overdue; the borrower gets the first alone."""
    return days >= STAFF_COPY_FROM_DAY


def lab_day_reminder_due(day: date, starts_at: datetime, now: datetime, zone: ZoneInfo) -> bool:
    """Due from 15:00 on the lab-local day before a design day until the day starts."""
    return wall_instant(day - timedelta(days=1), LAB_DAY_REMINDER_AT, zone) <= now < starts_at


def iso_week_of(day: date) -> tuple[int, int]:
    year, week, _ = day.isocalendar()
    return year, week


def digest_week(now: datetime, zone: ZoneInfo) -> tuple[int, int] | None:
    """The ISO week (year, week) whose digest is due at ``now``: the current week from
    Monday 07:00 lab time on (a catch-up later in the week still sends it); None before."""
    today = local_date(now, zone)
    monday = today - timedelta(days=today.isoweekday() - 1)
    if now < wall_instant(monday, DIGEST_AT, zone):
        return None
    return iso_week_of(today)


def is_safe_wall_time(at: time) -> bool:
    """False for a wall-clock time in the hour a DST change repeats or skips."""
    return at.hour != DST_HOUR


def _utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def pickup_key(reservation_id: int, starts_at: datetime) -> str:
    """Once per reservation and start: a reservation moved to another start is reminded again."""
    return f"pickup:{reservation_id}:{_utc_iso(starts_at)}"


def return_key(reservation_id: int, ends_at: datetime) -> str:
    return f"return:{reservation_id}:{_utc_iso(ends_at)}"


def overdue_key(reservation_id: int, day: date) -> str:
    """At most one overdue notice per loan per lab-local day."""
    return f"overdue:{reservation_id}:{day.isoformat()}"


def lab_day_key(design_day_id: int, user_id: int, day: date) -> str:
    """Once per member and design day on its date: a day moved to another date is reminded again."""
    return f"labday:{design_day_id}:{user_id}:{day.isoformat()}"


def digest_key(year: int, week: int, user_id: int) -> str:
    return f"digest:{year}-W{week:02d}:{user_id}"
