"""Delivering the outbox: each due message once, over one SMTP connection per batch.

A message is claimed before it is sent (``UPDATE ... WHERE claimed_until IS NULL OR
claimed_until < now``, committed), so two senders at once (two scheduler processes, or a
manual ``run-once`` beside the scheduler) never send the same message twice: the loser of the
claim sees ``rowcount == 0`` and moves on. ``sent_at`` is set with ``... WHERE sent_at IS
NULL``.

Two kinds of failure are told apart. A failure of the message itself (a recipient refused,
the data refused, a row that cannot be made into an e-mail) is counted in ``attempts`` with a
short error and a later ``send_after``; after ``rules.MAX_ATTEMPTS`` the message is given up
(``failed_at``). A failure of the server (it cannot be reached, the connection drops, login or
STARTTLS fails, it refuses everything) says nothing about the message: the error is recorded
and the message waits (``rules.server_retry_delay``, at most six hours), but it is not counted
and never given up, so mail queued while the server is down goes out once it is back.

Without ``MAIL_SERVER`` development and tests write the mail to the log (and count it as
sent); production sends nothing, keeps it queued and warns on every run.

The scheduler's job is :func:`deliver`.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, NamedTuple, Protocol
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from straxlab.config import DEVELOPMENT_ENVIRONMENTS
from straxlab.core import clock
from straxlab.extensions import db
from straxlab.mail import rules
from straxlab.mail.models import OutboxMessage

log = logging.getLogger("straxlab.mail")

# How long a sender holds a claimed message, from the moment it claims it (the clock, not the
# job's start); after that another sender may try it (a sender that died between claiming and
# sending must not block the message for ever).
CLAIM_FOR = timedelta(minutes=5)
SMTP_TIMEOUT = 10.0
_ERROR_LENGTH = 300


class Connection(Protocol):
    """An open link to the mail server, good for a batch of messages."""

    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


class _Due(NamedTuple):
    """What the sender needs to know of a message to record a failure without reading it
    again: its failures so far (the update only applies if nobody changed them) and age."""

    id: int
    attempts: int
    created_at: datetime


class Transport(Protocol):
    """Opens connections; :class:`SMTPTransport` in production, :class:`LogTransport` in
    development and tests without a mail server."""

    def connect(self) -> Connection: ...

    def secrets(self) -> Sequence[str]:
        """Strings that must never appear in a recorded error (the SMTP password)."""
        ...


class _SMTPConnection:
    def __init__(self, smtp: smtplib.SMTP) -> None:
        self._smtp = smtp

    def send(self, message: EmailMessage) -> None:
        self._smtp.send_message(message)

    def close(self) -> None:
        try:
            self._smtp.quit()
        except (smtplib.SMTPException, OSError):
            self._smtp.close()


class SMTPTransport:
    """SMTP with STARTTLS (``MAIL_USE_TLS``) and a login (``MAIL_USERNAME``)."""

    def __init__(
        self,
        host: str,
        port: int = 587,
        *,
        use_tls: bool = True,
        username: str = "",
        password: str = "",
        timeout: float = SMTP_TIMEOUT,
    ) -> None:
        self.host = host
        self.port = port
        self.use_tls = use_tls
        self.username = username
        self.password = password
        self.timeout = timeout

    def connect(self) -> Connection:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.use_tls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password)
        except BaseException:
            smtp.close()
            raise
        return _SMTPConnection(smtp)

    def secrets(self) -> Sequence[str]:
        return [self.password] if self.password else []

    def __repr__(self) -> str:
        return f"<SMTPTransport {self.host}:{self.port} tls={self.use_tls}>"


class LogTransport:
    """Development and tests only: write each message to the log (logger ``straxlab.mail``)
    instead of sending it; it counts as sent. Never in production: the log would hold live
    password-reset links and the mail would be lost."""

    def connect(self) -> Connection:
        return self

    def send(self, message: EmailMessage) -> None:
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if isinstance(body, EmailMessage) else ""
        log.info(
            "Mail (not sent: MAIL_SERVER is empty)\nTo: %s\nCc: %s\nSubject: %s\n\n%s",
            message["To"],
            message["Cc"] or "",
            message["Subject"],
            text,
        )

    def close(self) -> None:
        return None

    def secrets(self) -> Sequence[str]:
        return []


def transport_from_config(config: Mapping[str, Any]) -> Transport | None:
    """SMTP when ``MAIL_SERVER`` is set; without it the log in development and tests, and
    None anywhere else (production, or an unknown ``STRAXLAB_ENV``): nothing is sent and the
    mail stays queued until a server is configured."""
    if not config.get("MAIL_SERVER"):
        if config.get("STRAXLAB_ENV", "production") in DEVELOPMENT_ENVIRONMENTS:
            return LogTransport()
        return None
    return SMTPTransport(
        config["MAIL_SERVER"],
        int(config.get("MAIL_PORT") or 587),
        use_tls=bool(config.get("MAIL_USE_TLS", True)),
        username=config.get("MAIL_USERNAME") or "",
        password=config.get("MAIL_PASSWORD") or "",
    )


def deliver(now: datetime) -> int:
    """The ``outbox`` job: send every due message; commits itself; returns how many went out."""
    return send_due(now)


def send_due(now: datetime, *, transport: Transport | None = None, batch: int = 100) -> int:
    """Send the due messages, oldest first, in batches of ``batch``; the number sent.

    Without a transport (production without ``MAIL_SERVER``) nothing is sent or changed: the
    messages wait, and one warning per run says how many.
    """
    if transport is None:
        transport = transport_from_config(current_app.config)
    if transport is None:
        _warn_no_server()
        return 0
    sent = 0
    while True:
        due = _due(now, batch)
        if not due:
            return sent
        sent_now, connected = _send_batch(due, now, transport)
        sent += sent_now
        if not connected or len(due) < batch:
            return sent


def _warn_no_server() -> None:
    """Production without ``MAIL_SERVER``: say how much mail waits (nothing is touched)."""
    waiting = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))
    )
    db.session.commit()
    log.warning("MAIL_SERVER is not set; %d message(s) wait in the outbox", waiting or 0)


def _due(now: datetime, limit: int) -> list[_Due]:
    """The messages due at ``now`` that nobody holds, oldest first."""
    rows = db.session.execute(
        sa.select(OutboxMessage.id, OutboxMessage.attempts, OutboxMessage.created_at)
        .where(_is_due(now))
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    db.session.commit()
    return [_Due(row.id, row.attempts, row.created_at) for row in rows]


def _is_due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed_at.is_(None),
        OutboxMessage.send_after <= now,
        _unclaimed(now),
    )


def _unclaimed(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now)


def _send_batch(due: list[_Due], now: datetime, transport: Transport) -> tuple[int, bool]:
    """Send ``due`` over one connection; (messages sent, whether the server was usable)."""
    try:
        connection = transport.connect()
    except Exception as exc:  # unreachable, login or STARTTLS refused: the server's failure
        error = _describe(exc, transport)
        log.warning("Cannot reach the mail server: %s", error)
        for message in due:
            _record_server_failure(message, error, now, claimed=False)
        db.session.commit()
        return 0, False
    sent = 0
    try:
        for candidate in due:
            if not _claim(candidate.id, now):
                continue
            prepared = _prepare(candidate.id)
            if prepared is None:  # removed by a clean-up in between
                continue
            email, message = prepared
            if isinstance(email, Exception):  # a broken row fails alone, and counts
                error = _describe(email, transport)
                log.warning("Could not build outbox message %s: %s", message.id, error)
                _record_failure(message, error, now)
                db.session.commit()
                continue
            try:
                connection.send(email)
            except Exception as exc:
                error = _describe(exc, transport)
                if _server_failure(exc):
                    log.warning("Mail server failed at outbox message %s: %s", message.id, error)
                    _record_server_failure(message, error, now, claimed=True)
                    db.session.commit()
                    # The rest of the batch stays unclaimed and due: the next run tries again.
                    return sent, False
                log.warning("Could not send outbox message %s: %s", message.id, error)
                _record_failure(message, error, now)
                db.session.commit()
                continue
            _mark_sent(message.id, now)
            db.session.commit()
            sent += 1
    finally:
        connection.close()
    return sent, True


def _prepare(message_id: int) -> tuple[EmailMessage | Exception, _Due] | None:
    """The claimed message as an e-mail (or why it cannot be one), and what a failure needs.

    Ends the transaction before the caller talks to the server: on SQLite every
    transaction of a job holds the write lock, which web requests must not wait for.
    """
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if message is None:
        db.session.commit()
        return None
    email: EmailMessage | Exception
    try:
        email = build_message(message, current_app.config)
    except Exception as exc:  # a broken row fails alone, like a refused recipient
        email = exc
    due = _Due(message.id, message.attempts, message.created_at)
    db.session.commit()
    return email, due


def _claim(message_id: int, now: datetime) -> bool:
    """Hold the message for this sender (committed); False when someone else has it.

    The claim runs ``CLAIM_FOR`` from the moment it is taken (the clock, or ``now`` if that is
    later): a batch that has been sending for a while must not hand out claims that have
    already run out, which another sender could take while this one is still sending.
    """
    claimed_until = max(now, clock.now()) + CLAIM_FOR
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed_at.is_(None),
            OutboxMessage.send_after <= now,
            _unclaimed(now),
        )
        .values(claimed_until=claimed_until)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return _rowcount(result) == 1


def _mark_sent(message_id: int, now: datetime) -> None:
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None))
        .values(sent_at=now, attempts=OutboxMessage.attempts + 1, claimed_until=None)
        .execution_options(synchronize_session=False)
    )


def _record_failure(message: _Due, error: str, now: datetime) -> None:
    """The claimed message itself failed: one more attempt; back off, or give up after
    ``rules.MAX_ATTEMPTS``.

    ``message.attempts`` is the count this sender read: if another sender changed the message
    since, this update does nothing (the failure is not counted twice).
    """
    tried = message.attempts + 1
    db.session.execute(
        sa.update(OutboxMessage)
        .where(*_unchanged(message))
        .values(
            attempts=tried,
            last_error=error,
            send_after=now + rules.retry_delay(tried),
            claimed_until=None,
            failed_at=now if rules.gives_up(tried) else None,
        )
        .execution_options(synchronize_session=False)
    )


def _record_server_failure(message: _Due, error: str, now: datetime, *, claimed: bool) -> None:
    """The server failed, not the message: record why and wait (``rules.server_retry_delay``),
    without counting an attempt and without ever giving up.

    An unclaimed message (the server could not be reached) is only touched while nobody else
    holds it and nobody changed it since it was read.
    """
    conditions = _unchanged(message)
    if not claimed:
        conditions.append(_unclaimed(now))
    db.session.execute(
        sa.update(OutboxMessage)
        .where(*conditions)
        .values(
            last_error=error,
            send_after=now + rules.server_retry_delay(now - message.created_at),
            claimed_until=None,
        )
        .execution_options(synchronize_session=False)
    )


def _unchanged(message: _Due) -> list[sa.ColumnElement[bool]]:
    """The message is still waiting, with the failure count this sender read."""
    return [
        OutboxMessage.id == message.id,
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed_at.is_(None),
        OutboxMessage.attempts == message.attempts,
    ]


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


def _server_failure(exc: Exception) -> bool:
    """True when sending failed because of the server, not this message: the connection is
    gone (dropped, reset, timed out, or closed by the server with a 421), or the server
    refuses our sender address, which every message shares. Not counted against the message;
    the batch stops there.

    A refused recipient (other than 421), refused data, a message too large (552) or one the
    server cannot carry (an international address without SMTPUTF8) fail alone and count.
    """
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(code == 421 for code, _message in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return exc.smtp_code != 552
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421
    # SMTPException is an OSError too; the others (refused, reset, timed out) are the network.
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


def _describe(exc: BaseException, transport: Transport) -> str:
    """A short error for the outbox row: the exception's class and message, no secrets."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    for secret in transport.secrets():
        text = text.replace(secret, "***")
    return text[:_ERROR_LENGTH]


def message_id(message: OutboxMessage, base_url: str) -> str:
    """A Message-ID that stays the same on every attempt: ``<outbox-ID.HASH@HOST>``."""
    digest = hashlib.sha256(f"{message.id}:{message.dedupe_key}".encode()).hexdigest()[:16]
    host = urlsplit(base_url).hostname or "localhost"
    return f"<outbox-{message.id}.{digest}@{host}>"


def build_message(message: OutboxMessage, config: Mapping[str, Any]) -> EmailMessage:
    """The e-mail for an outbox row: plain text with an HTML alternative, UTF-8."""
    email = EmailMessage()
    email["From"] = config["MAIL_FROM"]
    email["To"] = message.to_address
    if message.cc:
        email["Cc"] = message.cc
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = message_id(message, config["BASE_URL"])
    # Tells autoresponders (out of office) not to answer (RFC 3834).
    email["Auto-Submitted"] = "auto-generated"
    # Quoted-printable keeps the text readable and 7-bit, whatever the server supports.
    email.set_content(message.body_text, charset="utf-8", cte="quoted-printable")
    email.add_alternative(
        message.body_html, subtype="html", charset="utf-8", cte="quoted-printable"
    )
    return email
