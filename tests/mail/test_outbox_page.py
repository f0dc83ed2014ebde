"""The outbox page for lab staff and managers: read-only, bounded, in words."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from straxlab.admin.outbox_views import LIST_LIMIT
from straxlab.core import clock
from straxlab.extensions import db
from straxlab.mail import rules
from tests.mail.outbox import NOW, add_message


def _page(client) -> str:
    with clock.frozen(NOW):
        response = client.get("/admin/outbox")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_outbox_lists_waiting_given_up_and_recent_mail(app, client, auth):
    auth.login_as("staff", locale="en")
    with app.app_context():
        add_message(to_address="wacht@school.example", subject="Nog niet verstuurd")
        add_message(
            to_address="opnieuw@school.example",
            cc="balie@school.example",
            subject="Tweede poging",
            kind="overdue",
            attempts=2,
            last_error="ConnectionRefusedError: [Errno 111] Connection refused",
            send_after=NOW + timedelta(minutes=2),
        )
        add_message(
            to_address="kapot@school.example",
            subject="Opgegeven bericht",
            attempts=rules.MAX_ATTEMPTS,
            last_error="SMTPRecipientsRefused: 550 No such mailbox",
            failed_at=NOW - timedelta(hours=1),
        )
        add_message(
            to_address="klaar@school.example",
            subject="Gisteren verstuurd",
            kind="security",
            attempts=1,
            sent_at=NOW - timedelta(days=1),
        )
        add_message(subject="Lang geleden verstuurd", attempts=1, sent_at=NOW - timedelta(days=30))
        db.session.commit()
    page = _page(client)
    assert "Waiting to be sent (2)" in page
    assert "Given up (1)" in page
    assert "Sent in the last seven days (1)" in page
    waiting, failed, sent = (
        page.split('id="waiting-heading"')[1].split('id="failed-heading"')[0],
        page.split('id="failed-heading"')[1].split('id="sent-heading"')[0],
        page.split('id="sent-heading"')[1],
    )
    assert "Nog niet verstuurd" in waiting and "Tweede poging" in waiting
    assert "Cc: balie@school.example" in waiting
    assert "Overdue equipment" in waiting and "Retrying" in waiting and "Queued" in waiting
    assert "ConnectionRefusedError: [Errno 111] Connection refused" in waiting
    assert "Opgegeven bericht" in failed and "SMTPRecipientsRefused" in failed
    assert "Not delivered" in failed
    assert "Gisteren verstuurd" in sent and "Security (password reset)" in sent
    assert "Lang geleden verstuurd" not in page
    # Subjects and addresses only: the bodies (reset links!) are never shown.
    assert "Geëerde collega" not in page


def test_an_empty_outbox_says_so(client, auth):
    auth.login_as("manager", locale="en")
    page = _page(client)
    assert "Nothing is waiting: every message has been sent." in page
    assert "No message has been given up." in page
    assert "No messages were sent in the last seven days." in page


def test_long_lists_are_cut_and_say_so(app, client, auth):
    auth.login_as("staff", locale="en")
    with app.app_context():
        for _ in range(LIST_LIMIT + 3):
            add_message()
        db.session.commit()
    page = _page(client)
    assert f"Waiting to be sent ({LIST_LIMIT + 3})" in page
    assert f"Showing {LIST_LIMIT} of {LIST_LIMIT + 3}." in page
    waiting = page.split('id="waiting-heading"')[1].split('id="failed-heading"')[0]
    assert waiting.count("<tr>") == LIST_LIMIT + 1  # and the header row


def test_the_page_runs_a_fixed_number_of_statements(app, client, auth):
    auth.login_as("staff", locale="en")

    with app.app_context():
        engine = db.engine

    def count() -> int:
        seen: list[str] = []

        def listener(conn, cursor, statement, *rest):
            seen.append(statement)

        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            _page(client)
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        return len([s for s in seen if "outbox_message" in s])

    with app.app_context():
        add_message()
        db.session.commit()
    few = count()
    with app.app_context():
        for n in range(20):
            add_message(attempts=1, sent_at=NOW - timedelta(hours=n))
            add_message(attempts=rules.MAX_ATTEMPTS, failed_at=NOW - timedelta(hours=n))
        db.session.commit()
    assert count() == few == 4


def test_staff_and_managers_read_the_outbox():
    from straxlab.admin.outbox_views import READERS
    from straxlab.auth.rules import Role, has_permission

    may_read = {
        role for role in Role if any(has_permission(role, permission) for permission in READERS)
    }
    assert may_read == {Role.STAFF, Role.MANAGER}


def test_the_settings_page_leads_staff_and_managers_to_the_outbox(client, auth):
    auth.login_as("manager", locale="en")
    page = client.get("/admin/settings").get_data(as_text=True)
    assert '<a href="/admin/outbox">Outbox: mail waiting to be sent or given up</a>' in page
