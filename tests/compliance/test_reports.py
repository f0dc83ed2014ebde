"""Compliance reports: the form, CSV, XLSX and the printable page, read back and compared
with the dashboard and ``assess_teams``; audit records; validation; bounded statements."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from straxlab.compliance.assessment import assess_teams
from straxlab.compliance.rules import Severity
from straxlab.core import clock
from straxlab.core.audit import AuditEvent
from straxlab.design_teams.models import DesignTeam
from straxlab.extensions import db
from tests.compliance.bulk import bulk_teams
from tests.compliance.test_dashboard import AMS, NOW, login, page, squash
from tests.equipment.test_desk_queries import count_statements
from tests.factories import make_team, make_user

# The autumn half-year 2026-2027: NOW (18 Nov 2026) lies in it.
PERIOD = {"start": "2026-08-01", "end": "2027-01-31"}
TODAY = NOW.astimezone(AMS).date()


def post_report(client: Any, **fields: str) -> Any:
    data = {**PERIOD, "format": "csv", "separator": "comma", **fields}
    with clock.frozen(NOW):
        return client.post("/compliance/reports", data=data)


def read_csv(response: Any, separator: str = ",") -> list[dict[str, str]]:
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf"), "no byte order mark"
    text = raw.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=separator))


def read_xlsx(response: Any) -> Any:
    return openpyxl.load_workbook(io.BytesIO(response.get_data()))


def events() -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "report.downloaded")
            .order_by(AuditEvent.id)
        )
    )


@pytest.fixture
def teams(app) -> list[int]:
    """Nine bulk teams (green, amber and red), a team without design days, and one of
    another department."""
    with app.app_context():
        ids = bulk_teams(9, now=NOW)
        with clock.frozen(NOW):
            make_team(make_user(), [make_user()], name="No lab days team")
        db.session.commit()
    return ids


def dashboard_rows(client: Any) -> dict[str, tuple[str, str]]:
    """Per team name on the dashboard: its status word and its attendance cell."""
    with clock.frozen(NOW):
        body = page(client.get("/compliance"))
    rows = {}
    for row in re.findall(r'<tr class="compliance-row.*?</tr>', body, flags=re.S):
        cells = re.findall(r"<td.*?</td>", row, flags=re.S)
        name = squash(cells[0])
        # The traffic light's symbol is for the eye only (aria-hidden); compare the word.
        status = re.sub(r'<span class="light__symbol"[^>]*>[^<]*</span>', "", cells[2])
        rows[name] = (squash(status), squash(cells[4]))
    return rows


# --- access and the form ----------------------------------------------------------------


@pytest.mark.parametrize("role", ["teacher", "staff"])
def test_only_managers_make_reports(client, auth, role):
    login(auth, role)
    assert client.get("/compliance/reports").status_code == 403
    assert post_report(client).status_code == 403


def test_the_form_offers_the_current_half_year_and_the_departments(client, auth, teams):
    login(auth)
    with clock.frozen(NOW):
        body = page(client.get("/compliance/reports"))
    assert 'value="2026-08-01"' in body and 'value="2027-01-31"' in body
    for department in ("All departments", "Economie", "Techniek", "Zorg en Welzijn"):
        assert f">{department}</option>" in body
    with clock.frozen(datetime(2027, 3, 1, 12, tzinfo=AMS)):
        body = page(client.get("/compliance/reports"))
    assert 'value="2027-02-01"' in body and 'value="2027-07-31"' in body


# --- CSV --------------------------------------------------------------------------------


def test_the_csv_has_a_bom_one_row_per_team_and_the_dashboards_numbers(app, client, auth, teams):
    login(auth)
    response = post_report(client, separator="comma")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=compliance-2026-08-01-2027-01-31.csv"
    )
    rows = read_csv(response, ",")
    # The team without design days is not in the report.
    assert [row["Team"] for row in rows] == [f"Bulk team {n:04d}" for n in range(9)]
    assert list(rows[0]) == [
        "Team",
        "Department",
        "Coordinator",
        "Status",
        "Active members",
        "Attendance (%)",
        "Plan status",
        "Milestones done",
        "Milestones in total",
        "Milestones overdue",
        "Last progress entry",
        "Design days held in the period",
        "Progress entries in the period",
        "Milestones done in the period",
        "Lesson scenarios delivered in the period",
        "Reasons",
    ]
    shown = dashboard_rows(client)
    for row in rows:
        status, attendance = shown[row["Team"]]
        assert row["Status"] == status
        assert f"{row['Attendance (%)']}%" == attendance
    first = rows[0]
    assert first["Coordinator"] == "Bulk 0 member 0"
    assert first["Active members"] == "3"
    assert first["Plan status"] == "Approved"
    assert (first["Milestones done"], first["Milestones in total"]) == ("1", "2")
    assert first["Milestones overdue"] == "1"
    assert first["Last progress entry"] == TODAY.isoformat()
    assert first["Reasons"].startswith("Milestone “Lesson scenario written” is 20 days overdue")
    healthy = next(row for row in rows if row["Status"] == "On track")
    assert healthy["Reasons"] == "All rules met"


def test_the_semicolon_separator_for_dutch_excel(client, auth, teams):
    login(auth)
    response = post_report(client, separator="semicolon")
    text = response.get_data().decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Team;Department;Coordinator;Status;")
    rows = read_csv(response, ";")
    assert len(rows) == 9 and rows[0]["Team"] == "Bulk team 0000"


def test_text_a_spreadsheet_would_run_is_kept_as_text(app, client, auth):
    with app.app_context():
        ids = bulk_teams(1, now=NOW)
        db.session.get(DesignTeam, ids[0]).name = "=HYPERLINK(1)"
        db.session.commit()
    login(auth)
    assert read_csv(post_report(client))[0]["Team"] == "'=HYPERLINK(1)"
    sheet = read_xlsx(post_report(client, format="xlsx"))["Summary"]
    assert sheet["A2"].value == "=HYPERLINK(1)"
    assert sheet["A2"].data_type == "s"


# --- XLSX -------------------------------------------------------------------------------


def test_the_workbook_has_three_sheets_frozen_headers_real_dates_and_assess_teams_numbers(
    app, client, auth, teams
):
    login(auth)
    response = post_report(client, format="xlsx")
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=compliance-2026-08-01-2027-01-31.xlsx"
    )
    book = read_xlsx(response)
    assert book.sheetnames == ["Summary", "Findings", "Attendance"]
    summary, findings, attendance = (book[name] for name in book.sheetnames)
    for sheet in (summary, findings, attendance):
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.bold for cell in sheet[1])
        assert all(sheet.column_dimensions[c.column_letter].width >= 8 for c in sheet[1])
    header = [cell.value for cell in summary[1]]
    assert header[:4] == ["Team", "Department", "Coordinator", "Status"]
    lines = [[cell.value for cell in row] for row in summary.iter_rows(min_row=2)]
    assert [line[0] for line in lines] == [f"Bulk team {n:04d}" for n in range(9)]
    last_entry = summary.cell(row=2, column=header.index("Last progress entry") + 1)
    assert last_entry.is_date and last_entry.value.date() == TODAY
    assert [cell.value for cell in findings[1]] == [
        "Team",
        "Rule",
        "Status",
        "Explanation",
        "What the team can do",
    ]
    assert [cell.value for cell in attendance[1]] == [
        "Team",
        "Member",
        "Design days held",
        "Present",
        "Attendance (%)",
    ]
    with app.app_context(), app.test_request_context(), force_locale("en"):
        chosen = list(
            db.session.scalars(sa.select(DesignTeam).where(DesignTeam.name.like("Bulk team %")))
        )
        assessed = sorted(assess_teams(chosen, on=TODAY, now=NOW), key=lambda item: item.team.name)
    percent = header.index("Attendance (%)")
    assert [line[percent] for line in lines] == [item.attendance_percent for item in assessed]
    assert all(isinstance(line[percent], int) for line in lines)
    expected = [
        [item.team.name, member.name, member.held, member.present, member.percent]
        for item in assessed
        for member in item.attendance
    ]
    assert [[c.value for c in row] for row in attendance.iter_rows(min_row=2)] == expected
    assert findings.max_row - 1 == sum(len(item.findings) for item in assessed)
    red = [
        row for row in findings.iter_rows(min_row=2, values_only=True) if row[2] == "Not on track"
    ]
    assert red and all(row[4] for row in red), "every red finding says what to do"


# --- the printable page -----------------------------------------------------------------


def test_the_printable_page_lists_every_team_with_findings_and_attendance(app, client, auth, teams):
    login(auth)
    response = post_report(client, format="print")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    body = page(response)
    text = squash(body)
    assert body.count('<section class="report-team"') == 9
    for n in range(9):
        assert f"Bulk team {n:04d}" in body
    assert "No lab days team" not in body
    assert "Period 1 Aug 2026 – 31 Jan 2027" in text
    assert "Assessed on 18 Nov 2026" in text
    assert "Bulk 3 member 2 3 1 33%" in text
    assert "What the team can do: Talk with Bulk 3 member 2 about the lab days" in text
    assert " style=" not in body and "<script" not in body


def test_a_past_period_is_assessed_as_of_its_last_day(app, client, auth, teams):
    login(auth)
    body = squash(page(post_report(client, format="print", start="2026-10-01", end="2026-11-10")))
    assert "Assessed on 10 Nov 2026" in body
    with app.app_context(), app.test_request_context(), force_locale("en"):
        team = db.session.scalar(sa.select(DesignTeam).where(DesignTeam.name == "Bulk team 0003"))
        (item,) = assess_teams([team], on=date(2026, 11, 10), now=NOW)
    low = next(member for member in item.attendance if member.percent != 100)
    assert f"{low.name} {low.held} {low.present} {low.percent}%" in body


def test_the_period_figures_count_only_what_happened_in_the_period(client, auth, teams):
    login(auth)
    rows = read_csv(post_report(client, start="2026-11-01", end="2026-11-30"))
    by_name = {row["Team"]: row for row in rows}
    # Team 0 meets on Mondays from 26 Oct: 2, 9 and 16 Nov were held by 18 Nov.
    zero = by_name["Bulk team 0000"]
    assert zero["Design days held in the period"] == "3"
    assert zero["Progress entries in the period"] == "2"  # 18 Nov and 4 Nov
    assert zero["Milestones done in the period"] == "1"  # 8 Nov
    assert zero["Lesson scenarios delivered in the period"] == "1"  # 15 Nov, in a course
    # Team 4 meets on Fridays from 30 Oct; 6 Nov was cancelled, 13 Nov held.
    four = by_name["Bulk team 0004"]
    assert four["Design days held in the period"] == "1"
    # Team 1: entries on 11 Nov and 28 Oct; its scenario has no course.
    one = by_name["Bulk team 0001"]
    assert one["Progress entries in the period"] == "1"
    assert one["Lesson scenarios delivered in the period"] == "0"


def test_the_department_filter(client, auth, teams):
    login(auth)
    response = post_report(client, department="Techniek")
    rows = read_csv(response)
    assert [row["Team"] for row in rows] == ["Bulk team 0001", "Bulk team 0004", "Bulk team 0007"]
    assert {row["Department"] for row in rows} == {"Techniek"}
    assert (
        "filename=compliance-techniek-2026-08-01-2027-01-31.csv"
        in (response.headers["Content-Disposition"])
    )


def test_a_period_without_design_days_gives_an_empty_report(client, auth, teams):
    login(auth)
    assert read_csv(post_report(client, start="2025-01-01", end="2025-06-30")) == []
    book = read_xlsx(post_report(client, format="xlsx", start="2025-01-01", end="2025-06-30"))
    assert book["Summary"].max_row == 1
    body = squash(page(post_report(client, format="print", start="2025-01-01", end="2025-06-30")))
    assert "No team had design days in this period." in body


# --- the audit trail --------------------------------------------------------------------


def test_every_download_is_recorded(app, client, auth, teams):
    manager = login(auth)
    for kind in ("csv", "xlsx", "print"):
        assert post_report(client, format=kind, department="Economie").status_code == 200
    with app.app_context():
        recorded = events()
        assert [event.details["format"] for event in recorded] == ["csv", "xlsx", "print"]
        for event in recorded:
            assert event.actor_id == manager.id
            assert (event.object_type, event.object_id) == ("report", None)
            assert event.at == NOW
            assert event.details["period_start"] == "2026-08-01"
            assert event.details["period_end"] == "2027-01-31"
            assert event.details["department"] == "Economie"
            assert event.details["teams"] == 3


def test_opening_the_form_records_nothing(app, client, auth):
    login(auth)
    client.get("/compliance/reports")
    with app.app_context():
        assert events() == []


# --- validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message", "kept"),
    [
        (
            {"start": "2027-01-31", "end": "2026-08-01"},
            "The last day cannot be before the first day.",
            ['value="2027-01-31"', 'value="2026-08-01"'],
        ),
        (
            {"start": "2026-13-45", "end": "not a date"},
            "Not a valid date value.",
            ['value="2026-13-45"', 'value="not a date"'],
        ),
        (
            {"start": "2024-01-01", "end": "2026-06-30"},
            "A report covers at most two years.",
            ['value="2024-01-01"', 'value="2026-06-30"'],
        ),
        (
            {"format": "pdf", "separator": "comma"},
            "Not a valid choice.",
            ['value="2026-08-01"', 'value="2027-01-31"', r'checked[^>]*value="comma"'],
        ),
        ({"department": "Nowhere"}, "Not a valid choice.", ['value="2026-08-01"']),
        ({"start": "1900-01-01"}, "Choose a date in the years 2000 to 2100.", []),
    ],
)
def test_errors_show_on_the_form_with_the_values_kept(
    app, client, auth, teams, fields, message, kept
):
    login(auth)
    response = post_report(client, **fields)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    body = page(response)
    assert message in body
    assert "<title>Error:" in body
    for value in kept:
        assert re.search(value, body)
    with app.app_context():
        assert events() == []


def test_an_empty_form_asks_for_the_dates_and_a_format(client, auth):
    login(auth)
    with clock.frozen(NOW):
        body = page(client.post("/compliance/reports", data={}))
    assert "Enter the first day of the period." in body
    assert "Enter the last day of the period." in body
    assert "Choose a format." in body


# --- bounded statements -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "xlsx", "print"])
def test_each_report_takes_the_same_number_of_statements_for_5_and_200_teams(
    app, client, auth, kind
):
    login(auth)
    token = client.csrf_token()

    def statements() -> tuple[int, Any]:
        data = {**PERIOD, "format": kind, "separator": "comma", "csrf_token": token}
        with app.app_context(), count_statements() as seen, clock.frozen(NOW):
            response = client.post("/compliance/reports", data=data, csrf=False)
            assert response.status_code == 200
        return len(seen), response

    with app.app_context():
        bulk_teams(5, now=NOW, prefix="Few")
    few, response = statements()
    with app.app_context():
        bulk_teams(195, now=NOW, prefix="Many")
    many, response = statements()
    if kind == "csv":
        assert len(read_csv(response)) == 200
    elif kind == "xlsx":
        assert read_xlsx(response)["Summary"].max_row == 201
    else:
        assert page(response).count('<section class="report-team"') == 200
    assert many == few
    assert few <= 25
    with app.app_context():
        assert len(events()) == 2


def test_statuses_cover_all_three_colours(app, teams):
    """The bulk data the report tests read holds green, amber and red teams."""
    with app.app_context(), app.test_request_context(), force_locale("en"):
        chosen = list(db.session.scalars(sa.select(DesignTeam)))
        assert {item.status for item in assess_teams(chosen, on=TODAY, now=NOW)} == set(Severity)
