"""Lending rules without a database or Flask."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from straxlab.equipment import rules
from straxlab.equipment.rules import (
    ClosedPeriod,
    Interval,
    OpeningHours,
    Problem,
    ReservationStatus,
)

AMS = ZoneInfo("Europe/Amsterdam")
HOURS = OpeningHours(frozenset({1, 2, 3, 4, 5}), time(8, 30), time(17, 0))


def local(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=AMS).astimezone(UTC)


def test_half_open_intervals_allow_back_to_back():
    a = Interval(local(1, 10), local(1, 12))
    assert not rules.overlaps(a, Interval(local(1, 12), local(1, 14)))
    assert rules.overlaps(a, Interval(local(1, 11, 59), local(1, 14)))
    assert rules.overlaps(a, Interval(local(1, 9), local(1, 13)))


def test_turnaround_extends_the_blocked_time():
    blocked = rules.blocked_interval(Interval(local(1, 10), local(1, 12)), 45)
    assert blocked.end == local(1, 12, 45)


def test_naive_instants_are_refused():
    with pytest.raises(ValueError):
        Interval(datetime(2026, 12, 1, 10), datetime(2026, 12, 1, 12))


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (ReservationStatus.PENDING, ReservationStatus.APPROVED, True),
        (ReservationStatus.PENDING, ReservationStatus.CHECKED_OUT, False),
        (ReservationStatus.APPROVED, ReservationStatus.CHECKED_OUT, True),
        (ReservationStatus.CHECKED_OUT, ReservationStatus.RETURNED, True),
        (ReservationStatus.CHECKED_OUT, ReservationStatus.CANCELLED, False),
        (ReservationStatus.RETURNED, ReservationStatus.APPROVED, False),
        (ReservationStatus.REJECTED, ReservationStatus.APPROVED, False),
    ],
)
def test_lifecycle(current, target, allowed):
    assert rules.can_move(current, target) is allowed


def test_period_problems():
    now = local(1, 9)
    ok = Interval(local(2, 10), local(3, 12))
    assert rules.period_problems(ok, now=now, max_loan_days=3, max_advance_days=30) == []
    backwards = Interval(local(3, 12), local(2, 10))
    assert rules.period_problems(backwards, now=now, max_loan_days=3, max_advance_days=30) == [
        Problem.START_NOT_BEFORE_END
    ]
    long = Interval(local(2, 10), local(9, 12))
    assert Problem.TOO_LONG in rules.period_problems(
        long, now=now, max_loan_days=3, max_advance_days=30
    )
    late = Interval(local(2, 10, month=12) + timedelta(days=60), local(3, 12) + timedelta(days=60))
    assert Problem.TOO_FAR_AHEAD in rules.period_problems(
        late, now=now, max_loan_days=3, max_advance_days=30
    )
    past = Interval(local(1, 8), local(1, 12))
    assert Problem.START_IN_PAST in rules.period_problems(
        past, now=now, max_loan_days=3, max_advance_days=30
    )


def test_loan_length_is_capped_even_when_a_type_allows_more():
    now = local(1, 9)
    period = Interval(local(2, 10), local(2, 10) + timedelta(days=rules.MAX_LOAN_DAYS + 1))
    assert rules.period_problems(period, now=now, max_loan_days=1000, max_advance_days=1000) == [
        Problem.BEYOND_LOAN_LIMIT
    ]
    # Staff may waive a type's own loan period, never the cap that bounds the overlap query.
    assert Problem.TOO_LONG in rules.OVERRIDABLE
    assert Problem.BEYOND_LOAN_LIMIT not in rules.OVERRIDABLE


def test_desk_hours_and_closures():
    thursday_to_friday = Interval(local(3, 13), local(4, 12))
    assert rules.desk_problems(thursday_to_friday, hours=HOURS, closures=[], zone=AMS) == []
    evening = Interval(local(3, 13), local(3, 18))
    assert rules.desk_problems(evening, hours=HOURS, closures=[], zone=AMS) == [
        Problem.RETURN_DESK_CLOSED
    ]
    saturday = Interval(local(5, 10), local(7, 10))
    assert rules.desk_problems(saturday, hours=HOURS, closures=[], zone=AMS) == [
        Problem.PICKUP_DESK_CLOSED
    ]
    study_day = ClosedPeriod(date(2026, 12, 4), date(2026, 12, 4), "Studiedag")
    assert rules.desk_problems(thursday_to_friday, hours=HOURS, closures=[study_day], zone=AMS) == [
        Problem.RETURN_LAB_CLOSED
    ]


def test_closing_time_itself_is_still_open():
    assert HOURS.is_open(local(3, 17), AMS)
    assert not HOURS.is_open(local(3, 17, 1), AMS)


def test_wall_clock_times_survive_the_dst_change():
    # 26 October 2026 (after the change) and 23 October (before): 09:00 local both days.
    before = rules.local_instant(date(2026, 10, 23), time(9), AMS)
    after = rules.local_instant(date(2026, 10, 26), time(9), AMS)
    assert before.hour == 7 and after.hour == 8


def test_a_time_skipped_by_dst_does_not_exist():
    with pytest.raises(ValueError):
        rules.local_instant(date(2027, 3, 28), time(2, 30), AMS)


@pytest.mark.parametrize("raw", ["8:30", "08:30", " 17:00 "])
def test_time_of_day_parses(raw):
    assert rules.parse_time_of_day(raw).minute in {0, 30}


@pytest.mark.parametrize(
    "raw", ["", "8", "8.30", "25:00", "08:3", "half negen", "99999999999999999999:00"]
)
def test_bad_time_of_day_is_refused(raw):
    with pytest.raises(ValueError):
        rules.parse_time_of_day(raw)


@pytest.mark.parametrize("raw", ["", "0", "8", "1-5", "ma"])
def test_bad_weekdays_are_refused(raw):
    with pytest.raises(ValueError):
        rules.parse_weekdays(raw)


def test_weekdays_parse():
    assert rules.parse_weekdays("12345") == frozenset({1, 2, 3, 4, 5})


def test_quota_and_qualification():
    assert rules.quota_problems(held=6, requested=2, quota=8) == []
    assert rules.quota_problems(held=7, requested=2, quota=8) == [Problem.OVER_QUOTA]
    on_file = [("Drone pilot A1/A3", date(2027, 1, 1))]
    assert rules.qualification_problems("drone pilot a1/a3", on_file, date(2026, 12, 31)) == []
    assert rules.qualification_problems("Drone pilot A1/A3", on_file, date(2027, 1, 2)) == [
        Problem.QUALIFICATION_MISSING
    ]
    assert rules.qualification_problems(None, [], date(2027, 1, 2)) == []


def test_kit_free_count_is_set_by_the_scarcest_component():
    assert rules.kit_free_count({1: 3, 2: 5, 3: 1}, {1: 1, 2: 2, 3: 1}) == 1
    assert rules.kit_free_count({1: 3, 2: 1}, {1: 1, 2: 2}) == 0
    assert rules.kit_free_count({}, {}) == 0


def test_next_free_start_skips_busy_times():
    busy = [[Interval(local(1, 9), local(1, 13))], [Interval(local(1, 8), local(1, 15))]]
    starts = rules.desk_starts(local(1, 9), hours=HOURS, zone=AMS, days=1)
    found = rules.next_free_start(
        busy,
        quantity=1,
        length=timedelta(hours=2),
        turnaround=timedelta(minutes=30),
        earliest=local(1, 9),
        candidates=starts,
    )
    assert found == local(1, 13)
    both = rules.next_free_start(
        busy,
        quantity=2,
        length=timedelta(hours=1),
        turnaround=timedelta(0),
        earliest=local(1, 9),
        candidates=starts,
    )
    assert both == local(1, 15)


def test_desk_starts_are_inside_opening_hours():
    starts = rules.desk_starts(local(4, 16), hours=HOURS, zone=AMS, days=3)
    # Friday 16:00..17:00, then the weekend is skipped, then Monday from 08:30.
    assert starts[0] == local(4, 16)
    assert starts[3] == local(7, 8, 30)


def test_check_out_window_and_overdue():
    period = Interval(local(2, 10), local(2, 16))
    assert not rules.can_check_out(ReservationStatus.APPROVED, period, local(2, 8, 59))
    assert rules.can_check_out(ReservationStatus.APPROVED, period, local(2, 9))
    assert not rules.can_check_out(ReservationStatus.PENDING, period, local(2, 10))
    assert not rules.can_check_out(ReservationStatus.APPROVED, period, local(2, 16))
    assert rules.is_overdue(ReservationStatus.CHECKED_OUT, local(2, 16), False, local(2, 16))
    assert not rules.is_overdue(ReservationStatus.CHECKED_OUT, local(2, 16), True, local(3, 9))


def test_only_growing_a_change_needs_new_approval():
    old = Interval(local(2, 10), local(3, 16))
    assert not rules.needs_new_approval(old, Interval(local(2, 11), local(3, 12)), 2, 1)
    assert rules.needs_new_approval(old, Interval(local(2, 9), local(3, 12)), 2, 2)
    assert rules.needs_new_approval(old, old, 2, 3)


def test_week_days_start_on_monday():
    days = rules.week_days(date(2026, 12, 3))
    assert days[0] == date(2026, 11, 30) and days[-1] == date(2026, 12, 6)


def test_peak_held_counts_the_busiest_moment_not_the_sum():
    monday = (Interval(local(7, 9), local(7, 17)), 5)
    wednesday = (Interval(local(9, 9), local(9, 17)), 5)
    week = Interval(local(7, 9), local(11, 17))
    assert rules.peak_held([monday, wednesday], week) == 5
    overlapping = (Interval(local(7, 12), local(8, 12)), 2)
    assert rules.peak_held([monday, wednesday, overlapping], week) == 7
    # Back to back: the first ends as the second starts.
    after = (Interval(local(7, 17), local(7, 18)), 4)
    assert rules.peak_held([monday, after], week) == 5
    assert rules.peak_held([monday], Interval(local(8, 9), local(8, 17))) == 0


def test_approved_no_shows_can_expire():
    assert rules.can_move(ReservationStatus.APPROVED, ReservationStatus.EXPIRED)
