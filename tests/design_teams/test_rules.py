"""Pure rules of design teams and the lab calendar: dates, DST, capacity, clashes, fairness."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from straxlab.design_teams import rules
from straxlab.design_teams.rules import Contender, DesignDayStatus, Problem
from straxlab.lab_calendar.rules import (
    ClosedPeriod,
    OpeningHours,
    day_window,
    holiday_periods,
    weekly_series,
)

AMS = ZoneInfo("Europe/Amsterdam")
LAB = OpeningHours(frozenset({1, 2, 3, 4, 5}), time(8, 30), time(17, 0))
AUTUMN = ClosedPeriod(date(2026, 10, 17), date(2026, 10, 25), "Herfstvakantie")
CHRISTMAS = ClosedPeriod(date(2026, 12, 19), date(2027, 1, 3), "Kerstvakantie")


def test_series_skips_closures_and_runs_on_until_it_holds_every_day():
    series = weekly_series(date(2026, 10, 6), 2, 5, [AUTUMN])
    assert series.days == [
        date(2026, 10, 6),
        date(2026, 10, 13),
        date(2026, 10, 27),
        date(2026, 11, 3),
        date(2026, 11, 10),
    ]
    assert [(s.day, s.reason) for s in series.skipped] == [(date(2026, 10, 20), "Herfstvakantie")]


def test_series_starts_on_the_first_wanted_weekday_on_or_after_the_first_day():
    # 1 December 2026 is a Tuesday; a Thursday programme starts on the 3rd.
    assert weekly_series(date(2026, 12, 1), 4, 2, []).days == [
        date(2026, 12, 3),
        date(2026, 12, 10),
    ]


def test_a_long_closure_skips_every_week_it_covers():
    series = weekly_series(date(2026, 12, 15), 2, 3, [CHRISTMAS])
    assert series.days == [date(2026, 12, 15), date(2027, 1, 5), date(2027, 1, 12)]
    assert [s.day for s in series.skipped] == [date(2026, 12, 22), date(2026, 12, 29)]


def test_series_never_searches_beyond_its_horizon():
    forever = ClosedPeriod(date(2026, 1, 1), date(2030, 12, 31), "Verbouwing")
    series = weekly_series(date(2026, 1, 6), 2, 20, [forever])
    assert series.days == []
    assert len(series.skipped) <= 2 * 366 // 7 + 1


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # Last Sunday of March 2027: CET -> CEST.
        (date(2027, 3, 23), date(2027, 3, 30)),
        # Last Sunday of October 2026: CEST -> CET.
        (date(2026, 10, 20), date(2026, 10, 27)),
    ],
)
def test_lab_days_keep_their_wall_clock_times_across_the_clock_change(before, after):
    series = weekly_series(before, 2, 2, [])
    assert series.days == [before, after]
    windows = [day_window(day, time(9), time(16), AMS) for day in series.days]
    local = [(s.astimezone(AMS).time(), e.astimezone(AMS).time()) for s, e in windows]
    assert local == [(time(9), time(16)), (time(9), time(16))]
    # The UTC instants differ by an hour: the wall clock, not UTC, is what stays.
    assert windows[0][0].astimezone(UTC).hour != windows[1][0].astimezone(UTC).hour


def test_holiday_periods_split_joined_names_and_merge_consecutive_days():
    days = {
        date(2026, 4, 25): "Meivakantie",
        date(2026, 4, 26): "Meivakantie",
        date(2026, 4, 27): "Koningsdag; Meivakantie",
        date(2026, 4, 28): "Meivakantie",
        date(2026, 5, 14): "Hemelvaartsdag",
    }
    assert holiday_periods(days) == [
        ClosedPeriod(date(2026, 4, 25), date(2026, 4, 28), "Meivakantie"),
        ClosedPeriod(date(2026, 4, 27), date(2026, 4, 27), "Koningsdag"),
        ClosedPeriod(date(2026, 5, 14), date(2026, 5, 14), "Hemelvaartsdag"),
    ]


def test_a_gap_splits_one_name_into_two_periods():
    days = {date(2026, 1, 1): "Kerstvakantie", date(2026, 12, 31): "Kerstvakantie"}
    assert [p.first_day for p in holiday_periods(days)] == [date(2026, 1, 1), date(2026, 12, 31)]


def window(day: date, start: int, end: int) -> tuple[date, datetime, datetime]:
    return (day, *day_window(day, time(start), time(end), AMS))


def test_check_days_counts_places_closures_and_busy_members():
    tue, wed = date(2026, 12, 1), date(2026, 12, 2)
    other_team_morning = day_window(tue, time(9), time(12), AMS)
    checks = rules.check_days(
        [window(tue, 13, 16), window(wed, 9, 16)],
        capacity=4,
        used={tue: 4, wed: 1},
        busy={7: [other_team_morning]},
        closed={wed: "Studiedag"},
    )
    assert [(c.free, c.closed, c.busy_members, c.ok) for c in checks] == [
        (0, None, (), False),
        (3, "Studiedag", (), False),
    ]


def test_a_member_in_another_teams_overlapping_day_is_busy_back_to_back_is_not():
    tue = date(2026, 12, 1)
    morning = day_window(tue, time(9), time(12), AMS)
    checks = rules.check_days(
        [window(tue, 11, 16), window(tue, 12, 16)],
        capacity=4,
        used={},
        busy={7: [morning], 8: []},
    )
    assert [c.busy_members for c in checks] == [(7,), ()]


def test_free_places_never_go_below_zero():
    assert rules.free_places(4, 6) == 0
    assert rules.free_places(4, 1) == 3


def request(**changes):
    values = {
        "weekday": 2,
        "second_weekday": None,
        "starts": time(9),
        "ends": time(16),
        "first_day": date(2026, 12, 1),
        "day_count": 20,
        "today": date(2026, 11, 30),
        "lab": LAB,
        "active_members": 2,
    }
    return rules.request_problems(**{**values, **changes})


def test_a_good_request_has_no_problems():
    assert request() == []


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"active_members": 1}, Problem.TOO_FEW_MEMBERS),
        ({"ends": time(9)}, Problem.END_NOT_AFTER_START),
        ({"starts": time(8)}, Problem.OUTSIDE_LAB_HOURS),
        ({"ends": time(18)}, Problem.OUTSIDE_LAB_HOURS),
        ({"weekday": 6}, Problem.LAB_CLOSED_WEEKDAY),
        ({"second_weekday": 2}, Problem.SECOND_CHOICE_SAME),
        ({"second_weekday": 7}, Problem.SECOND_CHOICE_CLOSED_WEEKDAY),
        ({"first_day": date(2026, 11, 29)}, Problem.FIRST_DAY_IN_PAST),
        ({"first_day": date(2028, 2, 1)}, Problem.FIRST_DAY_TOO_FAR),
        ({"day_count": 0}, Problem.DAY_COUNT_OUT_OF_RANGE),
        ({"day_count": rules.MAX_DAY_COUNT + 1}, Problem.DAY_COUNT_OUT_OF_RANGE),
    ],
)
def test_request_problems(changes, problem):
    assert problem in request(**changes)


def test_membership_counts_from_joining_until_the_day_of_leaving():
    joined, left = date(2026, 9, 1), date(2026, 12, 1)
    assert not rules.is_member_on(joined, left, date(2026, 8, 31))
    assert rules.is_member_on(joined, left, joined)
    assert rules.is_member_on(joined, left, date(2026, 11, 30))
    assert not rules.is_member_on(joined, left, left)
    assert rules.is_member_on(joined, None, date(2030, 1, 1))


def test_check_in_opens_on_the_day_itself_in_the_lab_zone():
    day = date(2026, 12, 1)
    just_after_midnight = datetime(2026, 12, 1, 0, 5, tzinfo=AMS)
    the_evening_before = datetime(2026, 11, 30, 23, 55, tzinfo=AMS)
    scheduled = DesignDayStatus.SCHEDULED
    assert rules.can_check_in(day, scheduled, just_after_midnight.astimezone(UTC), AMS)
    assert not rules.can_check_in(day, scheduled, the_evening_before.astimezone(UTC), AMS)
    assert not rules.can_check_in(
        day, DesignDayStatus.CANCELLED, just_after_midnight.astimezone(UTC), AMS
    )


def test_competition_lists_requests_first_come_with_what_each_costs():
    t = datetime(2026, 11, 1, tzinfo=UTC)
    d1, d2, d3 = date(2027, 2, 2), date(2027, 2, 9), date(2027, 2, 16)
    late = Contender(2, t + timedelta(days=2), (d2, d3))
    early = Contender(1, t, (d1, d2))
    result = rules.competition(2, [late, early], capacity=4, used={d1: 4, d2: 3, d3: 0})
    assert [c.programme_id for c in result.contenders] == [1, 2]
    first, second = result.contenders
    # d1 is already full; d2 has one place and both want it.
    assert (first.full_days, first.contested_days, first.least_free) == (1, 1, 0)
    assert (second.full_days, second.contested_days, second.least_free) == (0, 1, 1)
    assert [(d.day, d.free, d.wanted_by, d.short) for d in result.days] == [
        (d1, 0, (1,), 1),
        (d2, 1, (1, 2), 1),
        (d3, 4, (2,), 0),
    ]
