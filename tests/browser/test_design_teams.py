"""A design team's programme end to end in Chromium.

The coordinator asks for a Tuesday programme and sees the preview skip the autumn holiday
(imported from the holidays package); lab staff approve it; on the first design day a member
checks in through the page the door's QR code opens; staff see the attendance. The app's
clock is set by the test, so the story runs whatever day the suite runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale
from playwright.sync_api import expect

from straxlab.core import clock
from straxlab.design_teams.models import DesignDay
from straxlab.extensions import db
from straxlab.lab_calendar import services as lab_calendar
from tests.browser.conftest import Account, LabClock, NewContext
from tests.browser.test_lending import flash, heading, log_in, switch_to_english
from tests.factories import make_team

pytestmark = pytest.mark.browser

AMS = ZoneInfo("Europe/Amsterdam")
# Monday 28 September 2026, 10:00: the autumn holiday (Midden, 17-25 October) lies ahead.
MONDAY = datetime(2026, 9, 28, 10, 0, tzinfo=AMS).astimezone(UTC)
FIRST_TUESDAY = date(2026, 10, 6)
# The first design day, five minutes after it began.
ON_THE_DAY = datetime(2026, 10, 6, 9, 5, tzinfo=AMS).astimezone(UTC)
TEAM = "Podcasts in Nederlands"

MakeAccount = Callable[..., Account]


def import_autumn_holiday(app: Flask) -> None:
    with app.test_request_context(), force_locale("nl"):
        autumn = [
            row.period
            for row in lab_calendar.holiday_preview(2026, "Midden", "nl")
            if row.period.reason == "Herfstvakantie"
        ]
        assert autumn, "the holidays package knows the autumn holiday of 2026"
        lab_calendar.import_holidays(autumn, actor_id=None, now=clock.now())
        db.session.commit()


def build_team(app: Flask, coordinator: Account, member: Account) -> int:
    from straxlab.auth.models import User

    with app.test_request_context():
        team = make_team(
            db.session.get(User, coordinator.id), [db.session.get(User, member.id)], name=TEAM
        )
        db.session.commit()
        return team.id


def first_design_day(app: Flask, team_id: int) -> int:
    with app.app_context():
        return db.session.scalars(
            sa.select(DesignDay.id).where(DesignDay.team_id == team_id).order_by(DesignDay.day)
        ).first()


def test_tuesday_programme_from_request_to_check_in(
    app: Flask, new_context: NewContext, make_account: MakeAccount, lab_clock: LabClock
) -> None:
    lab_clock.set(MONDAY)
    coordinator = make_account(name="Lotte Jansen")
    member = make_account(name="Emma Hendriks")
    staff = make_account("staff", name="Sanne de Wit")
    import_autumn_holiday(app)
    team_id = build_team(app, coordinator, member)

    # The coordinator asks for four Tuesdays from 6 October and previews the dates first.
    page = new_context().new_page()
    log_in(page, coordinator)
    switch_to_english(page, coordinator)
    page.goto(f"/teams/{team_id}")
    page.get_by_role("link", name="Request lab days").click()
    page.get_by_label("Weekday").select_option(label="Tuesday")
    page.get_by_label("Start time").fill("09:00")
    page.get_by_label("End time").fill("16:00")
    page.get_by_label("First day").fill(FIRST_TUESDAY.isoformat())
    page.get_by_label("Number of lab days").fill("4")
    page.get_by_role("button", name="Show preview").click()
    skipped = page.locator(".programme-skipped")
    expect(skipped).to_contain_text("20 Oct 2026")
    expect(skipped).to_contain_text("skipped: Herfstvakantie")
    expect(page.get_by_text("runs until 3 November 2026")).to_be_visible()
    page.get_by_role("button", name="Send request").click()
    expect(heading(page)).to_contain_text(TEAM)
    programme_url = page.url
    assert re.search(r"/programmes/\d+$", programme_url)

    # Lab staff approve it from the queue.
    desk = new_context().new_page()
    log_in(desk, staff)
    switch_to_english(desk, staff)
    desk.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Programme requests"
    ).click()
    desk.get_by_role("link", name=TEAM).first.click()
    desk.get_by_role("button", name="Approve", exact=True).click()
    expect(flash(desk)).to_contain_text("Approved: 4 design days.")
    for day in ("6 Oct", "13 Oct", "27 Oct", "3 Nov"):
        expect(desk.get_by_role("main")).to_contain_text(day)

    # On the first Tuesday the member scans the door's code: one page, one button.
    lab_clock.set(ON_THE_DAY)
    design_day = first_design_day(app, team_id)
    phone = new_context().new_page()
    phone.set_viewport_size({"width": 375, "height": 740})
    log_in(phone, member)
    switch_to_english(phone, member)
    phone.goto(f"/lab/days/{design_day}/check-in")
    phone.get_by_role("button", name="I'm here — check in").click()
    expect(flash(phone)).to_contain_text("You are checked in at 09:05")

    # Staff see who is there.
    desk.goto(f"/lab/days/{design_day}")
    row = desk.locator(f"#member-{member.id}")
    expect(row).to_contain_text("Present")
    expect(row).to_contain_text("09:05")
    expect(row).to_contain_text("Self check-in")
    expect(desk.locator(f"#member-{coordinator.id}")).to_contain_text("Not recorded")
