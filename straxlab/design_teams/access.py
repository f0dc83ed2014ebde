"""Object-level access for the design-team pages: one rule for every team, programme and day.

Someone who may not read a team gets 404 (its existence stays hidden); a reader who may not
run it (a member, a manager) gets 403.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from straxlab.design_teams import services
from straxlab.design_teams.models import DesignTeam
from straxlab.extensions import db


def require_read(team: DesignTeam) -> None:
    if not services.may_read(team, current_user):
        abort(404)


def require_run(team: DesignTeam) -> None:
    require_read(team)
    if not services.may_run(team, current_user):
        abort(403)


def readable_team(team_id: int) -> DesignTeam:
    """The team, or 404 for someone who may not know it exists."""
    team = db.get_or_404(DesignTeam, team_id)
    require_read(team)
    return team
