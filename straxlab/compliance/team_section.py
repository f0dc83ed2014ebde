"""The compliance section of the team page: traffic light, findings, plan, log, scenarios."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from straxlab.compliance import labels
from straxlab.compliance.assessment import assess_team
from straxlab.compliance.models import Milestone, ProfessionalisationPlan
from straxlab.compliance.settings import thresholds
from straxlab.design_teams.models import DesignTeam
from straxlab.design_teams.team_views import PageSection
from straxlab.extensions import db

# The team page names this many open milestones; the milestones page has them all.
NEXT_MILESTONES = 3


def next_milestones(team: DesignTeam) -> list[Milestone]:
    """The team's open milestones that come first, by due date (one statement)."""
    return list(
        db.session.scalars(
            sa.select(Milestone)
            .join(ProfessionalisationPlan, ProfessionalisationPlan.id == Milestone.plan_id)
            .where(ProfessionalisationPlan.team_id == team.id, Milestone.done_on.is_(None))
            .order_by(Milestone.due_on, Milestone.id)
            .limit(NEXT_MILESTONES)
        )
    )


def render(team: DesignTeam, now: datetime) -> PageSection:
    """The section for everyone who reads the team (the team page has checked that).

    The facts (plan status, last entry, scenarios used in a course) come from the same
    assessment as the findings, so the section and the traffic light never disagree.
    """
    assessed = assess_team(team, now=now)
    facts = assessed.facts
    grace_days = thresholds().milestone_grace_days
    return PageSection(
        "compliance/_team_section.html",
        {
            "status": assessed.status,
            "findings": assessed.worst_first,
            "plan_status": facts.plan_status,
            # Each open milestone with its badge when it is overdue (the milestones page's badge).
            "milestones": [
                (
                    milestone,
                    labels.milestone_badge(milestone.due_on, None, facts.today, grace_days)
                    if milestone.due_on < facts.today
                    else None,
                )
                for milestone in next_milestones(team)
            ],
            "last_progress_on": facts.last_progress_on,
            "scenarios_delivered": facts.scenarios_delivered,
        },
    )


def register() -> None:
    from straxlab.design_teams.team_views import TEAM_PAGE_SECTIONS

    if render not in TEAM_PAGE_SECTIONS:
        TEAM_PAGE_SECTIONS.append(render)
