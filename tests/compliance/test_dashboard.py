"""The managers' compliance dashboard: counts, the team table, trends, charts, filters, and
a bounded number of statements for 5 and for 200 teams.

``bulk_teams`` builds many complete teams with direct inserts (services are far too slow for
200 teams); the report tests and ``benchmarks/compliance_report.py`` use it too.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from straxlab.compliance import labels, services
from straxlab.compliance.assessment import assess_teams
from straxlab.compliance.rules import Severity
from straxlab.core import clock
from straxlab.design_teams.models import (
    DesignTeam,
)
from straxlab.extensions import db
from tests.compliance.bulk import bulk_teams
from tests.equipment.test_desk_queries import count_statements
from tests.factories import make_programme, make_team, make_user, next_lab_day

AMS = ZoneInfo("Europe/Amsterdam")
SVG = "{http://www.w3.org/2000/svg}"


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """An instant on the lab's wall clock."""
    return datetime(year, month, day, hour, minute, tzinfo=AMS).astimezone(UTC)


# Wednesday 18 November 2026, ISO week 47.
NOW = at(2026, 11, 18, 10)


def page(response: Any) -> str:
    return response.get_data(as_text=True)


def squash(body: str) -> str:
    """The page's text without tags and phone-only cell labels, white space collapsed."""
    body = re.sub(r'<span class="cell-label"[^>]*>[^<]*</span>', " ", body)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def login(auth: Any, role: str = "manager") -> Any:
    return auth.login_as(role, locale="en")


# --- access -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["teacher", "staff"])
def test_only_managers_open_the_dashboard(client, auth, role):
    login(auth, role)
    assert client.get("/compliance").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/compliance")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# --- what the page shows ----------------------------------------------------------------


@pytest.fixture
def three_teams(app):
    """Made through the services on 18 Nov 2026: a green, an amber and a red team."""
    with app.app_context(), clock.frozen(NOW):
        staff = make_user(role="staff")
        anna = make_user(name="Anna Aarts", locale="en")
        green = make_team(anna, [make_user()], name="Green <team> & co")
        amber = make_team(make_user(name="Bram Bos"), [make_user()], name="Amber team")
        amber.department = "Techniek"
        make_programme(amber, first_day=next_lab_day(7), approve_by=staff)
        red = make_team(make_user(name="Cas Claes"), name="Red team")
        db.session.commit()
        return {"green": green.id, "amber": amber.id, "red": red.id}


def test_the_dashboard_shows_each_team_with_status_reasons_and_link(client, auth, three_teams):
    login(auth)
    with clock.frozen(NOW):
        body = page(client.get("/compliance"))
    text = squash(body)
    assert "1 On track 1 Needs attention 1 Not on track 3 teams in total" in text
    assert f'href="/teams/{three_teams["red"]}"' in body
    # Names are escaped, never markup.
    assert "Green &lt;team&gt; &amp; co" in body and "<team>" not in body
    assert (
        "Red team Zorg en Welzijn ✕ Not on track Not on track: "
        "The team has 1 active member(s); at least 2 are needed. "
        "– no design days held yet No plan yet" in text
    )
    assert (
        "Green &lt;team&gt; &amp; co Zorg en Welzijn ✓ On track All rules met "
        "– no design days held yet No plan yet" in text
    )
    amber_row = text[text.index("Amber team Techniek") :]
    assert amber_row.startswith(
        "Amber team Techniek ! Needs attention Needs attention: The plan is not approved yet"
    )
    assert "The plan has no milestones" in amber_row.split("Green")[0]


def test_reasons_are_worst_first_and_match_assess_teams(app, client, auth):
    with app.app_context():
        ids = bulk_teams(12, now=NOW)
    login(auth)
    with clock.frozen(NOW):
        body = page(client.get("/compliance"))
    with app.app_context(), app.test_request_context(), force_locale("en"):
        chosen = list(db.session.scalars(sa.select(DesignTeam).where(DesignTeam.id.in_(ids))))
        assessed = assess_teams(chosen, on=NOW.astimezone(AMS).date(), now=NOW)
        assert {item.status for item in assessed} == set(Severity)
        for item in assessed:
            row = body[body.index(f'href="/teams/{item.team.id}"') :].split("</tr>")[0]
            assert str(labels.SEVERITY_LABELS[item.status]) in row
            percent = item.attendance_percent
            assert (f"{percent}%" if percent is not None else "–") in squash(row)
            reasons = [labels.explain(f) for f in item.problems]
            positions = [row.index(str(db_escape(reason))) for reason in reasons]
            assert positions == sorted(positions)
            if item.status is Severity.RED:
                first = item.problems[0]
                assert first.severity is Severity.RED
            if not reasons:
                assert "All rules met" in row


def db_escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def test_the_filters_narrow_the_table_and_odd_values_are_errors_not_crashes(app, client, auth):
    with app.app_context():
        bulk_teams(9, now=NOW)
    login(auth)
    with clock.frozen(NOW):
        techniek = squash(page(client.get("/compliance?department=Techniek")))
        red = page(client.get("/compliance?status=red"))
        odd = client.get("/compliance?department=Nowhere&status=purple")
        both = squash(page(client.get("/compliance?department=Techniek&status=green")))
    assert "3 teams, by name" in techniek
    assert "Zorg en Welzijn" not in techniek.split("3 teams, by name")[1].split("Charts")[0]
    red_rows = re.findall(r'class="compliance-row compliance-row--(\w+)"', red)
    assert red_rows and set(red_rows) == {"red"}
    assert odd.status_code == 200
    odd_body = page(odd)
    assert odd_body.count("Not a valid choice.") == 2
    assert "9 teams, by name" in squash(odd_body)
    assert "9 teams in total" in squash(odd_body)
    # Counts describe the department; the table the department and the status.
    assert "3 teams in total" in both


def test_empty_states(app, client, auth):
    login(auth)
    with clock.frozen(NOW):
        body = squash(page(client.get("/compliance")))
    assert "No teams yet." in body
    with app.app_context(), clock.frozen(NOW):
        make_team(make_user(), [make_user()], name="Fresh team")
        db.session.commit()
    with clock.frozen(NOW):
        body = page(client.get("/compliance"))
    assert (
        "No snapshots yet: every team's status is stored once a week, and the first "
        "appears after the next weekly run." in body
    )
    with clock.frozen(NOW):
        body = squash(page(client.get("/compliance?status=red")))
    assert "No team matches these filters." in body


def test_the_trend_shows_the_last_eight_weekly_snapshots_in_squares_and_words(app, client, auth):
    with app.app_context(), clock.frozen(at(2026, 10, 1)):
        red = make_team(make_user(), name="Lonely team").id
        db.session.commit()
    # Snapshots in weeks 44 and 46, through the service; week 45 was missed.
    with app.app_context():
        for moment in (at(2026, 10, 26, 7), at(2026, 11, 9, 7)):
            with clock.frozen(moment):
                assert services.take_snapshots(moment) == 1
        db.session.commit()
    login(auth)
    with clock.frozen(NOW):
        body = page(client.get("/compliance"))
    row = body[body.index(f'href="/teams/{red}"') :].split("</tr>")[0]
    svg = row[row.index("<svg") : row.index("</svg>") + 6]
    tree = ET.fromstring(svg)  # noqa: S314 (the app's own SVG)
    titles = [element.text for element in tree.iter(f"{SVG}title")]
    assert titles == [
        "Week 40: no snapshot",
        "Week 41: no snapshot",
        "Week 42: no snapshot",
        "Week 43: no snapshot",
        "Week 44: Not on track",
        "Week 45: no snapshot",
        "Week 46: Not on track",
        "Week 47: no snapshot",
    ]
    assert tree.get("aria-hidden") == "true"
    kinds = [r.get("class") for r in tree.iter(f"{SVG}rect")]
    assert kinds[4] == "trend-square trend-square--red"
    assert kinds[5] == "trend-square trend-square--none"
    # The same in words for screen readers.
    assert "Week 44: Not on track; Week 45: no snapshot; Week 46: Not on track" in row


def _svgs(body: str) -> list[ET.Element]:
    found = re.findall(r"<svg.*?</svg>", body, flags=re.S)
    return [ET.fromstring(svg) for svg in found]  # noqa: S314 (the app's own SVG)


def test_the_charts_are_accessible_svg_with_data_tables(app, client, auth):
    with app.app_context():
        bulk_teams(6, now=NOW)
    login(auth)
    with clock.frozen(NOW):
        body = page(client.get("/compliance"))
    charts = {svg.get("id"): svg for svg in _svgs(body) if svg.get("role") == "img"}
    assert set(charts) == {"attendance-chart", "status-chart"}
    for chart_id, svg in charts.items():
        title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
        assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        assert title.text and desc.text
        # The data table follows the chart.
        after = body[body.index(f'id="{chart_id}"') :]
        assert after.index("<details") < after.index("</figure>")
    attendance = charts["attendance-chart"]
    texts = [t.text for t in attendance.iter(f"{SVG}text")]
    assert "Minimum 75%" in texts
    assert len(attendance.findall(f"{SVG}g")) == 6
    weeks = charts["status-chart"]
    assert len([g for g in weeks.iter(f"{SVG}g") if g.get("class") == "chart-week"]) == 12
    assert "Statuses over time as a table" in body
    # The CSP forbids inline styles and scripts: none anywhere on the page.
    assert " style=" not in body and "<style" not in body and "<script" not in body


def test_the_threshold_line_follows_the_setting(app, client, auth):
    from straxlab.core import settings

    with app.app_context():
        bulk_teams(3, now=NOW)
        settings.put("compliance.attendance_percent", "60", actor_id=None, now=NOW)
        db.session.commit()
    login(auth)
    with clock.frozen(NOW):
        body = page(client.get("/compliance"))
    chart = next(svg for svg in _svgs(body) if svg.get("id") == "attendance-chart")
    assert "Minimum 60%" in [t.text for t in chart.iter(f"{SVG}text")]


def test_the_page_links_to_the_reports(client, auth):
    login(auth)
    assert 'href="/compliance/reports"' in page(client.get("/compliance"))


def test_the_dashboard_takes_the_same_number_of_statements_for_5_and_200_teams(app, client, auth):
    login(auth)

    def statements() -> tuple[int, str]:
        with app.app_context(), count_statements() as seen, clock.frozen(NOW):
            response = client.get("/compliance")
            assert response.status_code == 200
        return len(seen), page(response)

    with app.app_context():
        bulk_teams(5, now=NOW, prefix="Few")
    few, body = statements()
    assert "5 teams, by name" in squash(body)
    with app.app_context():
        bulk_teams(195, now=NOW, prefix="Many")
    many, body = statements()
    assert "200 teams, by name" in squash(body)
    assert body.count('class="compliance-row ') == 200
    assert many == few
    assert few <= 20
