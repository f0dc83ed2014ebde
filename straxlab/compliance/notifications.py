"""Mail to a design team when a manager approves its plan or returns it with a comment.

``compliance.services`` calls this inside the transaction of the decision; one message per
recipient (the coordinator and the members active today, see
``design_teams.notifications.team_recipients``) goes to the outbox in their language, at most
once per dedupe key.
"""

from __future__ import annotations

from datetime import datetime

from straxlab.auth.models import User
from straxlab.compliance.models import PlanVersion, ProfessionalisationPlan
from straxlab.compliance.rules import PlanOutcome
from straxlab.design_teams.notifications import tell_team
from straxlab.mail import services as mail
from straxlab.mail.rules import Notice


def plan_decided(
    plan: ProfessionalisationPlan, version: PlanVersion, *, actor: User, now: datetime
) -> int:
    """Tell the team that ``version`` of its plan was approved or returned, with the
    manager's comment. Keyed by version: a resubmitted plan's next decision mails again."""
    outcome = "approved" if version.outcome is PlanOutcome.APPROVED else "returned"
    return tell_team(
        plan.team,
        Notice.PLAN_DECIDED,
        key=f"plan:{plan.id}:v{version.number}:{outcome}",
        template=f"plan_{outcome}",
        actor=actor,
        now=now,
        version=version,
        comment=version.comment,
        link=mail.external_url("plans.plan", team_id=plan.team.id),
    )
