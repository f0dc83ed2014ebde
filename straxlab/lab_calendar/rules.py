"""Lab calendar rules: wall-clock days in the lab's zone, opening hours, closures, lab days.

Pure: no database, no Flask. Both lending (pickup and return) and design teams (lab days)
obey the same closures and the same wall-clock time handling.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# A lab-day series never looks further than this for its dates, however many are closed.
MAX_SERIES_SPAN = timedelta(days=2 * 366)
# The `holidays` package joins the names of overlapping holidays with this separator.
HOLIDAY_NAME_SEPARATOR = "; "


@dataclass(frozen=True)
class OpeningHours:
    """When the desk or the lab is open: ISO weekdays (1 = Monday) and one daily window."""

    weekdays: frozenset[int]
    opens: time
    closes: time

    def is_open(self, moment: datetime, zone: ZoneInfo) -> bool:
        local = moment.astimezone(zone)
        wall = local.time().replace(tzinfo=None)
        return local.isoweekday() in self.weekdays and self.opens <= wall <= self.closes


@dataclass(frozen=True)
class ClosedPeriod:
    """Days the lab is closed (a holiday, a closure), both dates included."""

    first_day: date
    last_day: date
    reason: str

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


def parse_time_of_day(raw: str) -> time:
    """``"08:30"`` -> ``time(8, 30)``; raises ``ValueError`` for anything else."""
    hours, _, minutes = raw.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(hours) <= 2 and len(minutes) == 2):
        raise ValueError(raw)
    return time(int(hours), int(minutes))


def parse_weekdays(raw: str) -> frozenset[int]:
    """``"12345"`` -> Monday to Friday; raises ``ValueError`` for anything else."""
    days = frozenset(int(char) for char in raw.strip() if char.isdigit())
    if not days or any(day < 1 or day > 7 for day in days) or not raw.strip().isdigit():
        raise ValueError(raw)
    return days


def local_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a day in the lab's zone.

    A time that does not exist (skipped by the spring DST change) raises ``ValueError``.
    """
    naive = datetime.combine(day, wall)
    aware = naive.replace(tzinfo=zone)
    back = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if back != naive:
        raise ValueError(f"{naive} does not exist in {zone}")
    return aware.astimezone(UTC)


def closure_on(day: date, closures: Iterable[ClosedPeriod]) -> ClosedPeriod | None:
    """The first closure that covers ``day``, if any."""
    return next((closure for closure in closures if closure.covers(day)), None)


@dataclass(frozen=True)
class SkippedDay:
    day: date
    reason: str


@dataclass(frozen=True)
class Series:
    """The dates of a weekly lab-day series, and the dates it skipped (with the reason)."""

    days: list[date] = field(default_factory=list)
    skipped: list[SkippedDay] = field(default_factory=list)


def first_weekday_on_or_after(start: date, isoweekday: int) -> date:
    return start + timedelta(days=(isoweekday - start.isoweekday()) % 7)


def weekly_series(
    first_day: date,
    isoweekday: int,
    count: int,
    closures: Sequence[ClosedPeriod],
) -> Series:
    """``count`` lab days on ``isoweekday`` from ``first_day`` on, skipping closed days.

    A closed week does not count: the series runs on until it holds ``count`` days (so a
    programme of 20 days keeps 20 days), but never further than ``MAX_SERIES_SPAN``.
    """
    series = Series()
    day = first_weekday_on_or_after(first_day, isoweekday)
    horizon = first_day + MAX_SERIES_SPAN
    while len(series.days) < count and day <= horizon:
        closed = closure_on(day, closures)
        if closed is None:
            series.days.append(day)
        else:
            series.skipped.append(SkippedDay(day, closed.reason))
        day += timedelta(days=7)
    return series


def holiday_periods(days: Mapping[date, str]) -> list[ClosedPeriod]:
    """Turn the `holidays` package's day → name map into closed periods, one per holiday.

    Overlapping holidays arrive as one joined name (``Koningsdag; Meivakantie``); each name
    becomes its own period, and consecutive days of one name merge into one range.
    """
    by_name: dict[str, list[date]] = defaultdict(list)
    for day, joined in days.items():
        for name in joined.split(HOLIDAY_NAME_SEPARATOR):
            if name.strip():
                by_name[name.strip()].append(day)
    periods: list[ClosedPeriod] = []
    for name, dates in by_name.items():
        dates.sort()
        first = last = dates[0]
        for day in dates[1:]:
            if day == last + timedelta(days=1):
                last = day
                continue
            periods.append(ClosedPeriod(first, last, name))
            first = last = day
        periods.append(ClosedPeriod(first, last, name))
    return sorted(periods, key=lambda period: (period.first_day, period.last_day, period.reason))


def day_window(day: date, starts: time, ends: time, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants of a wall-clock window on one day in the lab's zone."""
    return local_instant(day, starts, zone), local_instant(day, ends, zone)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()
