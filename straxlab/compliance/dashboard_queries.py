"""Read-side queries of the managers' dashboard.

Every number comes from :func:`assessment.assess_teams`, so the dashboard, the reports and
the snapshots agree. The page takes a fixed number of statements whatever the number of
teams (tests/compliance/test_dashboard.py counts them for 5 and for 200 teams).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from straxlab.compliance import charts
from straxlab.compliance.assessment import TeamAssessment, assess_teams, status_counts
from straxlab.compliance.models import ComplianceSnapshot
from straxlab.compliance.rules import Severity, iso_week
from straxlab.compliance.settings import thresholds as current_thresholds
from straxlab.design_teams import services as teams
from straxlab.design_teams.models import DesignTeam
from straxlab.extensions import db

# The trend column shows this many weeks; the statuses-over-time chart this many.
TREND_WEEKS = 8
CHART_WEEKS = 12


def departments() -> list[str]:
    """The departments teams belong to, in alphabetical order (one statement)."""
    return list(
        db.session.scalars(
            sa.select(DesignTeam.department)
            .where(DesignTeam.department != "")
            .distinct()
            .order_by(DesignTeam.department)
        )
    )


def teams_of(department: str = "") -> list[DesignTeam]:
    """Every team, or those of one department, by name (the coordinator joined)."""
    query = sa.select(DesignTeam).order_by(sa.func.lower(DesignTeam.name), DesignTeam.id)
    if department:
        query = query.where(DesignTeam.department == department)
    return list(db.session.scalars(query))


def week_keys(on: date, count: int) -> list[tuple[int, int]]:
    """The ISO weeks (year, week) of the ``count`` weeks up to and including ``on``'s."""
    monday = on - timedelta(days=on.isoweekday() - 1)
    return [iso_week(monday - timedelta(weeks=back)) for back in range(count - 1, -1, -1)]


def snapshot_statuses(
    team_ids: list[int], on: date, weeks: int
) -> dict[int, dict[tuple[int, int], Severity]]:
    """Per team, its snapshot status per ISO week over the ``weeks`` weeks up to ``on``."""
    found: dict[int, dict[tuple[int, int], Severity]] = defaultdict(dict)
    if not team_ids:
        return found
    first_monday = on - timedelta(days=on.isoweekday() - 1, weeks=weeks - 1)
    rows = db.session.execute(
        sa.select(
            ComplianceSnapshot.team_id,
            ComplianceSnapshot.iso_year,
            ComplianceSnapshot.iso_week,
            ComplianceSnapshot.status,
        ).where(
            ComplianceSnapshot.team_id.in_(team_ids),
            ComplianceSnapshot.assessed_on >= first_monday,
            ComplianceSnapshot.assessed_on <= on,
        )
    )
    for team_id, year, week, status in rows:
        found[team_id][(year, week)] = status
    return found


@dataclass
class TeamLine:
    """One row of the dashboard's table."""

    assessment: TeamAssessment
    trend: list[charts.TrendCell]

    @property
    def team(self) -> DesignTeam:
        return self.assessment.team


@dataclass
class Dashboard:
    on: date
    threshold: int
    # Teams of the chosen department (all statuses): what the counts and the chart over
    # time describe.
    total: int
    counts: dict[Severity, int]
    # The teams the table and the attendance chart show (department and status filter).
    lines: list[TeamLine]
    weeks: list[charts.WeekCounts]
    has_snapshots: bool

    @property
    def attendance_bars(self) -> list[charts.AttendanceBar]:
        """The attendance chart's bars: per team the member who attended least (the minimum
        holds per member), lowest first, teams without held days last."""
        ordered = sorted(
            self.lines,
            key=lambda line: (
                line.assessment.lowest_attendance is None,
                line.assessment.lowest_attendance or 0,
                line.team.name.lower(),
            ),
        )
        return [
            charts.AttendanceBar(line.team.name, line.assessment.lowest_attendance)
            for line in ordered
        ]


def dashboard(*, now: datetime, department: str = "", status: Severity | None = None) -> Dashboard:
    """The dashboard's figures as they stand now, for one department (or all)."""
    on = teams.today(now)
    # Read once and handed to assess_teams, so the chart's line is the rules' threshold.
    limits = current_thresholds()
    chosen = teams_of(department)
    assessed = assess_teams(chosen, on=on, now=now, thresholds=limits)
    counts = status_counts(assessed)
    ids = [team.id for team in chosen]
    history = snapshot_statuses(ids, on, CHART_WEEKS)
    trend_keys = week_keys(on, TREND_WEEKS)
    lines = [
        TeamLine(
            item,
            [
                charts.TrendCell(year, week, history.get(item.team.id, {}).get((year, week)))
                for year, week in trend_keys
            ],
        )
        for item in assessed
        if status is None or item.status is status
    ]
    per_week: dict[tuple[int, int], Counter[Severity]] = defaultdict(Counter)
    for statuses in history.values():
        for key, severity in statuses.items():
            per_week[key][severity] += 1
    weeks = [
        charts.WeekCounts(year, week, dict(per_week.get((year, week), Counter())))
        for year, week in week_keys(on, CHART_WEEKS)
    ]
    return Dashboard(
        on=on,
        threshold=limits.attendance_percent,
        total=len(assessed),
        counts={severity: counts[severity] for severity in charts.STATUSES},
        lines=lines,
        weeks=weeks,
        has_snapshots=any(week.total for week in weeks),
    )
