"""Read-side queries of the lab calendar: the week and month views and the closures list.

Every function issues a fixed number of statements, whatever the number of teams, design
days or closures (DESIGN.md, "Queries that stay fast as history grows").
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from straxlab.design_teams import services
from straxlab.design_teams.models import DesignDay
from straxlab.design_teams.rules import TAKING_PLACE
from straxlab.extensions import db
from straxlab.lab_calendar import services as lab_calendar
from straxlab.lab_calendar.models import Closure
from straxlab.lab_calendar.rules import ClosedPeriod, closure_on
from straxlab.lab_calendar.settings import capacity, lab_hours

# A school year starts on 1 August.
SCHOOL_YEAR_MONTH = 8


def week_start(day: date) -> date:
    """The Monday of the week that holds ``day``."""
    return day - timedelta(days=day.isoweekday() - 1)


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(first: date, months: int) -> date:
    """The first day of the month ``months`` after (or before) the month of ``first``."""
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def school_year_start(day: date) -> date:
    year = day.year if day.month >= SCHOOL_YEAR_MONTH else day.year - 1
    return date(year, SCHOOL_YEAR_MONTH, 1)


@dataclass
class LabDayView:
    """One day of the week view: its closure, its design days and the places they take."""

    day: date
    is_lab_weekday: bool
    closure: ClosedPeriod | None = None
    design_days: list[DesignDay] = field(default_factory=list)
    used: int = 0


@dataclass(frozen=True)
class MonthDay:
    """One day of the month view: the teams in the lab that day and its closure."""

    day: date
    in_month: bool
    is_lab_weekday: bool
    used: int
    closure: ClosedPeriod | None


def week(monday: date) -> list[LabDayView]:
    """The seven days from ``monday``: closures, design days (all statuses) and places used."""
    sunday = monday + timedelta(days=6)
    closures = lab_calendar.closures_between(monday, sunday)
    weekdays = lab_hours().weekdays
    days = [
        LabDayView(
            day=monday + timedelta(days=offset),
            is_lab_weekday=(monday + timedelta(days=offset)).isoweekday() in weekdays,
        )
        for offset in range(7)
    ]
    by_day = {view.day: view for view in days}
    # The team comes along (joined eagerly); the programme is not needed here.
    design_days = db.session.scalars(
        sa.select(DesignDay)
        .where(DesignDay.day >= monday, DesignDay.day <= sunday)
        .options(so.lazyload(DesignDay.programme))
    ).all()
    teams: dict[date, set[int]] = defaultdict(set)
    for design_day in sorted(
        design_days, key=lambda d: (d.day, d.starts_at, d.team.name.casefold(), d.id)
    ):
        view = by_day[design_day.day]
        view.design_days.append(design_day)
        if design_day.status in TAKING_PLACE:
            teams[design_day.day].add(design_day.team_id)
    for view in days:
        view.closure = closure_on(view.day, closures)
        view.used = len(teams[view.day])
    return days


def month(first: date) -> list[list[MonthDay]]:
    """The weeks (Monday to Sunday) that show the month of ``first``, with places used per day.

    Two statements: the teams per day grouped in the database, and the closures.
    """
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    grid_first = week_start(first)
    grid_last = week_start(last) + timedelta(days=6)
    used: dict[date, int] = {
        day: count
        for day, count in db.session.execute(
            sa.select(DesignDay.day, sa.func.count(sa.distinct(DesignDay.team_id)))
            .where(
                DesignDay.day >= grid_first,
                DesignDay.day <= grid_last,
                DesignDay.status.in_(TAKING_PLACE),
            )
            .group_by(DesignDay.day)
        )
    }
    closures = lab_calendar.closures_between(grid_first, grid_last)
    weekdays = lab_hours().weekdays
    weeks: list[list[MonthDay]] = []
    day = grid_first
    while day <= grid_last:
        row = []
        for _ in range(7):
            row.append(
                MonthDay(
                    day=day,
                    in_month=day.month == first.month,
                    is_lab_weekday=day.isoweekday() in weekdays,
                    used=used.get(day, 0),
                    closure=closure_on(day, closures),
                )
            )
            day += timedelta(days=1)
        weeks.append(row)
    return weeks


def closures(*, year: int | None, today: date) -> sa.Select[Closure]:
    """Closures by first day: those touching ``year``, or this school year's and later ones."""
    query = sa.select(Closure)
    if year is None:
        query = query.where(Closure.last_day >= school_year_start(today))
    else:
        query = query.where(
            Closure.last_day >= date(year, 1, 1), Closure.first_day <= date(year, 12, 31)
        )
    return query.order_by(Closure.first_day, Closure.last_day, Closure.id)


def affected_days(periods: list[tuple[date, date]], now: datetime) -> list[DesignDay]:
    """Scheduled design days still to come that closures over ``periods`` would cancel.

    One statement, whatever the number of periods; the same days as
    ``design_teams.services._cancel_for_closure`` picks.
    """
    if not periods:
        return []
    first = min(start for start, _ in periods)
    last = max(end for _, end in periods)
    return [
        design_day
        for design_day in services.days_in(first, last)
        if design_day.ends_at > now
        and any(start <= design_day.day <= end for start, end in periods)
    ]


@dataclass(frozen=True)
class Utilisation:
    """How full the lab is in a month: team places used against places offered."""

    used: int
    offered: int
    open_days: int

    @property
    def percent(self) -> int | None:
        return self.used * 100 // self.offered if self.offered else None


def utilisation(first: date) -> Utilisation:
    """Places used on the month's open lab days (not closed, a lab weekday) against capacity."""
    open_days = [
        day
        for row in month(first)
        for day in row
        if day.in_month and day.is_lab_weekday and day.closure is None
    ]
    return Utilisation(
        used=sum(day.used for day in open_days),
        offered=len(open_days) * capacity(),
        open_days=len(open_days),
    )
