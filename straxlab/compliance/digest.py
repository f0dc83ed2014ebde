"""The managers' weekly compliance digest: how many teams are on track, and which are not, why.

Built from :func:`assessment.assess_teams` (the numbers of the dashboard) and worded by
``compliance.labels`` in each manager's own language when the message is rendered. The
weekly job (``straxlab.jobs.compliance``) decides when it is due and passes the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from straxlab.auth.models import User
from straxlab.auth.rules import Permission, Role, has_permission
from straxlab.compliance import labels
from straxlab.compliance.assessment import assess_teams, status_counts
from straxlab.compliance.dashboard_queries import teams_of
from straxlab.compliance.models import ComplianceSnapshot
from straxlab.compliance.rules import Finding, Severity
from straxlab.design_teams import services as teams
from straxlab.design_teams.models import DesignTeam
from straxlab.extensions import db
from straxlab.mail import services as mail
from straxlab.mail.rules import Notice


@dataclass(frozen=True)
class DigestLine:
    """A team that is not on track, with the worst of its reasons."""

    team_id: int
    team_name: str
    status: Severity
    reason: Finding


@dataclass(frozen=True)
class Digest:
    on: date
    year: int
    week: int
    counts: dict[Severity, int]
    # Red teams first, then amber; by name within a status.
    lines: list[DigestLine]

    @property
    def week_label(self) -> str:
        """ISO notation: 2026-W09."""
        return f"{self.year}-W{self.week:02d}"

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def weekly_digest(now: datetime, year: int, week: int) -> Digest:
    """Every team's status as it stands now, and the reasons of those not on track."""
    on = teams.today(now)
    existing = [team for team in teams_of() if team.created_at <= now]
    assessed = assess_teams(existing, on=on, now=now)
    lines = [
        DigestLine(item.team.id, item.team.name, item.status, item.problems[0])
        for item in assessed
        if item.status is not Severity.GREEN and item.problems
    ]
    lines.sort(key=lambda line: (-line.status.rank, line.team_name.lower(), line.team_id))
    return Digest(on, year, week, status_counts(assessed), lines)


def teams_without_snapshot(now: datetime, year: int, week: int) -> int:
    """How many teams that exist at ``now`` have no snapshot for that ISO week yet."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(DesignTeam.id)).where(
                DesignTeam.created_at <= now,
                ~sa.exists().where(
                    ComplianceSnapshot.team_id == DesignTeam.id,
                    ComplianceSnapshot.iso_year == year,
                    ComplianceSnapshot.iso_week == week,
                ),
            )
        )
        or 0
    )


def managers() -> list[User]:
    """Active users who read the compliance dashboard."""
    roles = [role for role in Role if has_permission(role, Permission.VIEW_COMPLIANCE)]
    return list(
        db.session.scalars(
            sa.select(User).where(User.role.in_(roles), User.is_active.is_(True)).order_by(User.id)
        )
    )


def send_digest(manager: User, digest: Digest, *, key: str, now: datetime) -> bool:
    """Write the digest to one manager, in their language."""
    return mail.queue(
        Notice.COMPLIANCE_DIGEST,
        manager,
        key=key,
        template="compliance_digest",
        now=now,
        digest=digest,
        green=Severity.GREEN,
        amber=Severity.AMBER,
        red=Severity.RED,
        severity_label=lambda severity: labels.SEVERITY_LABELS[severity],
        rule_label=lambda rule: labels.RULE_LABELS[rule],
        explain=labels.explain,
        team_links={
            line.team_id: mail.external_url("teams.team", team_id=line.team_id)
            for line in digest.lines
        },
        link=mail.external_url("compliance.dashboard"),
    )
