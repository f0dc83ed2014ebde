"""The managers' compliance dashboard (blueprint `compliance`)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from straxlab.auth.access import permission_required
from straxlab.auth.rules import Permission
from straxlab.compliance import charts, dashboard_queries
from straxlab.compliance.dashboard_forms import DashboardFilterForm
from straxlab.core import clock

bp = Blueprint("compliance", __name__, url_prefix="/compliance")


@bp.route("")
@permission_required(Permission.VIEW_COMPLIANCE)
def dashboard() -> ResponseReturnValue:
    filters = DashboardFilterForm(request.args)
    filters.offer_departments(dashboard_queries.departments())
    department, status = filters.chosen()
    data = dashboard_queries.dashboard(now=clock.now(), department=department, status=status)
    return render_template(
        "compliance/dashboard.html",
        filters=filters,
        data=data,
        filtered=bool(department or status),
        trend_weeks=dashboard_queries.TREND_WEEKS,
        pattern_defs=charts.pattern_defs(),
        attendance_chart=charts.attendance_chart(
            data.attendance_bars, threshold=data.threshold, chart_id="attendance-chart"
        ),
        status_chart=charts.status_chart(data.weeks, chart_id="status-chart"),
        trend_squares=charts.trend_squares,
        trend_summary=charts.trend_summary,
        status_word=charts.status_word,
        statuses=charts.STATUSES,
    )
