from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from straxlab.auth.rules import Permission, Role
from straxlab.compliance import assessment, charts, dashboard_queries
from straxlab.core import clock
from straxlab.design_teams import calendar_queries, day_queries, team_queries
from straxlab.design_teams import services as teams
from straxlab.equipment import desk_queries, queries
from straxlab.extensions import db
from straxlab.lab_calendar import settings as lab_settings

# The teacher home lists this many of the user's teams; the team list has them all.
MY_TEAMS = 5

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    now = clock.now()
    context: dict[str, Any] = {}
    if current_user.can(Permission.RESERVE):
        context.update(queries.teacher_home(current_user, now))
    if current_user.can(Permission.LEND):
        context.update(desk_queries.desk_today(now))
    if current_user.role is Role.TEACHER:
        today = teams.today(now)
        context["next_design_day"] = day_queries.next_day(current_user.id, today, now)
        mine = db.session.scalars(team_queries.visible_teams(current_user).limit(MY_TEAMS)).all()
        context["my_teams"] = team_queries.team_rows(mine, today)
        context["my_status"] = {
            item.team.id: item for item in assessment.assess_teams(mine, on=today, now=now)
        }
    if current_user.can(Permission.RECORD_ATTENDANCE):
        context.update(_lab_today(now))
    if current_user.can(Permission.VIEW_COMPLIANCE):
        context.update(_compliance_overview(now))
    return render_template(f"home/{current_user.role.value}.html", now=now, **context)


def _lab_today(now: datetime) -> dict[str, Any]:
    """Staff home: today's teams in the lab against capacity, and programme requests waiting."""
    days = day_queries.days_on(teams.today(now))
    return {
        "lab_days": days,
        "lab_teams": len({design_day.team_id for design_day in days}),
        "lab_capacity": lab_settings.capacity(),
        "waiting_programmes": day_queries.waiting_requests(),
    }


def _compliance_overview(now: datetime) -> dict[str, Any]:
    """Manager home: every team's traffic light with its reasons and trend, worst first (the
    dashboard's figures), and the lab's use this month."""
    data = dashboard_queries.dashboard(now=now)
    # Teams that need a manager's eye first; the dashboard lists them by name.
    data.lines.sort(key=lambda line: (-line.assessment.status.rank, line.team.name.casefold()))
    today = teams.today(now)
    return {
        "overview": data,
        "trend_squares": charts.trend_squares,
        "trend_summary": charts.trend_summary,
        "utilisation": calendar_queries.utilisation(today.replace(day=1)),
        "month_start": today.replace(day=1),
    }
