"""Design-team rules: membership, programme requests, lab-day capacity, clashes, check-in.

Pure: no database, no Flask. Services gather the facts and call these.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from straxlab.lab_calendar.rules import OpeningHours

# Collaboration is required: a team with fewer active members may not ask for lab days.
MIN_ACTIVE_MEMBERS = 2
# About half a school year of weekly lab days.
DEFAULT_DAY_COUNT = 20
MAX_DAY_COUNT = 45
# A programme starts at most this far ahead (a request for next school year is fine).
MAX_FIRST_DAY_AHEAD = timedelta(days=400)


class ProgrammeStatus(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    FINISHED = "finished"


class DesignDayStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


# Design days in these states take a place in the lab (DESIGN.md, invariant 2).
TAKING_PLACE = frozenset({DesignDayStatus.SCHEDULED, DesignDayStatus.HELD})
# A design day that has not yet happened may still be moved or cancelled.
CHANGEABLE = frozenset({DesignDayStatus.SCHEDULED})


def is_member_on(joined_on: date, left_on: date | None, day: date) -> bool:
    """A member counts from the day they join up to (not including) the day they leave."""
    return joined_on <= day and (left_on is None or day < left_on)


class Problem(enum.Enum):
    """Why a programme request (or a moved design day) is refused; services word each one."""

    TOO_FEW_MEMBERS = "too_few_members"
    END_NOT_AFTER_START = "end_not_after_start"
    OUTSIDE_LAB_HOURS = "outside_lab_hours"
    LAB_CLOSED_WEEKDAY = "lab_closed_weekday"
    SECOND_CHOICE_CLOSED_WEEKDAY = "second_choice_closed_weekday"
    SECOND_CHOICE_SAME = "second_choice_same"
    FIRST_DAY_IN_PAST = "first_day_in_past"
    FIRST_DAY_TOO_FAR = "first_day_too_far"
    DAY_COUNT_OUT_OF_RANGE = "day_count_out_of_range"
    NOT_ENOUGH_OPEN_DAYS = "not_enough_open_days"


def hours_problems(starts: time, ends: time, lab: OpeningHours) -> list[Problem]:
    if ends <= starts:
        return [Problem.END_NOT_AFTER_START]
    if starts < lab.opens or ends > lab.closes:
        return [Problem.OUTSIDE_LAB_HOURS]
    return []


def request_problems(
    *,
    weekday: int,
    second_weekday: int | None,
    starts: time,
    ends: time,
    first_day: date,
    day_count: int,
    today: date,
    lab: OpeningHours,
    active_members: int,
) -> list[Problem]:
    """Everything wrong with a programme request, before capacity is looked at."""
    problems: list[Problem] = []
    if active_members < MIN_ACTIVE_MEMBERS:
        problems.append(Problem.TOO_FEW_MEMBERS)
    problems += hours_problems(starts, ends, lab)
    if weekday not in lab.weekdays:
        problems.append(Problem.LAB_CLOSED_WEEKDAY)
    if second_weekday is not None:
        if second_weekday == weekday:
            problems.append(Problem.SECOND_CHOICE_SAME)
        elif second_weekday not in lab.weekdays:
            problems.append(Problem.SECOND_CHOICE_CLOSED_WEEKDAY)
    if first_day < today:
        problems.append(Problem.FIRST_DAY_IN_PAST)
    elif first_day > today + MAX_FIRST_DAY_AHEAD:
        problems.append(Problem.FIRST_DAY_TOO_FAR)
    if not 1 <= day_count <= MAX_DAY_COUNT:
        problems.append(Problem.DAY_COUNT_OUT_OF_RANGE)
    return problems


def overlaps(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    """Half-open: a team that leaves at 12:00 and one that comes at 12:00 do not clash."""
    return a[0] < b[1] and b[0] < a[1]


@dataclass(frozen=True)
class DayCheck:
    """What stands in the way of one design day: a full lab, a closure, busy members."""

    day: date
    starts_at: datetime
    ends_at: datetime
    free: int
    closed: str | None = None
    # Members who are already in another team's design day at that time.
    busy_members: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        return self.free > 0 and self.closed is None and not self.busy_members


def free_places(capacity: int, used: int) -> int:
    return max(capacity - used, 0)


def check_days(
    windows: Sequence[tuple[date, datetime, datetime]],
    *,
    capacity: int,
    used: Mapping[date, int],
    busy: Mapping[int, Sequence[tuple[datetime, datetime]]],
    closed: Mapping[date, str] | None = None,
) -> list[DayCheck]:
    """Check each wanted day against the places left, closures and the members' other days.

    ``used`` counts the teams already in the lab per day; ``busy`` maps each member to the
    windows of their design days in other teams.
    """
    closed = closed or {}
    checks = []
    for day, starts_at, ends_at in windows:
        members = tuple(
            sorted(
                user_id
                for user_id, taken in busy.items()
                if any(overlaps((starts_at, ends_at), window) for window in taken)
            )
        )
        checks.append(
            DayCheck(
                day,
                starts_at,
                ends_at,
                free_places(capacity, used.get(day, 0)),
                closed.get(day),
                members,
            )
        )
    return checks


def can_check_in(day: date, status: DesignDayStatus, now: datetime, zone: ZoneInfo) -> bool:
    """The check-in code works only on the design day itself (in the lab's zone)."""
    return status in TAKING_PLACE and now.astimezone(zone).date() == day


@dataclass(frozen=True)
class Contender:
    """A programme request waiting for approval, with the days it would take."""

    programme_id: int
    requested_at: datetime
    days: tuple[date, ...]


@dataclass(frozen=True)
class ContenderSummary:
    programme_id: int
    # Days already full without this request, and days it competes for with other requests.
    full_days: int
    contested_days: int
    least_free: int


@dataclass(frozen=True)
class ContestedDay:
    day: date
    free: int
    wanted_by: tuple[int, ...]

    @property
    def short(self) -> int:
        """How many requests for this day cannot all be approved."""
        return max(len(self.wanted_by) - self.free, 0)


@dataclass(frozen=True)
class Competition:
    """Requests for one weekday side by side, so staff can share the places fairly."""

    weekday: int
    contenders: list[ContenderSummary]
    days: list[ContestedDay]


def competition(
    weekday: int, contenders: Iterable[Contender], *, capacity: int, used: Mapping[date, int]
) -> Competition:
    """First come, first in the list; each request with what it would cost the others."""
    ordered = sorted(contenders, key=lambda c: (c.requested_at, c.programme_id))
    wanted: dict[date, list[int]] = {}
    for contender in ordered:
        for day in contender.days:
            wanted.setdefault(day, []).append(contender.programme_id)
    days = [
        ContestedDay(day, free_places(capacity, used.get(day, 0)), tuple(ids))
        for day, ids in sorted(wanted.items())
    ]
    by_day = {entry.day: entry for entry in days}
    summaries = []
    for contender in ordered:
        mine = [by_day[day] for day in contender.days]
        summaries.append(
            ContenderSummary(
                contender.programme_id,
                full_days=sum(1 for entry in mine if entry.free == 0),
                contested_days=sum(1 for entry in mine if entry.free > 0 and entry.short > 0),
                least_free=min((entry.free for entry in mine), default=capacity),
            )
        )
    return Competition(weekday, summaries, days)
