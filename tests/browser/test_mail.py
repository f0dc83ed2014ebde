"""Mail end to end: a password-reset link and a pickup reminder travel through a real SMTP
server on loopback (aiosmtpd), and the links in them are followed in Chromium."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from straxlab.core import clock
from straxlab.extensions import db
from straxlab.jobs import lending
from straxlab.mail.sender import deliver
from tests.browser.test_accounts import expect_home, log_in
from tests.factories import make_reservation, make_type, next_desk_morning

NEW_PASSWORD = "Vlogs-monteren-op-dinsdag"
LINK = re.compile(r"https?://\S+")


def _path_of_link(message: EmailMessage, kind: str) -> str:
    """The path of the first link in the plain-text part that contains ``kind``."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    [url] = [url for url in LINK.findall(text) if kind in url][:1]
    html = message.get_body(preferencelist=("html",)).get_content()
    assert url in html, "the HTML part links to the same page"
    return urlsplit(url).path


def _send_outbox(app) -> int:
    with app.app_context():
        return deliver(clock.now())


def test_a_forgotten_password_is_reset_through_the_mailed_link(
    app, page: Page, new_context, make_account, smtp_server
):
    account = make_account("teacher")
    app.config.update(smtp_server.mail_config())

    page.goto("/login")
    page.get_by_role("link", name="Wachtwoord vergeten?").click()
    page.get_by_label("E-mailadres").fill(account.email)
    page.get_by_role("button", name="Stuur me een link").click()
    expect(page.locator("p.notice[role=status]")).to_contain_text("die werkt één uur")
    assert _send_outbox(app) == 1

    [message] = smtp_server.wait_for(1)
    assert message["To"] == account.email
    path = _path_of_link(message, "/password/reset/")
    page.goto(path)
    page.get_by_label("Nieuw wachtwoord").fill(NEW_PASSWORD)
    page.get_by_label("Herhaal het nieuwe wachtwoord").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Nieuw wachtwoord opslaan").click()
    expect(page).to_have_url(re.compile(r"/login$"))

    log_in(page, account.email, NEW_PASSWORD)
    expect_home(page, account)

    # The link works once: a second visit (another browser) is told so.
    other = new_context().new_page()
    other.goto(path)
    expect(other.get_by_role("heading", level=1)).to_have_text("Deze link werkt niet meer")
    assert _send_outbox(app) == 0, "nothing is sent twice"


def test_a_pickup_reminder_arrives_and_opens_the_reservation(
    app, page: Page, make_account, lab_clock, smtp_server
):
    account = make_account("teacher", locale="en")
    start = next_desk_morning(days_ahead=3)
    # 15:30 lab time the day before the pickup: the reminder is due.
    the_afternoon_before = (start - timedelta(days=1)).replace(hour=15, minute=30)
    lab_clock.set(the_afternoon_before - timedelta(days=1))
    with app.app_context():
        recorder = make_type(name="Zoom H5 recorder", assets=1)
        from straxlab.auth.models import User

        teacher = db.session.get(User, account.id)
        reservation = make_reservation(
            teacher, starts_at=start, ends_at=start + timedelta(hours=5), equipment_type=recorder
        )
        db.session.commit()
        reservation_id = reservation.id
    app.config.update(smtp_server.mail_config())

    lab_clock.set(the_afternoon_before - timedelta(hours=1))
    with app.app_context():
        assert lending.pickup_reminders(clock.now()) == 0, "not due before 15:00"
    lab_clock.set(the_afternoon_before)
    with app.app_context():
        assert lending.pickup_reminders(clock.now()) == 1
        assert lending.pickup_reminders(clock.now()) == 0, "a second run queues nothing"
    assert _send_outbox(app) == 1

    [message] = smtp_server.wait_for(1)
    assert message["To"] == account.email
    assert "Zoom H5 recorder" in message["Subject"]
    path = _path_of_link(message, f"/reservations/{reservation_id}")
    log_in(page, account.email, account.password)
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Zoom H5 recorder")
