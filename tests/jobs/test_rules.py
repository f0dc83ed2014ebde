"""The jobs' timing rules at their boundaries, also in the weeks the clocks change."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from straxlab.jobs import rules

AMS = ZoneInfo("Europe/Amsterdam")
MINUTE = timedelta(minutes=1)


def lab(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=AMS).astimezone(UTC)


# --- pickup ---------------------------------------------------------------------------------


def test_pickup_reminder_is_due_from_15_00_the_day_before_until_the_start():
    start = lab(2026, 12, 1, 10)
    assert not rules.pickup_reminder_due(start, lab(2026, 11, 30, 14, 59), AMS)
    assert rules.pickup_reminder_due(start, lab(2026, 11, 30, 15, 0), AMS)
    assert rules.pickup_reminder_due(start, start - MINUTE, AMS)
    assert not rules.pickup_reminder_due(start, start, AMS)


def test_a_reservation_made_after_15_00_is_due_at_once_until_it_starts():
    start = lab(2026, 12, 1, 9)
    made = lab(2026, 11, 30, 16, 30)
    assert rules.pickup_reminder_due(start, made, AMS)


@pytest.mark.parametrize(
    ("start", "reminder_utc"),
    [
        # Monday after the spring change: Sunday 15:00 is summer time (UTC+2).
        (lab(2026, 3, 30, 9), datetime(2026, 3, 29, 13, 0, tzinfo=UTC)),
        # Monday after the autumn change: Sunday 15:00 is winter time (UTC+1).
        (lab(2026, 10, 26, 9), datetime(2026, 10, 25, 14, 0, tzinfo=UTC)),
        # The change itself lies between the reminder and the start.
        (lab(2026, 3, 29, 10), datetime(2026, 3, 28, 14, 0, tzinfo=UTC)),
        (lab(2026, 10, 25, 10), datetime(2026, 10, 24, 13, 0, tzinfo=UTC)),
    ],
)
def test_pickup_reminder_keeps_15_00_on_the_wall_clock_across_dst(start, reminder_utc):
    assert rules.pickup_reminder_from(start, AMS) == reminder_utc
    assert not rules.pickup_reminder_due(start, reminder_utc - MINUTE, AMS)
    assert rules.pickup_reminder_due(start, reminder_utc, AMS)


def test_the_lookahead_covers_the_latest_possible_start():
    # 23:59 the next day, across the autumn change: the longest wait from 15:00.
    start = lab(2026, 10, 25, 23, 59)
    assert start - rules.pickup_reminder_from(start, AMS) < rules.PICKUP_LOOKAHEAD


# --- return and overdue ---------------------------------------------------------------------


def test_return_reminder_is_due_from_08_00_on_the_due_day_until_the_due_time():
    due = lab(2026, 12, 3, 16)
    assert not rules.return_reminder_due(due, lab(2026, 12, 3, 7, 59), AMS)
    assert rules.return_reminder_due(due, lab(2026, 12, 3, 8, 0), AMS)
    assert rules.return_reminder_due(due, due - MINUTE, AMS)
    assert not rules.return_reminder_due(due, due, AMS)
    assert not rules.return_reminder_due(due, lab(2026, 12, 2, 20), AMS)


def test_return_reminder_at_08_00_in_both_dst_weeks():
    spring = lab(2026, 3, 30, 12)  # 08:00 CEST = 06:00 UTC
    assert not rules.return_reminder_due(spring, datetime(2026, 3, 30, 5, 59, tzinfo=UTC), AMS)
    assert rules.return_reminder_due(spring, datetime(2026, 3, 30, 6, 0, tzinfo=UTC), AMS)
    autumn = lab(2026, 10, 26, 12)  # 08:00 CET = 07:00 UTC
    assert not rules.return_reminder_due(autumn, datetime(2026, 10, 26, 6, 59, tzinfo=UTC), AMS)
    assert rules.return_reminder_due(autumn, datetime(2026, 10, 26, 7, 0, tzinfo=UTC), AMS)


def test_days_overdue_counts_lab_days_after_the_due_day():
    due = lab(2026, 12, 3, 16)
    assert rules.days_overdue(due, lab(2026, 12, 3, 15), AMS) == 0
    assert rules.days_overdue(due, lab(2026, 12, 3, 23, 59), AMS) == 0
    assert rules.days_overdue(due, lab(2026, 12, 4, 0, 1), AMS) == 1
    assert rules.days_overdue(due, lab(2026, 12, 8, 9), AMS) == 5


def test_overdue_notice_from_09_00_each_day_after_the_due_day():
    due = lab(2026, 12, 3, 16)
    assert not rules.overdue_notice_due(due, lab(2026, 12, 3, 17), AMS)
    assert not rules.overdue_notice_due(due, lab(2026, 12, 4, 8, 59), AMS)
    assert rules.overdue_notice_due(due, lab(2026, 12, 4, 9, 0), AMS)
    assert rules.overdue_notice_due(due, lab(2026, 12, 4, 23, 0), AMS)
    assert not rules.overdue_notice_due(due, lab(2026, 12, 5, 8, 0), AMS)
    assert rules.overdue_notice_due(due, lab(2026, 12, 5, 9, 0), AMS)


def test_staff_are_copied_from_the_second_day_overdue():
    assert [rules.staff_in_copy(days) for days in (0, 1, 2, 9)] == [False, False, True, True]


# --- lab days and the digest -----------------------------------------------------------------


def test_lab_day_reminder_from_15_00_the_day_before_until_the_start():
    day, start = date(2026, 12, 2), lab(2026, 12, 2, 9)
    assert not rules.lab_day_reminder_due(day, start, lab(2026, 12, 1, 14, 59), AMS)
    assert rules.lab_day_reminder_due(day, start, lab(2026, 12, 1, 15), AMS)
    assert rules.lab_day_reminder_due(day, start, lab(2026, 12, 2, 8, 59), AMS)
    assert not rules.lab_day_reminder_due(day, start, start, AMS)


def test_lab_day_reminder_after_the_spring_change():
    # Monday 30 March 2026: Sunday 15:00 CEST is 13:00 UTC.
    day, start = date(2026, 3, 30), lab(2026, 3, 30, 9)
    assert not rules.lab_day_reminder_due(
        day, start, datetime(2026, 3, 29, 12, 59, tzinfo=UTC), AMS
    )
    assert rules.lab_day_reminder_due(day, start, datetime(2026, 3, 29, 13, 0, tzinfo=UTC), AMS)


@pytest.mark.parametrize(
    ("monday", "seven_utc", "week"),
    [
        (date(2026, 11, 30), datetime(2026, 11, 30, 6, 0, tzinfo=UTC), (2026, 49)),
        (date(2026, 3, 30), datetime(2026, 3, 30, 5, 0, tzinfo=UTC), (2026, 14)),
        (date(2026, 10, 26), datetime(2026, 10, 26, 6, 0, tzinfo=UTC), (2026, 44)),
        # ISO week 1 of 2027 begins on Monday 4 January 2027.
        (date(2027, 1, 4), datetime(2027, 1, 4, 6, 0, tzinfo=UTC), (2027, 1)),
    ],
)
def test_the_digest_of_a_week_is_due_from_monday_07_00(monday, seven_utc, week):
    assert rules.wall_instant(monday, time(7), AMS) == seven_utc
    assert rules.digest_week(seven_utc - MINUTE, AMS) is None
    assert rules.digest_week(seven_utc, AMS) == week
    # A catch-up on Wednesday, and late on Sunday, still find that week's digest.
    assert rules.digest_week(seven_utc + timedelta(days=2), AMS) == week
    sunday_night = datetime.combine(monday + timedelta(days=6), time(23, 59), tzinfo=AMS)
    assert rules.digest_week(sunday_night, AMS) == week


def test_a_sunday_before_monday_07_00_is_still_last_week():
    assert rules.digest_week(lab(2026, 11, 29, 23, 0), AMS) == (2026, 48)
    assert rules.digest_week(lab(2026, 11, 30, 6, 0), AMS) is None


# --- keys and wall times --------------------------------------------------------------------


def test_keys_name_what_when_and_whom():
    start = lab(2026, 12, 1, 10)
    assert rules.pickup_key(7, start) == "pickup:7:2026-12-01T09:00:00+00:00"
    assert rules.return_key(7, start) == "return:7:2026-12-01T09:00:00+00:00"
    assert rules.overdue_key(7, date(2026, 12, 4)) == "overdue:7:2026-12-04"
    assert rules.lab_day_key(3, 9, date(2026, 12, 2)) == "labday:3:9:2026-12-02"
    assert rules.digest_key(2026, 9, 4) == "digest:2026-W09:4"
    # A moved reservation gets a new key, so a fresh reminder.
    assert rules.pickup_key(7, start) != rules.pickup_key(7, start + timedelta(days=1))


def test_wall_instant_never_raises_in_the_spring_gap():
    assert rules.wall_instant(date(2026, 3, 29), time(2, 30), AMS) == datetime(
        2026, 3, 29, 1, 30, tzinfo=UTC
    )


def test_only_the_dst_hour_is_unsafe_for_a_daily_time():
    assert not rules.is_safe_wall_time(time(2, 30))
    assert rules.is_safe_wall_time(time(3, 30))
    assert rules.is_safe_wall_time(time(1, 59))
