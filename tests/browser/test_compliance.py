"""A professionalisation plan and the compliance dashboard end to end in Chromium.

A team writes and submits its plan; a manager returns it with a comment; the team sees the
comment, changes the plan and submits it again; the manager approves it. Then the manager
opens the dashboard, sees the one red team (lab days for weeks, no plan, no log) with its
reasons, and downloads the XLSX report, which is read back with openpyxl.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from straxlab.auth.models import User
from straxlab.core import clock
from straxlab.extensions import db
from tests.browser.conftest import Account, LabClock, NewContext
from tests.browser.test_lending import flash, heading, log_in, switch_to_english
from tests.factories import make_programme, make_team, make_user

pytestmark = pytest.mark.browser

AMS = ZoneInfo("Europe/Amsterdam")
# Monday 16 November 2026, 10:00 in the lab.
NOW = datetime(2026, 11, 16, 10, 0, tzinfo=AMS).astimezone(UTC)
PLAN_TEAM = "Podcasts in Nederlands"
LATE_TEAM = "Drones bij bouw en infra"

MakeAccount = Callable[..., Account]


def build_teams(app: Flask, coordinator: Account, member: Account) -> int:
    """The plan team starts its lab days next week; the late team began in September."""
    with app.test_request_context():
        staff = make_user(role="staff", email="labstaff@school.example")
        with clock.frozen(datetime(2026, 9, 14, 10, tzinfo=AMS).astimezone(UTC)):
            late = make_team(make_user(), [make_user()], name=LATE_TEAM)
            make_programme(late, first_day=date(2026, 9, 22), day_count=20, approve_by=staff)
        with clock.frozen(NOW - timedelta(days=3)):
            team = make_team(
                db.session.get(User, coordinator.id),
                [db.session.get(User, member.id)],
                name=PLAN_TEAM,
            )
            make_programme(team, first_day=date(2026, 11, 24), day_count=20, approve_by=staff)
        db.session.commit()
        return team.id


def fill_plan(page: Page, *, goals: str) -> None:
    page.get_by_label("Goals").fill(goals)
    page.get_by_label("Collaboration agreements").fill(
        "Lotte schrijft de scenario's, Emma test ze in klas NT2B."
    )
    page.get_by_label("Intended lesson scenarios").fill("Een podcastles over spreekvaardigheid.")
    page.get_by_label("Kind of activity, row 1").select_option(label="Workshop")
    page.get_by_label("Description, row 1").fill("Workshop audio-opname")
    page.get_by_label("Who, row 1").fill("Lotte en Emma")
    page.get_by_label("Planned hours, row 1").fill("6")
    page.get_by_role("button", name="Save plan").click()
    expect(flash(page)).to_contain_text("Plan saved.")


def test_plan_returned_resubmitted_approved_and_the_dashboard_report(
    app: Flask, new_context: NewContext, make_account: MakeAccount, lab_clock: LabClock
) -> None:
    coordinator = make_account(name="Lotte Jansen")
    member = make_account(name="Emma Hendriks")
    manager = make_account("manager", name="Marieke Bos")
    team_id = build_teams(app, coordinator, member)
    lab_clock.set(NOW)

    # The coordinator writes the plan and submits it.
    team_page = new_context().new_page()
    log_in(team_page, coordinator)
    switch_to_english(team_page, coordinator)
    team_page.goto(f"/teams/{team_id}")
    team_page.get_by_role("link", name="Open the plan").click()
    team_page.get_by_role("link", name="Write the plan").click()
    fill_plan(team_page, goals="Leerlingen maken een eigen podcast.")
    team_page.get_by_role("button", name="Submit plan").click()
    expect(flash(team_page)).to_contain_text("Plan submitted as version 1.")

    # The manager finds it among the plans to review and returns it with a comment.
    desk = new_context().new_page()
    log_in(desk, manager)
    switch_to_english(desk, manager)
    desk.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Plans to review"
    ).click()
    desk.get_by_role("link", name=PLAN_TEAM).first.click()
    desk.get_by_label("Comment for the team").fill("Maak het doel meetbaar: hoeveel podcasts?")
    desk.get_by_role("button", name="Return to team").click()
    expect(flash(desk)).to_contain_text(f"Plan of {PLAN_TEAM} returned to the team")

    # The team reads the comment, makes the goal measurable and submits version 2.
    team_page.goto(f"/teams/{team_id}/plan")
    returned = team_page.locator(".plan-returned")
    expect(returned).to_contain_text("Maak het doel meetbaar: hoeveel podcasts?")
    team_page.get_by_role("link", name="Edit plan").first.click()
    team_page.get_by_label("Goals").fill("Elke leerling maakt twee podcasts van vijf minuten.")
    team_page.get_by_role("button", name="Save plan").click()
    expect(flash(team_page)).to_contain_text("Plan saved.")
    team_page.get_by_role("button", name="Submit plan").click()
    expect(flash(team_page)).to_contain_text("Plan submitted as version 2.")

    # The manager compares nothing by hand: the page shows version 2; approve it.
    desk.goto(f"/teams/{team_id}/plan")
    expect(desk.get_by_role("main")).to_contain_text("Elke leerling maakt twee podcasts")
    desk.get_by_role("button", name="Approve", exact=True).click()
    expect(flash(desk)).to_contain_text(f"Plan of {PLAN_TEAM} approved (version 2).")
    team_page.goto(f"/teams/{team_id}/plan")
    expect(team_page.get_by_role("main")).to_contain_text("Version 1")
    expect(team_page.get_by_role("main")).to_contain_text("Version 2")

    # The dashboard: exactly one team is red, with its reasons in words.
    desk.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Compliance", exact=True
    ).click()
    expect(heading(desk)).to_have_text("Compliance of the design teams")
    red_rows = desk.locator("tbody tr").filter(has=desk.locator(".light--red"))
    expect(red_rows).to_have_count(1)
    expect(red_rows).to_contain_text(LATE_TEAM)
    expect(red_rows).to_contain_text("The plan should have been approved by")
    plan_row = desk.locator("tbody tr").filter(has_text=PLAN_TEAM)
    expect(plan_row.locator(".light--red")).to_have_count(0)

    # The XLSX report for the half-year holds both teams, the late one not on track.
    desk.get_by_role("link", name="Reports (CSV, Excel, print)").click()
    desk.get_by_label("Excel workbook (XLSX)").check()
    with desk.expect_download() as download_info:
        desk.get_by_role("button", name="Make the report").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(download_path_bytes(download)))
    summary = workbook.worksheets[0]
    rows = {row[0]: row for row in summary.iter_rows(min_row=2, values_only=True) if row[0]}
    assert set(rows) == {PLAN_TEAM, LATE_TEAM}
    assert "Not on track" in rows[LATE_TEAM]
    assert "Not on track" not in rows[PLAN_TEAM]


def download_path_bytes(download) -> bytes:
    with open(download.path(), "rb") as handle:
        return handle.read()
