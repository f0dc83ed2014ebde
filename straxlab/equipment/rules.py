"""Lending rules: intervals, the reservation lifecycle, desk hours and loan limits.

Pure: no database, no Flask. Services gather the facts and call these.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from straxlab.lab_calendar.rules import ClosedPeriod as ClosedPeriod
from straxlab.lab_calendar.rules import OpeningHours as OpeningHours
from straxlab.lab_calendar.rules import local_instant as local_instant
from straxlab.lab_calendar.rules import parse_time_of_day as parse_time_of_day
from straxlab.lab_calendar.rules import parse_weekdays as parse_weekdays

# However a type is configured, no loan is longer than this (staff cannot waive it) and no
# turnaround longer than MAX_TURNAROUND_MINUTES. Together they bound the overlap query
# from below (an active item that overlaps a window starts at most this long before it),
# which keeps availability as fast at a million reservations as at a thousand.
MAX_LOAN_DAYS = 60
MAX_TURNAROUND_MINUTES = 3 * 24 * 60
LOOKBACK = timedelta(days=MAX_LOAN_DAYS, minutes=MAX_TURNAROUND_MINUTES)
# Staff may hand gear out this long before the reserved start.
EARLY_PICKUP = timedelta(hours=1)


class ReservationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    CHECKED_OUT = "checked_out"
    RETURNED = "returned"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class AssetStatus(enum.StrEnum):
    AVAILABLE = "available"
    MAINTENANCE = "maintenance"
    RETIRED = "retired"


# Reservations in these states hold their assets (DESIGN.md, invariant 1).
ACTIVE_STATUSES = frozenset(
    {ReservationStatus.PENDING, ReservationStatus.APPROVED, ReservationStatus.CHECKED_OUT}
)

TRANSITIONS: dict[ReservationStatus, frozenset[ReservationStatus]] = {
    ReservationStatus.PENDING: frozenset(
        {
            ReservationStatus.APPROVED,
            ReservationStatus.REJECTED,
            ReservationStatus.CANCELLED,
            ReservationStatus.EXPIRED,
        }
    ),
    # Approved but never picked up before the period ended: expired (a no-show).
    ReservationStatus.APPROVED: frozenset(
        {
            ReservationStatus.CHECKED_OUT,
            ReservationStatus.CANCELLED,
            ReservationStatus.PENDING,
            ReservationStatus.EXPIRED,
        }
    ),
    ReservationStatus.CHECKED_OUT: frozenset({ReservationStatus.RETURNED}),
    ReservationStatus.RETURNED: frozenset(),
    ReservationStatus.REJECTED: frozenset(),
    ReservationStatus.CANCELLED: frozenset(),
    ReservationStatus.EXPIRED: frozenset(),
}


def can_move(current: ReservationStatus, target: ReservationStatus) -> bool:
    """True when the lifecycle allows ``current -> target``."""
    return target in TRANSITIONS[current]


@dataclass(frozen=True)
class Interval:
    """A half-open interval ``[start, end)`` of aware instants."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("intervals need timezone-aware instants")

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end


def overlaps(a: Interval, b: Interval) -> bool:
    """Half-open overlap: back-to-back intervals do not overlap."""
    return a.overlaps(b)


def blocked_interval(period: Interval, turnaround_minutes: int) -> Interval:
    """The time an asset is unavailable for a loan: the loan plus charging and cleaning."""
    return Interval(period.start, period.end + timedelta(minutes=turnaround_minutes))


class Problem(enum.Enum):
    """Why a requested period or quantity is refused; the services word each one."""

    START_NOT_BEFORE_END = "start_not_before_end"
    START_IN_PAST = "start_in_past"
    BEYOND_LOAN_LIMIT = "beyond_loan_limit"
    TOO_LONG = "too_long"
    TOO_FAR_AHEAD = "too_far_ahead"
    PICKUP_DESK_CLOSED = "pickup_desk_closed"
    RETURN_DESK_CLOSED = "return_desk_closed"
    PICKUP_LAB_CLOSED = "pickup_lab_closed"
    RETURN_LAB_CLOSED = "return_lab_closed"
    OVER_QUOTA = "over_quota"
    QUALIFICATION_MISSING = "qualification_missing"


# Limits that lab staff may waive with a recorded reason; the others are facts of life.
OVERRIDABLE = frozenset(
    {
        Problem.TOO_LONG,
        Problem.TOO_FAR_AHEAD,
        Problem.PICKUP_DESK_CLOSED,
        Problem.RETURN_DESK_CLOSED,
        Problem.OVER_QUOTA,
        Problem.QUALIFICATION_MISSING,
    }
)


def period_problems(
    period: Interval,
    *,
    now: datetime,
    max_loan_days: int,
    max_advance_days: int,
) -> list[Problem]:
    """What is wrong with a requested loan period for one type, before looking at assets."""
    problems: list[Problem] = []
    if period.end <= period.start:
        return [Problem.START_NOT_BEFORE_END]
    if period.start < now:
        problems.append(Problem.START_IN_PAST)
    if period.length > timedelta(days=MAX_LOAN_DAYS):
        problems.append(Problem.BEYOND_LOAN_LIMIT)
    elif period.length > timedelta(days=max_loan_days):
        problems.append(Problem.TOO_LONG)
    if period.start > now + timedelta(days=max_advance_days):
        problems.append(Problem.TOO_FAR_AHEAD)
    return problems


def desk_problems(
    period: Interval,
    *,
    hours: OpeningHours,
    closures: Iterable[ClosedPeriod],
    zone: ZoneInfo,
) -> list[Problem]:
    """Pickup and return must fall in the desk's opening hours, on a day the lab is open."""
    problems: list[Problem] = []
    closed = list(closures)
    pickup_day = period.start.astimezone(zone).date()
    return_day = period.end.astimezone(zone).date()
    if any(closure.covers(pickup_day) for closure in closed):
        problems.append(Problem.PICKUP_LAB_CLOSED)
    elif not hours.is_open(period.start, zone):
        problems.append(Problem.PICKUP_DESK_CLOSED)
    if any(closure.covers(return_day) for closure in closed):
        problems.append(Problem.RETURN_LAB_CLOSED)
    elif not hours.is_open(period.end, zone):
        problems.append(Problem.RETURN_DESK_CLOSED)
    return problems


def quota_problems(held: int, requested: int, quota: int) -> list[Problem]:
    """A teacher holds at most ``quota`` assets at any moment of the period.

    ``held`` is the most the teacher already holds at one moment of it (:func:`peak_held`).
    """
    return [Problem.OVER_QUOTA] if held + requested > quota else []


def peak_held(loans: Iterable[tuple[Interval, int]], period: Interval) -> int:
    """The most assets held at one moment of ``period``, given loans and their asset counts."""
    events: list[tuple[datetime, int]] = []
    for loan, count in loans:
        start, end = max(loan.start, period.start), min(loan.end, period.end)
        if start < end:
            events += [(start, count), (end, -count)]
    # At the same instant a loan that ends frees its assets before the next one starts.
    events.sort(key=lambda event: (event[0], event[1]))
    peak = current = 0
    for _, change in events:
        current += change
        peak = max(peak, current)
    return peak


def qualification_problems(
    required: str | None, held: Iterable[tuple[str, date | None]], on: date
) -> list[Problem]:
    """The borrower must have the type's prerequisite on file, valid through ``on``."""
    if not required:
        return []
    wanted = required.casefold()
    for kind, valid_until in held:
        if kind.casefold() == wanted and (valid_until is None or valid_until >= on):
            return []
    return [Problem.QUALIFICATION_MISSING]


def kit_free_count(free_by_type: dict[int, int], components: dict[int, int]) -> int:
    """How many kits can be made from free assets: the scarcest component decides."""
    if not components:
        return 0
    return min(free_by_type.get(type_id, 0) // need for type_id, need in components.items())


def next_free_start(
    busy: Sequence[Sequence[Interval]],
    *,
    quantity: int,
    length: timedelta,
    turnaround: timedelta,
    earliest: datetime,
    candidates: Iterable[datetime],
) -> datetime | None:
    """The first candidate start at or after ``earliest`` when ``quantity`` assets are free.

    ``busy`` holds, per usable asset, the intervals it is blocked. A start works when at
    least ``quantity`` assets have no blocked interval overlapping the loan plus turnaround.
    """
    for start in candidates:
        if start < earliest:
            continue
        wanted = Interval(start, start + length + turnaround)
        free = sum(1 for intervals in busy if not any(wanted.overlaps(b) for b in intervals))
        if free >= quantity:
            return start
    return None


def desk_starts(
    after: datetime, *, hours: OpeningHours, zone: ZoneInfo, days: int, step_minutes: int = 30
) -> list[datetime]:
    """Pickup moments inside opening hours over the next ``days`` days, every ``step`` minutes."""
    moments: list[datetime] = []
    first_day = after.astimezone(zone).date()
    for offset in range(days + 1):
        day = first_day + timedelta(days=offset)
        if day.isoweekday() not in hours.weekdays:
            continue
        minute = hours.opens.hour * 60 + hours.opens.minute
        last = hours.closes.hour * 60 + hours.closes.minute
        while minute <= last:
            try:
                moment = local_instant(day, time(minute // 60, minute % 60), zone)
            except ValueError:
                minute += step_minutes
                continue
            if moment >= after:
                moments.append(moment)
            minute += step_minutes
    return moments


def is_overdue(status: ReservationStatus, ends_at: datetime, returned: bool, now: datetime) -> bool:
    """Checked out and past its end without having come back."""
    return status is ReservationStatus.CHECKED_OUT and not returned and ends_at <= now


def can_check_out(status: ReservationStatus, period: Interval, now: datetime) -> bool:
    """Approved, and the desk is within an hour of the pickup time or past it (but not its end)."""
    return status is ReservationStatus.APPROVED and period.start - EARLY_PICKUP <= now < period.end


def needs_new_approval(old: Interval, new: Interval, old_quantity: int, new_quantity: int) -> bool:
    """A change asks for staff again unless it only shrinks what was approved."""
    return not (old.contains(new) and new_quantity <= old_quantity)


def week_days(first: date) -> list[date]:
    """The seven days of the week that starts on ``first``'s Monday."""
    monday = first - timedelta(days=first.weekday())
    return [monday + timedelta(days=n) for n in range(7)]
