"""The outbox sender against a real SMTP server on loopback (aiosmtpd, tests/smtp.py)."""

from __future__ import annotations

import logging
import re
import smtplib
import threading
from contextlib import ExitStack
from datetime import timedelta

import pytest
import sqlalchemy as sa

from straxlab.core import clock
from straxlab.extensions import db
from straxlab.mail import rules, sender
from straxlab.mail.models import OutboxMessage
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
        # The server failed, not the message: recorded, but not counted as an attempt.
        assert message.attempts == 0
        assert message.last_error.startswith("ConnectionRefusedError: ")
        assert message.send_after == NOW + timedelta(minutes=1)
        assert message.claimed_until is None

    # Running again before the backoff has passed does not try.
    smtp_server.start()
    assert send_due(NOW + timedelta(seconds=30)) == 0
    assert smtp_server.messages == []
    assert [message.attempts for message in rows()] == [0, 0, 0]

    later = NOW + timedelta(minutes=1)
    assert send_due(later) == 3
    assert sorted(m["Message-ID"] for m in smtp_server.messages) == sorted(
        sender.message_id(row(i), mail_app.config["BASE_URL"]) for i in ids
    )
    for message in rows():
        assert message.sent_at == later
        assert message.attempts == 1
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
        assert message.attempts == 0 and message.sent_at is None and message.failed_at is None
        assert "Connection refused" in message.last_error


def test_a_refused_message_backs_off_and_is_given_up_after_max_attempts(mail_app, smtp_server):
    message = add_message()
    db.session.commit()
    message_id, address = message.id, message.to_address
    smtp_server.refuse(address)
    now = NOW
    waits = []
    for attempt in range(1, rules.MAX_ATTEMPTS + 1):
        assert send_due(now) == 0
        message = row(message_id)
        assert message.attempts == attempt
        assert message.last_error.startswith("SMTPRecipientsRefused")
        waits.append(message.send_after - now)
        if attempt < rules.MAX_ATTEMPTS:
            assert message.failed_at is None
        now = message.send_after
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 64, 128)]
    message = row(message_id)
    assert message.failed_at == now - waits[-1]
    assert message.attempts == rules.MAX_ATTEMPTS

    # Given up: not tried again, even once the recipient would be accepted.
    smtp_server._handler.refuse.clear()
    assert send_due(now + timedelta(days=2)) == 0
    assert smtp_server.messages == []
    assert row(message_id).sent_at is None


def test_while_the_server_is_down_the_wait_doubles_to_ten_minutes_and_nothing_is_given_up(
    mail_app, smtp_server
):
    message_id = add_messages(1)[0]
    smtp_server.stop()
    now = NOW
    waits = []
    for _run in range(3 * rules.MAX_ATTEMPTS):
        assert send_due(now) == 0
        message = row(message_id)
        assert (message.attempts, message.failed_at, message.sent_at) == (0, None, None)
        assert message.last_error.startswith("ConnectionRefusedError")
        waits.append(message.send_after - now)
        now = message.send_after
    assert waits[:5] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 10)]
    assert waits[5:] == [timedelta(minutes=10)] * (len(waits) - 5)

    smtp_server.start()
    assert send_due(now) == 1
    assert len(smtp_server.messages) == 1
    assert row(message_id).sent_at == now


def test_three_days_without_a_server_lose_nothing(mail_app, smtp_server, monkeypatch):
    """Issue 6: SMTP down -> the mail stays queued with the error recorded and goes out once
    the server is back; nothing is lost, nothing is sent twice."""
    ids = add_messages(3)
    smtp_server.stop()
    connections = []
    real_connect = SMTPTransport.connect

    def counting_connect(self):
        connections.append(1)
        return real_connect(self)

    monkeypatch.setattr(SMTPTransport, "connect", counting_connect)
    step = timedelta(minutes=3)
    back = NOW + timedelta(days=3)
    now = NOW
    runs = 0
    while now < back:
        if now in (NOW + timedelta(hours=7), NOW + timedelta(days=2, hours=1)):
            # Mail keeps being written while the server is down.
            ids += add_messages(2, created_at=now, send_after=now)
        assert send_due(now) == 0
        runs += 1
        now += step
    assert smtp_server.messages == []
    for message in rows():
        assert (message.sent_at, message.failed_at, message.attempts) == (None, None, 0)
        assert message.last_error.startswith("ConnectionRefusedError")
        assert NOW < message.send_after <= back + timedelta(minutes=10)
    # One connection per run at most, and the backoff spared the server most of the runs.
    assert runs == 1440 and len(connections) < runs / 3

    smtp_server.start()
    sent = 0
    while now <= back + timedelta(minutes=10):
        sent += send_due(now)
        now += step
    assert sent == 7, "within ten minutes of the server's return everything went out"
    assert sorted(_message_ids(smtp_server)) == sorted(
        sender.message_id(row(i), mail_app.config["BASE_URL"]) for i in ids
    )
    for message in rows():
        assert message.sent_at is not None and message.failed_at is None
        assert message.attempts == 1
    assert send_due(now + timedelta(days=1)) == 0
    assert len(smtp_server.messages) == 7


def test_a_wrong_password_never_gives_up(app, smtp_server_factory):
    # A login the server refuses is the configuration's fault, not the message's.
    server = smtp_server_factory(login=("strax-lab", "Geheim-wachtwoord-42"))
    with app.app_context():
        app.config.update(server.mail_config(MAIL_PASSWORD="Fout-wachtwoord-17"))
        message_id = add_messages(1)[0]
        now = NOW
        for _run in range(rules.MAX_ATTEMPTS + 2):
            assert send_due(now) == 0
            now = row(message_id).send_after
        message = row(message_id)
        assert (message.attempts, message.failed_at) == (0, None)
        assert message.last_error.startswith("SMTPAuthenticationError")

        app.config.update(server.mail_config())
        assert send_due(now) == 1
        assert len(server.messages) == 1


def test_a_dropped_connection_does_not_count_against_the_message(
    mail_app, smtp_server, monkeypatch
):
    # One failure of its own short of being given up; then the server drops the connection.
    message_id = add_messages(1, attempts=rules.MAX_ATTEMPTS - 1)[0]

    def drop(self, message):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(sender._SMTPConnection, "send", drop)
    assert send_due(NOW) == 0
    message = row(message_id)
    assert (message.attempts, message.failed_at) == (rules.MAX_ATTEMPTS - 1, None)
    assert message.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert message.send_after == NOW + timedelta(minutes=1)
    assert message.claimed_until is None


@pytest.mark.parametrize(
    ("exc", "servers_fault"),
    [
        (smtplib.SMTPServerDisconnected("gone"), True),
        (ConnectionResetError(104, "Connection reset by peer"), True),
        (TimeoutError("timed out"), True),
        (smtplib.SMTPRecipientsRefused({"a@x.example": (421, b"closing")}), True),
        (smtplib.SMTPDataError(421, b"4.3.2 shutting down"), True),
        (smtplib.SMTPSenderRefused(553, b"not our sender", "lab@x.example"), True),
        (smtplib.SMTPSenderRefused(451, b"try later", "lab@x.example"), True),
        (smtplib.SMTPRecipientsRefused({"a@x.example": (550, b"no such mailbox")}), False),
        (smtplib.SMTPRecipientsRefused({"a@x.example": (450, b"mailbox busy")}), False),
        (smtplib.SMTPDataError(554, b"5.7.1 rejected as spam"), False),
        (smtplib.SMTPSenderRefused(552, b"5.3.4 message too big", "lab@x.example"), False),
        (smtplib.SMTPNotSupportedError("needs SMTPUTF8"), False),
        (ValueError("header contains a newline"), False),
        (UnicodeEncodeError("ascii", "é", 0, 1, "no"), False),
    ],
)
def test_what_counts_as_the_servers_failure(exc, servers_fault):
    assert sender._server_failure(exc) is servers_fault


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


def test_a_connection_failure_is_recorded_on_every_message_of_the_batch(mail_app, smtp_server):
    ids = add_messages(3)
    held = add_message(claimed_until=NOW + timedelta(minutes=3))
    db.session.commit()
    smtp_server.stop()
    assert send_due(NOW, batch=2) == 0
    # The first batch failed to connect; the sender stopped there.
    first, second, third = (row(i) for i in ids)
    assert [m.attempts for m in (first, second, third)] == [0, 0, 0]
    assert first.last_error.startswith("ConnectionRefusedError")
    assert second.last_error.startswith("ConnectionRefusedError")
    assert [m.send_after for m in (first, second)] == [NOW + timedelta(minutes=1)] * 2
    assert (third.last_error, third.send_after) == ("", NOW)
    # A message another sender holds is left alone.
    assert row(held.id).last_error == "" and row(held.id).send_after == NOW


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
    assert second.sent_at is None and second.attempts == 0 and second.failed_at is None
    assert second.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert second.send_after == NOW + timedelta(minutes=1)
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
        assert message.attempts == 0

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


@pytest.mark.parametrize("environment", ["development", "test"])
def test_development_logs_the_message_and_marks_it_sent(app, caplog, environment):
    assert app.config["MAIL_SERVER"] == ""
    app.config["STRAXLAB_ENV"] = environment
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


def test_production_without_a_mail_server_keeps_the_mail_and_warns(app, smtp_server, caplog):
    app.config.update(STRAXLAB_ENV="production", MAIL_SERVER="")
    with app.app_context():
        ids = add_messages(2)
        add_message(sent_at=NOW - timedelta(days=1), attempts=1)
        add_message(failed_at=NOW - timedelta(days=1), attempts=rules.MAX_ATTEMPTS)
        db.session.commit()
        with caplog.at_level(logging.INFO, logger="straxlab.mail"):
            assert sender.deliver(NOW) == 0
            assert sender.deliver(NOW + timedelta(minutes=1)) == 0
        records = [r for r in caplog.records if r.name == "straxlab.mail"]
        # One warning per run; the mail itself (reset links!) is never written to the log.
        assert [(r.levelno, r.getMessage()) for r in records] == [
            (logging.WARNING, "MAIL_SERVER is not set; 2 message(s) wait in the outbox")
        ] * 2
        assert "Geëerde" not in caplog.text
        for message_id in ids:
            message = row(message_id)
            assert (message.sent_at, message.failed_at, message.attempts) == (None, None, 0)
            assert (message.send_after, message.last_error) == (NOW, "")

        # Once a mail server is configured, the waiting mail goes out.
        app.config.update(smtp_server.mail_config())
        assert sender.deliver(NOW + timedelta(minutes=2)) == 2
        assert sorted(m["To"] for m in smtp_server.messages) == sorted(
            row(i).to_address for i in ids
        )


@pytest.mark.parametrize(
    ("environment", "logged"),
    [("development", True), ("test", True), ("production", False), ("staging", False)],
)
def test_only_development_and_tests_write_mail_to_the_log(environment, logged):
    transport = transport_from_config({"MAIL_SERVER": "", "STRAXLAB_ENV": environment})
    assert isinstance(transport, LogTransport) if logged else transport is None


def test_transport_from_config():
    assert transport_from_config({"MAIL_SERVER": ""}) is None
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
        message = row(message_id)
        assert message.last_error.startswith("SMTPNotSupportedError")
        assert (message.attempts, message.failed_at) == (0, None)
    assert smtp_server.messages == []


class _SlowServer:
    """A transport (and its connection) on which every message takes four minutes: the frozen
    clock moves on while it sends. Records, per message, how long its claim still had to run
    and whether a second sender starting at that moment could have claimed it."""

    def __init__(self, clocks: ExitStack) -> None:
        self.clocks = clocks
        self.seen: list[tuple[int, timedelta, bool]] = []

    def connect(self):
        return self

    def secrets(self):
        return []

    def close(self) -> None:
        return None

    def send(self, email) -> None:
        self.clocks.enter_context(clock.frozen(clock.now() + timedelta(minutes=4)))
        message_id = int(re.match(r"<outbox-(\d+)\.", email["Message-ID"]).group(1))
        held_until = db.session.scalar(
            sa.select(OutboxMessage.claimed_until).where(OutboxMessage.id == message_id)
        )
        taken = sender._claim(message_id, clock.now())
        self.seen.append((message_id, held_until - clock.now(), taken))


def test_a_claim_runs_from_when_it_is_taken_not_from_the_start_of_the_run(mail_app):
    ids = add_messages(3)
    with ExitStack() as clocks:
        clocks.enter_context(clock.frozen(NOW))
        server = _SlowServer(clocks)
        assert send_due(NOW, transport=server) == 3
        assert clock.now() == NOW + timedelta(minutes=12)
    # Each message was held for five minutes from its own claim, so while it was being sent
    # (four minutes later) no other sender could take it.
    assert server.seen == [(i, timedelta(minutes=1), False) for i in ids]
    assert all(message.sent_at == NOW and message.claimed_until is None for message in rows())


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
