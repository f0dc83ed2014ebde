"""Equipment lending end to end in Chromium.

A teacher asks for a drone kit, lab staff approve it, hand it out at the desk by its asset
tag and take it back damaged; the drone goes to maintenance and the teacher sees it all in
the reservation's history. The application's clock is set by the test (the live server runs
in this process), so the scenario works whatever day and hour the test runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, Locator, Page, expect

from straxlab.auth.models import User
from straxlab.core import clock
from straxlab.equipment import services
from straxlab.equipment.models import Asset, Qualification, ReservationItem
from straxlab.extensions import db
from tests.browser.conftest import Account, LabClock, NewContext
from tests.factories import (
    make_category,
    make_kit,
    make_reservation,
    make_type,
    next_desk_morning,
)

MakeAccount = Callable[..., Account]

PILOT = "Drone pilot A1/A3"
DRONE = "DJI Mini 4"
PURPOSE = "Aerial shots of the school garden for the biology project of class 3B."
APPROVAL_NOTE = "Fly over the sports field only."
CONDITION_OUT = "Two propellers slightly scratched."
DAMAGE = "Landed in a tree: one propeller arm is cracked."


def open_desk_morning(app: Flask) -> datetime:
    """10:00 on a weekday at least two days from now (real clock) when the lab is open."""
    with app.app_context():
        for days_ahead in range(2, 60):
            morning = next_desk_morning(days_ahead)
            if not services.closures_between(morning.date(), morning.date()):
                return morning
    pytest.fail("the lab is closed on every weekday of the next two months", pytrace=False)


def build_catalogue(app: Flask, borrower: Account) -> int:
    """Drones need approval and a pilot's certificate; the borrower has one on file.

    Returns the drone type's id.
    """
    with app.app_context():
        drones = make_category("Drones")
        drone = make_type(
            name=DRONE,
            category=drones,
            assets=2,
            needs_approval=True,
            required_qualification=PILOT,
        )
        battery = make_type(name="Drone battery", category=drones, assets=4)
        case = make_type(name="Drone case", category=drones, assets=1)
        make_kit("Dronekit", {drone: 1, battery: 2, case: 1})
        db.session.add(
            Qualification(user_id=borrower.id, kind=PILOT, valid_until=None, checked_at=clock.now())
        )
        db.session.commit()
        return drone.id


def held_tag(app: Flask, type_id: int) -> str:
    """The tag of the one asset of ``type_id`` that a reservation holds."""
    with app.app_context():
        return db.session.scalars(
            sa.select(Asset.tag)
            .join(ReservationItem, ReservationItem.asset_id == Asset.id)
            .where(Asset.equipment_type_id == type_id, ReservationItem.is_active)
        ).one()


def log_in(page: Page, account: Account) -> None:
    """Through the login form, which speaks Dutch until the user chooses otherwise."""
    page.goto("/login")
    page.get_by_label("E-mailadres").fill(account.email)
    page.get_by_label("Wachtwoord").fill(account.password)
    page.get_by_role("button", name="Inloggen", exact=True).click()
    expect(heading(page)).to_have_text(f"Welkom, {account.name}")


def switch_to_english(page: Page, account: Account) -> None:
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(heading(page)).to_have_text(f"Welcome, {account.name}")


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def main_menu(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main menu")


def flash(page: Page) -> Locator:
    return page.get_by_role("status").filter(has=page.locator(".flash"))


def moment(page: Page, legend: str, day: date, wall: str) -> None:
    """Fill a pickup or return moment: a date and a time in the group named ``legend``."""
    group = page.get_by_role("group", name=legend, exact=True)
    group.get_by_label("Date", exact=True).fill(day.isoformat())
    group.get_by_label("Time", exact=True).select_option(wall)


def tab_to(page: Page, target: Locator, *, most: int) -> None:
    """Press Tab until ``target`` has the focus, at most ``most`` times."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    pytest.fail(f"{target} is not reached with {most} presses of Tab", pytrace=False)


def test_drone_kit_from_request_to_damaged_return(
    app: Flask, new_context: NewContext, make_account: MakeAccount, lab_clock: LabClock
) -> None:
    pickup = open_desk_morning(app)
    day = pickup.date()
    # The teacher plans a day ahead (a Sunday when the pickup is on a Monday: that is fine,
    # only the desk keeps office hours).
    lab_clock.set(pickup - timedelta(days=1))
    teacher = make_account(role="teacher", name="Anna de Vries")
    staff = make_account(role="staff", name="Bram Jansen")
    drone_type = build_catalogue(app, teacher)

    # --- The teacher asks for the kit --------------------------------------------------------
    t = new_context().new_page()
    log_in(t, teacher)
    switch_to_english(t, teacher)
    main_menu(t).get_by_role("link", name="Reserve equipment").click()
    expect(heading(t)).to_have_text("Reserve equipment")
    moment(t, "Pickup", day, "10:00")
    moment(t, "Return", day, "16:00")
    t.get_by_role("button", name="Show what is free").click()
    expect(t).to_have_url(re.compile(rf"/equipment\?.*start_date={day.isoformat()}"))
    expect(t.get_by_text("Free from")).to_be_visible()

    kits = t.get_by_role("region", name="Kits")
    dronekit = kits.get_by_role("listitem").filter(
        has=t.get_by_role("heading", name="Dronekit", exact=True)
    )
    expect(dronekit).to_contain_text("1 of 1 free")
    expect(dronekit).to_contain_text("Needs approval")
    expect(dronekit).to_contain_text(f"Requires: {PILOT} (you have this on file)")
    dronekit.get_by_role("link", name="Reserve Dronekit").click()

    expect(heading(t)).to_have_text("Reserve Dronekit")
    # The period chosen in the catalogue comes along.
    pickup_group = t.get_by_role("group", name="Pickup", exact=True)
    expect(pickup_group.get_by_label("Date", exact=True)).to_have_value(day.isoformat())
    expect(pickup_group.get_by_label("Time", exact=True)).to_have_value("10:00")
    expect(
        t.get_by_role("group", name="Return", exact=True).get_by_label("Time", exact=True)
    ).to_have_value("16:00")
    t.get_by_label("What will you use it for?").fill(PURPOSE)
    t.get_by_role("button", name="Reserve", exact=True).click()

    expect(flash(t)).to_contain_text("The request is awaiting approval by lab staff.")
    expect(heading(t)).to_have_text("Dronekit")
    expect(t.get_by_role("region", name="Details")).to_contain_text("Awaiting approval")

    # --- Lab staff approve it, two hours later ------------------------------------------------
    lab_clock.set(pickup - timedelta(days=1) + timedelta(hours=2))
    s = new_context().new_page()
    log_in(s, staff)
    expect(s.get_by_role("navigation", name="Hoofdmenu")).to_contain_text("Uitleenbalie")
    switch_to_english(s, staff)
    main_menu(s).get_by_role("link", name="Approvals").click()
    expect(heading(s)).to_have_text("Approvals")
    request = s.get_by_role("listitem").filter(
        has=s.get_by_role("heading", name="Dronekit", exact=True)
    )
    expect(request).to_contain_text(teacher.name)
    expect(request).to_contain_text(PURPOSE)
    expect(request).to_contain_text("No conflicts")
    request.get_by_label("Note for the teacher (optional)").fill(APPROVAL_NOTE)
    request.get_by_role("button", name="Approve", exact=True).click()
    expect(flash(s)).to_have_text(f"Approved: Dronekit for {teacher.name}.")
    expect(s.get_by_text("No requests are awaiting approval.")).to_be_visible()

    drone_tag = held_tag(app, drone_type)

    # --- Pickup: a quarter of an hour early, found by its tag, with the keyboard only ---------
    lab_clock.set(pickup - timedelta(minutes=15))
    main_menu(s).get_by_role("link", name="Lending desk").click()
    expect(heading(s)).to_have_text("Lending desk")
    s.keyboard.press("Tab")
    expect(s.get_by_role("link", name="Skip to content")).to_be_focused()
    s.keyboard.press("Enter")
    expect(s.locator("main")).to_be_focused()
    tag_field = s.get_by_label("Asset tag", exact=True)
    tab_to(s, tag_field, most=3)
    s.keyboard.type(drone_tag)
    s.keyboard.press("Enter")

    expect(heading(s)).to_have_text(drone_tag)
    expect(s).to_have_url(re.compile(r"/desk/assets/\d+$"))
    expect(s.get_by_role("region", name="Due for pickup")).to_contain_text(teacher.name)
    s.get_by_role("link", name="Check out", exact=True).click()

    expect(heading(s)).to_have_text("Check out: Dronekit")
    # The whole kit goes out together: one drone, two batteries, the case.
    parts = s.get_by_role("table", name="Assets handed out together").get_by_role("row")
    expect(parts).to_have_count(1 + 4)
    s.get_by_label("Condition when handed out").fill(CONDITION_OUT)
    s.get_by_role("button", name="Check out", exact=True).click()

    expect(flash(s)).to_contain_text(f"Handed out to {teacher.name}:")
    expect(flash(s)).to_contain_text(drone_tag)
    expect(heading(s)).to_have_text(drone_tag)
    expect(s.get_by_role("region", name="Out on loan")).to_contain_text(teacher.name)

    # --- Return, in the afternoon: the drone is damaged -------------------------------------
    lab_clock.set(pickup + timedelta(hours=5))
    s.get_by_role("link", name="Take back", exact=True).click()
    expect(heading(s)).to_have_text("Take back: Dronekit")
    returned = s.get_by_role("group", name="Items that have come back")
    expect(returned.get_by_role("checkbox")).to_have_count(4)
    for box in returned.get_by_role("checkbox").all():
        expect(box).to_be_checked()
    damaged = s.get_by_role("group", name="Damaged items")
    damaged.get_by_label(f"{drone_tag} · {DRONE}", exact=True).check()
    s.get_by_label("Damage report", exact=True).fill(DAMAGE)
    s.get_by_role("button", name="Take back", exact=True).click()

    expect(flash(s)).to_contain_text("Everything is back.")
    expect(heading(s)).to_have_text(drone_tag)
    expect(s.get_by_text("In maintenance", exact=True)).to_be_visible()
    expect(s.get_by_role("alert")).to_contain_text("This asset is in maintenance")
    expect(s.get_by_text(f"Condition: {DAMAGE}")).to_be_visible()

    # --- The teacher sees what happened ------------------------------------------------------
    lab_clock.set(pickup + timedelta(hours=5, minutes=10))
    main_menu(t).get_by_role("link", name="My reservations").click()
    expect(heading(t)).to_have_text("My reservations")
    past = t.get_by_role("region", name="Past")
    expect(past.get_by_role("listitem")).to_have_count(1)
    expect(past.get_by_role("listitem")).to_contain_text("Returned")
    past.get_by_role("link", name="Dronekit").click()

    expect(heading(t)).to_have_text("Dronekit")
    expect(t.get_by_role("region", name="Details")).to_contain_text("Returned")
    expect(t.get_by_role("region", name="Details")).to_contain_text(APPROVAL_NOTE)
    history = t.get_by_role("region", name="History").get_by_role("listitem")
    tag, by_staff, by_teacher = re.escape(drone_tag), re.escape(staff.name), re.escape(teacher.name)
    expect(history).to_have_text(
        [
            re.compile(rf"Taken back at the desk: .*{tag}.* \(damaged: {tag}\) \(by {by_staff}\)$"),
            re.compile(rf"Handed out at the desk: .*{tag}.* \(by {by_staff}\)$"),
            re.compile(rf"Approved: {re.escape(APPROVAL_NOTE)} \(by {by_staff}\)$"),
            re.compile(rf"Requested; awaiting approval \(assets .*{tag}.*\) \(by {by_teacher}\)$"),
        ]
    )
    loan = t.get_by_role("table", name="Loan of each asset")
    drone_row = loan.get_by_role("row").filter(
        has=t.get_by_role("rowheader", name=drone_tag, exact=True)
    )
    expect(drone_row).to_contain_text(f"Out: {CONDITION_OUT}")
    expect(drone_row).to_contain_text(DAMAGE)

    # One drone is left to lend out.
    main_menu(t).get_by_role("link", name="Reserve equipment").click()
    drone_entry = t.get_by_role("listitem").filter(
        has=t.get_by_role("heading", name=DRONE, exact=True)
    )
    expect(drone_entry).to_contain_text("1 available")


PHONE = {"width": 375, "height": 800}
# A link pasted into the purpose: one long word that must wrap, not widen the page.
PASTED_LINK = "https://school.example/opdrachten/" + "vlog-over-licht-en-geluid-" * 6 + "klas-3b"


def test_teacher_pages_fit_a_phone(
    app: Flask, browser: Browser, live_server: str, make_account: MakeAccount, lab_clock: LabClock
) -> None:
    """At 375 px no teacher page is wider than the screen; the grid scrolls in its own region."""
    pickup = open_desk_morning(app)
    lab_clock.set(pickup - timedelta(days=1))
    teacher = make_account(role="teacher", name="Anna de Vries")
    staff = make_account(role="staff", name="Bram Jansen")
    with app.app_context():
        camera = make_type(name="Camera" + "X" * 60, assets=3, description=PASTED_LINK)
        reservation = make_reservation(
            db.session.get(User, teacher.id),
            equipment_type=camera,
            starts_at=pickup,
            ends_at=pickup + timedelta(hours=6),
            purpose=f"See {PASTED_LINK}",
        )
        db.session.commit()
        type_id, reservation_id = camera.id, reservation.id
    day = pickup.date().isoformat()
    period = f"start_date={day}&start_time=10:00&end_date={day}&end_time=16:00"
    pages = {
        teacher: [
            "/",
            f"/equipment?{period}",
            f"/equipment/reserve?type={type_id}&{period}",
            "/reservations",
            f"/reservations/{reservation_id}",
            f"/equipment/types/{type_id}",
            f"/equipment/types/{type_id}/availability?week={day}",
        ],
        staff: [f"/reservations/{reservation_id}"],
    }
    for account, paths in pages.items():
        context = browser.new_context(base_url=live_server, locale="en-GB", viewport=PHONE)
        try:
            page = context.new_page()
            log_in(page, account)
            switch_to_english(page, account)
            for path in paths:
                page.goto(path)
                expect(heading(page)).to_be_visible()
                wide = page.evaluate("document.documentElement.scrollWidth")
                assert wide <= PHONE["width"], f"{path} is {wide} px wide on a phone"
                if path.endswith(f"week={day}"):
                    grid = page.get_by_role("region", name=re.compile("Week of"))
                    assert grid.evaluate("e => e.scrollWidth > e.clientWidth"), "grid must scroll"
        finally:
            context.close()
