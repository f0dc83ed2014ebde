"""Read-side queries of programme requests: the approval queue with its competition per
weekday, recent decisions, one programme's design days and history.

Batched: the queue takes the same number of statements however many requests wait.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from straxlab.auth.queries import user_names
from straxlab.core import audit
from straxlab.design_teams import rules, services, team_queries
from straxlab.design_teams.models import DesignDay, Programme
from straxlab.design_teams.rules import ContenderSummary, ContestedDay, ProgrammeStatus
from straxlab.extensions import db
from straxlab.lab_calendar import services as lab_calendar
from straxlab.lab_calendar.rules import MAX_SERIES_SPAN, Series, weekly_series
from straxlab.lab_calendar.settings import capacity

RECENT_DECISIONS = 20


def series_for(programmes: Sequence[Programme], now: datetime) -> dict[int, Series]:
    """Each waiting programme's dates if approved now (closures skipped), from one look at
    the closures: the same dates ``services.approve`` would create."""
    if not programmes:
        return {}
    starts = {p.id: services.starts_on(p, now) for p in programmes}
    first = min(starts.values())
    last = max(starts.values()) + MAX_SERIES_SPAN
    closures = lab_calendar.closures_between(first, last)
    return {p.id: weekly_series(starts[p.id], p.weekday, p.day_count, closures) for p in programmes}


def is_extended(series: Series, day_count: int) -> bool:
    """The series runs longer than ``day_count`` weeks because closed weeks were skipped."""
    if not series.days:
        return False
    return series.days[-1] > series.days[0] + timedelta(weeks=day_count - 1)


@dataclass(frozen=True)
class Contender:
    """One waiting request in its weekday group: the request, its dates and what it costs."""

    programme: Programme
    members: int
    series: Series
    summary: ContenderSummary

    @property
    def extended(self) -> bool:
        return is_extended(self.series, self.programme.day_count)


@dataclass(frozen=True)
class WeekdayGroup:
    """Requests for one weekday side by side, and every date any of them wants."""

    weekday: int
    contenders: list[Contender]
    days: list[ContestedDay]


@dataclass(frozen=True)
class Queue:
    groups: list[WeekdayGroup]
    capacity: int
    names: dict[int, str]

    @property
    def count(self) -> int:
        return sum(len(group.contenders) for group in self.groups)


def waiting_requests() -> list[Programme]:
    """Every request awaiting a decision (one per team at most), first come first."""
    return list(
        db.session.scalars(
            sa.select(Programme)
            .where(Programme.status == ProgrammeStatus.REQUESTED)
            .order_by(Programme.weekday, Programme.requested_at, Programme.id)
        ).unique()
    )


def queue(now: datetime) -> Queue:
    """The approval queue grouped by weekday, each group as ``rules.competition`` sees it."""
    today = services.today(now)
    waiting = waiting_requests()
    series = series_for(waiting, now)
    members = team_queries.active_member_counts([p.team_id for p in waiting], today)
    all_days = {day for found in series.values() for day in found.days}
    used = services.used_places(all_days)
    places = capacity()
    by_weekday: dict[int, list[Programme]] = defaultdict(list)
    for programme in waiting:
        by_weekday[programme.weekday].append(programme)
    groups = []
    for weekday, programmes in sorted(by_weekday.items()):
        competition = rules.competition(
            weekday,
            [rules.Contender(p.id, p.requested_at, tuple(series[p.id].days)) for p in programmes],
            capacity=places,
            used=used,
        )
        by_id = {p.id: p for p in programmes}
        groups.append(
            WeekdayGroup(
                weekday,
                [
                    Contender(
                        by_id[summary.programme_id],
                        members.get(by_id[summary.programme_id].team_id, 0),
                        series[summary.programme_id],
                        summary,
                    )
                    for summary in competition.contenders
                ],
                competition.days,
            )
        )
    names = user_names(p.requested_by_id for p in waiting)
    return Queue(groups, places, names)


def recent_decisions(limit: int = RECENT_DECISIONS) -> tuple[list[Programme], dict[int, str]]:
    """The latest approvals and rejections, newest first, with the deciders' names."""
    decided = list(
        db.session.scalars(
            sa.select(Programme)
            .where(Programme.decided_at.is_not(None))
            .order_by(Programme.decided_at.desc(), Programme.id.desc())
            .limit(limit)
        ).unique()
    )
    return decided, user_names(p.decided_by_id for p in decided)


def design_days(programme: Programme) -> list[DesignDay]:
    return list(
        db.session.scalars(
            sa.select(DesignDay)
            .where(DesignDay.programme_id == programme.id)
            .order_by(DesignDay.day, DesignDay.starts_at)
        ).unique()
    )


def history(programme: Programme) -> list[audit.AuditEvent]:
    return audit.history("programme", programme.id)
