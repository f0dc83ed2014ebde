"""Compliance reports for a period and department: CSV, XLSX, printable (blueprint `reports`).

Making a report is a POST: every report a manager takes away is written to the audit trail,
and a GET never changes anything.
"""

from __future__ import annotations

import io

from flask import Blueprint, render_template, send_file
from flask.typing import ResponseReturnValue
from flask_login import current_user

from straxlab.auth.access import permission_required
from straxlab.auth.rules import Permission
from straxlab.compliance import charts, dashboard_queries, reports
from straxlab.compliance.assessment import status_counts
from straxlab.compliance.dashboard_forms import ReportForm, half_year
from straxlab.core import clock
from straxlab.design_teams import services as teams
from straxlab.extensions import db

bp = Blueprint("reports", __name__, url_prefix="/compliance/reports")


def print_page(report: reports.Report) -> str:
    """The printable report: one section per team, each on a page of its own."""
    return render_template(
        "compliance/report_print.html",
        report=report,
        counts=status_counts(row.assessment for row in report.rows),
        statuses=charts.STATUSES,
    )


@bp.route("", methods=["GET", "POST"])
@permission_required(Permission.VIEW_COMPLIANCE)
def index() -> ResponseReturnValue:
    now = clock.now()
    form = ReportForm()
    form.offer_departments(dashboard_queries.departments())
    if not form.is_submitted():
        form.start.data, form.end.data = half_year(teams.today(now))
    if form.validate_on_submit():
        report = reports.build_report(
            form.start.data, form.end.data, form.department.data or "", now
        )
        kind = form.format.data
        reports.record_download(report, format=kind, actor_id=current_user.id, now=now)
        if kind == "print":
            page = print_page(report)
            db.session.commit()
            return page
        if kind == "csv":
            body = reports.to_csv(report, form.separator_character)
            mimetype = reports.CSV_TYPE
        else:
            body = reports.to_xlsx(report)
            mimetype = reports.XLSX_TYPE
        db.session.commit()
        return send_file(
            io.BytesIO(body),
            mimetype=mimetype,
            as_attachment=True,
            download_name=reports.filename(report, kind),
            max_age=0,
        )
    return render_template("compliance/report_form.html", form=form)
