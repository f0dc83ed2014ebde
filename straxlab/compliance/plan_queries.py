"""Read-side queries of the plan pages: the managers' queue and a plan's versions.

Each page asks a fixed number of statements, whatever the number of plans or versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from straxlab.auth.queries import user_names
from straxlab.compliance.models import PlanVersion, ProfessionalisationPlan
from straxlab.compliance.rules import PlanOutcome, PlanStatus
from straxlab.design_teams import services as teams
from straxlab.design_teams.models import DesignTeam
from straxlab.extensions import db

RECENT_DECISIONS = 20


@dataclass(frozen=True)
class QueueRow:
    team: DesignTeam
    version: PlanVersion
    days_waiting: int


@dataclass(frozen=True)
class Decision:
    team: DesignTeam
    version: PlanVersion


@dataclass(frozen=True)
class Queue:
    waiting: list[QueueRow]
    decided: list[Decision]
    names: dict[int, str]


def _versions_with_teams() -> sa.Select[PlanVersion, DesignTeam]:
    return (
        sa.select(PlanVersion, DesignTeam)
        .join(ProfessionalisationPlan, ProfessionalisationPlan.id == PlanVersion.plan_id)
        .join(DesignTeam, DesignTeam.id == ProfessionalisationPlan.team_id)
    )


def queue(now: datetime, *, limit: int = RECENT_DECISIONS) -> Queue:
    """The submitted plans waiting for a decision, oldest first, and the latest decisions."""
    today = teams.today(now)
    waiting = [
        QueueRow(team, version, _days_between(teams.today(version.submitted_at), today))
        for version, team in db.session.execute(
            _versions_with_teams()
            .where(
                ProfessionalisationPlan.status == PlanStatus.SUBMITTED,
                PlanVersion.outcome == PlanOutcome.PENDING,
            )
            .order_by(PlanVersion.submitted_at, PlanVersion.id)
        )
    ]
    decided = [
        Decision(team, version)
        for version, team in db.session.execute(
            _versions_with_teams()
            .where(PlanVersion.decided_at.is_not(None))
            .order_by(PlanVersion.decided_at.desc(), PlanVersion.id.desc())
            .limit(limit)
        )
    ]
    names = user_names(
        [
            *(row.version.submitted_by_id for row in waiting),
            *(row.version.decided_by_id for row in decided),
        ]
    )
    return Queue(waiting, decided, names)


def _days_between(first: date, last: date) -> int:
    return max((last - first).days, 0)


def version_names(versions: list[PlanVersion], *extra: int | None) -> dict[int, str]:
    """The names of everyone who submitted or decided these versions (one query)."""
    return user_names(
        [
            *(v.submitted_by_id for v in versions),
            *(v.decided_by_id for v in versions),
            *extra,
        ]
    )
