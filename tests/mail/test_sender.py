"""The outbox sender against a real SMTP server on loopback (aiosmtpd, tests/smtp.py)."""

from __future__ import annotations

import logging
import re
import smtplib
import threading
from datetime import timedelta

import pytest

from straxlab.extensions import db
from straxlab.mail import rules, sender
from straxlab.mail.sender import LogTransport, SMTPTransport, send_due, transport_from_config
from tests.mail.outbox import DUTCH_HTML, DUTCH_TEXT, NOW, add_message, add_messages, row, rows
from tests.smtp import SMTPServer, free_port

MAIL_FROM = "STRAX-lab <strax-lab@school.example>"


@pytest.fixture
def mail_app(app, smtp_server):
    """The app pointed at the loopback SMTP server, inside an app context."""
    app.config.update(
        smtp_server.mail_config(MAIL_FROM=MAIL_FROM, BASE_URL="https://strax.school.example")
    )
    with app.app_context():
        yield app
        db.session.rollback()


def _message_ids(server: SMTPServer) -> list[str]:
    return [message["Message-ID"] for message in server.messages]


def test_a_delivered_message_has_its_content_and_headers(mail_app, smtp_server):
    message = add_message(
        to_address="loïs@school.example".replace("ï", "i"),
        cc="balie@school.example, coordinator@school.example",
        subject="Reservering goedgekeurd: café-drone, één week",
    )
    db.session.commit()

    assert send_due(NOW) == 1

    [delivery] = smtp_server.deliveries
    assert delivery.mail_from == "strax-lab@school.example"
    assert sorted(delivery.rcpt_tos) == [
        "balie@school.example",
        "coordinator@school.example",
        "lois@school.example",
    ]
    received = delivery.message
    assert received["Subject"] == "Reservering goedgekeurd: café-drone, één week"
    assert received["From"] == MAIL_FROM
    assert received["To"] == "lois@school.example"
    assert received["Cc"] == "balie@school.example, coordinator@school.example"
    assert received["Auto-Submitted"] == "auto-generated"
    assert received["Date"].datetime == NOW
    assert re.fullmatch(
        rf"<outbox-{message.id}\.[0-9a-f]{{16}}@strax\.school\.example>", received["Message-ID"]
    )
    assert received.get_content_type() == "multipart/alternative"
    plain = received.get_body(preferencelist=("plain",))
    html = received.get_body(preferencelist=("html",))
    assert plain.get_content_charset() == "utf-8" and html.get_content_charset() == "utf-8"
    assert plain.get_content().replace("\r\n", "\n") == DUTCH_TEXT
    assert html.get_content().strip() == DUTCH_HTML
    assert "Geëerde" in plain.get_content() and "Loïs" in html.get_content()
    # Non-ASCII travels encoded: the raw message is 7-bit.
    assert delivery.raw.isascii()

    sent = row(message.id)
    assert sent.sent_at == NOW
    assert sent.attempts == 1
    assert sent.claimed_until is None
    assert sent.last_error == ""


def test_the_message_id_stays_the_same_on_every_attempt(mail_app):
    message = add_message()
    db.session.commit()
    first = sender.build_message(message, mail_app.config)["Message-ID"]
    message.attempts = 3
    assert sender.build_message(message, mail_app.config)["Message-ID"] == first
    other = add_message()
    assert sender.build_message(other, mail_app.config)["Message-ID"] != first


def test_nothing_due_means_no_connection(mail_app, smtp_server, monkeypatch):
    add_message(send_after=NOW + timedelta(minutes=5))
    add_message(sent_at=NOW - timedelta(minutes=1), attempts=1)
    add_message(failed_at=NOW - timedelta(minutes=1), attempts=rules.MAX_ATTEMPTS)
    add_message(claimed_until=NOW + timedelta(minutes=1))
    db.session.commit()

    def refuse_to_connect(self):
        raise AssertionError("connected although nothing was due")

    monkeypatch.setattr(SMTPTransport, "connect", refuse_to_connect)
    assert send_due(NOW) == 0
    assert [message.attempts for message in rows()] == [0, 1, rules.MAX_ATTEMPTS, 0]


def test_an_expired_claim_is_taken_over(mail_app, smtp_server):
    # A sender that died after claiming: after the claim lapses another sender delivers.
    message = add_message(claimed_until=NOW - timedelta(seconds=1))
    db.session.commit()
    assert send_due(NOW) == 1
    assert row(message.id).sent_at == NOW
    assert len(smtp_server.messages) == 1


def test_smtp_down_keeps_messages_queued_until_the_server_is_back(mail_app, smtp_server):
    ids = add_messages(3)
    smtp_server.stop()

    assert send_due(NOW) == 0

    for message in rows():
        assert message.sent_at is None and message.failed_at is None
        assert message.attempts == 1
        assert message.last_error.startswith("ConnectionRefusedError: ")
        assert message.send_after == NOW + rules.retry_delay(1) == NOW + timedelta(minutes=1)
        assert message.claimed_until is None

    # Running again before the backoff has passed does not try (and counts nothing).
    smtp_server.start()
    assert send_due(NOW + timedelta(seconds=30)) == 0
    assert smtp_server.messages == []
    assert [message.attempts for message in rows()] == [1, 1, 1]

    later = NOW + timedelta(minutes=1)
    assert send_due(later) == 3
    assert sorted(m["Message-ID"] for m in smtp_server.messages) == sorted(
        sender.message_id(row(i), mail_app.config["BASE_URL"]) for i in ids
    )
    for message in rows():
        assert message.sent_at == later
        assert message.attempts == 2
        # The last error stays for the record; sent_at says it went out.
        assert message.last_error.startswith("ConnectionRefusedError")

    # Nothing twice: later runs find nothing to send.
    assert send_due(later) == 0
    assert send_due(later + timedelta(days=1)) == 0
    assert len(smtp_server.messages) == 3


def test_nothing_listening_at_all(app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_USE_TLS=False)
    with app.app_context():
        message_id = add_messages(1)[0]
        assert sender.deliver(NOW) == 0
        message = row(message_id)
        assert message.attempts == 1 and message.sent_at is None
        assert "Connection refused" in message.last_error


def test_backoff_doubles_and_the_sender_gives_up_after_max_attempts(mail_app, smtp_server):
    message_id = add_messages(1)[0]
    smtp_server.stop()
    now = NOW
    waits = []
    for attempt in range(1, rules.MAX_ATTEMPTS + 1):
        assert send_due(now) == 0
        message = row(message_id)
        assert message.attempts == attempt
        waits.append(message.send_after - now)
        now = message.send_after
        if attempt < rules.MAX_ATTEMPTS:
            assert message.failed_at is None
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    message = row(message_id)
    assert message.failed_at is not None
    assert message.attempts == rules.MAX_ATTEMPTS

    smtp_server.start()
    assert send_due(now + timedelta(days=2)) == 0
    assert smtp_server.messages == []
    assert row(message_id).sent_at is None


def test_running_the_job_twice_sends_nothing_twice(mail_app, smtp_server):
    add_messages(4)
    assert sender.deliver(NOW) == 4
    assert sender.deliver(NOW) == 0
    assert sender.deliver(NOW + timedelta(hours=1)) == 0
    assert len(smtp_server.messages) == 4
    assert len(set(_message_ids(smtp_server))) == 4


def test_a_refused_recipient_fails_alone(mail_app, smtp_server):
    first, refused, last = (add_message(), add_message(), add_message())
    db.session.commit()
    smtp_server.refuse(refused.to_address)

    assert send_due(NOW) == 2

    assert sorted(m["To"] for m in smtp_server.messages) == sorted(
        [first.to_address, last.to_address]
    )
    failed = row(refused.id)
    assert failed.sent_at is None and failed.attempts == 1
    assert failed.last_error.startswith("SMTPRecipientsRefused")
    assert failed.send_after == NOW + timedelta(minutes=1)


def test_one_connection_per_batch(mail_app, smtp_server, monkeypatch):
    add_messages(5)
    connections = []
    real_connect = SMTPTransport.connect

    def counting_connect(self):
        connections.append(1)
        return real_connect(self)

    monkeypatch.setattr(SMTPTransport, "connect", counting_connect)
    assert send_due(NOW, batch=2) == 5
    assert len(connections) == 3
    assert len(smtp_server.messages) == 5


def test_oldest_first(mail_app, smtp_server):
    newer = add_message(created_at=NOW - timedelta(minutes=1))
    older = add_message(created_at=NOW - timedelta(hours=1))
    db.session.commit()
    assert send_due(NOW, batch=1) == 2
    assert [m["To"] for m in smtp_server.messages] == [older.to_address, newer.to_address]


def test_a_connection_failure_counts_once_for_every_message_of_the_batch(mail_app, smtp_server):
    ids = add_messages(3)
    held = add_message(claimed_until=NOW + timedelta(minutes=3))
    db.session.commit()
    smtp_server.stop()
    assert send_due(NOW, batch=2) == 0
    # The first batch failed to connect; the sender stopped there.
    assert [row(i).attempts for i in ids] == [1, 1, 0]
    # A message another sender holds is left alone.
    assert row(held.id).attempts == 0 and row(held.id).last_error == ""


def test_a_connection_lost_halfway_stops_the_batch(mail_app, smtp_server, monkeypatch):
    ids = add_messages(4)
    real_send = sender._SMTPConnection.send
    calls = []

    def send_then_drop(self, message):
        calls.append(message["To"])
        if len(calls) == 2:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        real_send(self, message)

    monkeypatch.setattr(sender._SMTPConnection, "send", send_then_drop)
    assert send_due(NOW) == 1
    first, second, third, fourth = (row(i) for i in ids)
    assert first.sent_at == NOW
    assert second.sent_at is None and second.attempts == 1
    assert second.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    # The rest were not claimed: they are due again at once.
    assert (third.attempts, fourth.attempts) == (0, 0)
    assert third.claimed_until is None and fourth.claimed_until is None
    monkeypatch.setattr(sender._SMTPConnection, "send", real_send)
    assert send_due(NOW) == 2
    assert len(smtp_server.messages) == 3


def test_the_smtp_password_is_used_and_never_recorded(app, smtp_server_factory):
    server = smtp_server_factory(login=("strax-lab", "Geheim-wachtwoord-42"))
    with app.app_context():
        app.config.update(server.mail_config(MAIL_PASSWORD="Fout-wachtwoord-17"))
        message_id = add_messages(1)[0]
        assert send_due(NOW) == 0
        message = row(message_id)
        assert message.last_error.startswith("SMTPAuthenticationError: (535")
        assert "Fout-wachtwoord-17" not in message.last_error

        app.config.update(server.mail_config())
        assert send_due(NOW + timedelta(minutes=1)) == 1
        assert len(server.messages) == 1


def test_secrets_are_masked_in_the_recorded_error():
    transport = SMTPTransport("mail.example", use_tls=False, username="u", password="s3cr3t-pw")
    error = sender._describe(smtplib.SMTPException("login s3cr3t-pw refused\r\n  badly"), transport)
    assert error == "SMTPException: login *** refused badly"
    assert len(sender._describe(OSError("x" * 1000), transport)) == 300


def _race(app, senders: int, now):
    """Start ``senders`` threads at once, each with its own app context; their counts."""
    barrier = threading.Barrier(senders)
    counts: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                counts.append(send_due(now, batch=7))
                db.session.remove()
        except BaseException as exc:  # reported by the test, not lost in a thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return counts


def test_senders_racing_deliver_each_message_once(mail_app, smtp_server):
    ids = add_messages(30)
    counts = _race(mail_app, 4, NOW)
    assert sum(counts) == 30
    assert len(smtp_server.messages) == 30
    assert len(set(_message_ids(smtp_server))) == 30
    assert all(message.sent_at == NOW and message.attempts == 1 for message in rows())
    assert len(ids) == 30


def _nested_sender(app, monkeypatch):
    """While the first sender hands over its first message, a second sender runs in full."""
    second: list[int] = []
    real_send = sender._SMTPConnection.send

    def send(self, message):
        if not second:
            second.append(-1)
            thread = threading.Thread(target=lambda: second.append(_send_in_context(app)))
            thread.start()
            thread.join(timeout=30)
        real_send(self, message)

    monkeypatch.setattr(sender._SMTPConnection, "send", send)
    return second


def _send_in_context(app) -> int:
    with app.app_context():
        try:
            return send_due(NOW)
        finally:
            db.session.remove()


def test_a_second_sender_skips_the_message_the_first_one_holds(mail_app, smtp_server, monkeypatch):
    add_messages(3)
    second = _nested_sender(mail_app, monkeypatch)
    first = send_due(NOW)
    # The second sender took the two messages the first had not claimed yet.
    assert (first, second[1]) == (1, 2)
    assert len(smtp_server.messages) == 3
    assert len(set(_message_ids(smtp_server))) == 3


def test_without_the_claim_the_same_race_sends_twice(mail_app, smtp_server, monkeypatch):
    """Negative control: the claim is what keeps the nested sender off the held message."""
    add_messages(3)
    _nested_sender(mail_app, monkeypatch)
    monkeypatch.setattr(sender, "_claim", lambda message_id, now: True)
    send_due(NOW)
    ids = _message_ids(smtp_server)
    assert len(ids) > len(set(ids)), "expected a double delivery without the claim"


def test_development_logs_the_message_and_marks_it_sent(app, caplog):
    assert app.config["MAIL_SERVER"] == ""
    with app.app_context():
        message = add_message(to_address="sanne@school.example", subject="Herinnering: één drone")
        db.session.commit()
        with caplog.at_level(logging.INFO, logger="straxlab.mail"):
            assert sender.deliver(NOW) == 1
        assert row(message.id).sent_at == NOW
        assert sender.deliver(NOW) == 0
    [record] = [r for r in caplog.records if r.name == "straxlab.mail"]
    assert record.levelno == logging.INFO
    text = record.getMessage()
    assert "To: sanne@school.example" in text
    assert "Subject: Herinnering: één drone" in text
    assert "Geëerde collega" in text


def test_transport_from_config():
    assert isinstance(transport_from_config({"MAIL_SERVER": ""}), LogTransport)
    transport = transport_from_config(
        {
            "MAIL_SERVER": "smtp.school.example",
            "MAIL_PORT": 2525,
            "MAIL_USE_TLS": True,
            "MAIL_USERNAME": "lab",
            "MAIL_PASSWORD": "pw",
        }
    )
    assert isinstance(transport, SMTPTransport)
    assert (transport.host, transport.port) == ("smtp.school.example", 2525)
    assert transport.use_tls is True
    assert (transport.username, transport.password) == ("lab", "pw")
    assert transport.timeout == 10


def test_starttls_is_required_when_configured(app, smtp_server):
    # The loopback server offers no STARTTLS: with MAIL_USE_TLS the sender refuses to send
    # in the clear and records why.
    app.config.update(smtp_server.mail_config(MAIL_USE_TLS=True))
    with app.app_context():
        message_id = add_messages(1)[0]
        assert send_due(NOW) == 0
        assert row(message_id).last_error.startswith("SMTPNotSupportedError")
    assert smtp_server.messages == []


def test_a_message_that_cannot_be_built_fails_alone(mail_app, smtp_server):
    # A line break in a header would let a value add headers of its own: refused.
    broken = add_message(subject="Onderwerp\nBcc: iedereen@school.example")
    fine = add_message()
    db.session.commit()
    assert send_due(NOW) == 1
    assert [m["To"] for m in smtp_server.messages] == [fine.to_address]
    failed = row(broken.id)
    assert failed.sent_at is None and failed.claimed_until is None
    assert failed.attempts == 1 and failed.last_error.startswith("ValueError")


def test_an_international_address_is_delivered(mail_app, smtp_server):
    message = add_message(to_address="loïs@school.example")
    db.session.commit()
    assert send_due(NOW) == 1
    [delivery] = smtp_server.deliveries
    assert delivery.rcpt_tos == ["loïs@school.example"]
    assert row(message.id).sent_at == NOW
