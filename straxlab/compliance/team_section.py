"""The compliance section of the team page: traffic light, findings, plan, log, scenarios."""

from __future__ import annotations

from datetime import datetime

from straxlab.design_teams.models import DesignTeam
from straxlab.design_teams.team_views import PageSection


def render(team: DesignTeam, now: datetime) -> PageSection | None:
    return None


def register() -> None:
    from straxlab.design_teams.team_views import TEAM_PAGE_SECTIONS

    if render not in TEAM_PAGE_SECTIONS:
        TEAM_PAGE_SECTIONS.append(render)
