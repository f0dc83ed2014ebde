"""Delivering the outbox: each due message once, over one SMTP connection per batch.

A message is claimed before it is sent (``UPDATE ... WHERE claimed_until IS NULL OR
claimed_until < now``, committed), so two senders at once (two scheduler processes, or a
manual ``run-once`` beside the scheduler) never send the same message twice: the loser of the
claim sees ``rowcount == 0`` and moves on. ``sent_at`` is set with ``... WHERE sent_at IS
NULL``. A failure is recorded on the message (attempts, a short error, a later
``send_after``); after ``rules.MAX_ATTEMPTS`` the message is given up (``failed_at``).

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
from typing import Any, Protocol
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from straxlab.extensions import db
from straxlab.mail import rules
from straxlab.mail.models import OutboxMessage

log = logging.getLogger("straxlab.mail")

# How long a sender holds a claimed message; after that another sender may try it (a sender
# that died between claiming and sending must not block the message for ever).
CLAIM_FOR = timedelta(minutes=5)
SMTP_TIMEOUT = 10.0
_ERROR_LENGTH = 300


class Connection(Protocol):
    """An open link to the mail server, good for a batch of messages."""

    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


class Transport(Protocol):
    """Opens connections; :class:`SMTPTransport` in production, :class:`LogTransport` in
    development."""

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
    """Development: write each message to the log (logger ``straxlab.mail``) instead of
    sending it; it counts as sent."""

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


def transport_from_config(config: Mapping[str, Any]) -> Transport:
    """SMTP when ``MAIL_SERVER`` is set, else the log (development default)."""
    if not config.get("MAIL_SERVER"):
        return LogTransport()
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
    """Send the due messages, oldest first, in batches of ``batch``; the number sent."""
    transport = transport or transport_from_config(current_app.config)
    sent = 0
    while True:
        due = _due(now, batch)
        if not due:
            return sent
        sent_now, connected = _send_batch(due, now, transport)
        sent += sent_now
        if not connected or len(due) < batch:
            return sent


def _due(now: datetime, limit: int) -> list[tuple[int, int]]:
    """Ids and attempt counts of the messages due at ``now`` that nobody holds."""
    rows = db.session.execute(
        sa.select(OutboxMessage.id, OutboxMessage.attempts)
        .where(_is_due(now))
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    db.session.commit()
    return [(row.id, row.attempts) for row in rows]


def _is_due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed_at.is_(None),
        OutboxMessage.send_after <= now,
        _unclaimed(now),
    )


def _unclaimed(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now)


def _send_batch(
    due: list[tuple[int, int]], now: datetime, transport: Transport
) -> tuple[int, bool]:
    """Send ``due`` over one connection; (messages sent, whether the server was reachable)."""
    try:
        connection = transport.connect()
    except Exception as exc:
        error = _describe(exc, transport)
        log.warning("Cannot reach the mail server: %s", error)
        for message_id, attempts in due:
            _record_failure(message_id, attempts, error, now, claimed=False)
        db.session.commit()
        return 0, False
    sent = 0
    try:
        for message_id, _attempts in due:
            if not _claim(message_id, now):
                continue
            prepared = _prepare(message_id)
            if prepared is None:  # removed by a clean-up in between
                continue
            email, attempts = prepared
            try:
                if isinstance(email, Exception):
                    raise email
                connection.send(email)
            except Exception as exc:
                error = _describe(exc, transport)
                log.warning("Could not send outbox message %s: %s", message_id, error)
                _record_failure(message_id, attempts, error, now, claimed=True)
                db.session.commit()
                if _connection_lost(exc):
                    # The rest of the batch stays unclaimed and due: the next run tries again.
                    return sent, False
                continue
            _mark_sent(message_id, now)
            db.session.commit()
            sent += 1
    finally:
        connection.close()
    return sent, True


def _prepare(message_id: int) -> tuple[EmailMessage | Exception, int] | None:
    """The claimed message as an e-mail (or why it cannot be one) and its attempts so far.

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
    attempts = message.attempts
    db.session.commit()
    return email, attempts


def _claim(message_id: int, now: datetime) -> bool:
    """Hold the message for this sender (committed); False when someone else has it."""
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed_at.is_(None),
            OutboxMessage.send_after <= now,
            _unclaimed(now),
        )
        .values(claimed_until=now + CLAIM_FOR)
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


def _record_failure(
    message_id: int, attempts: int, error: str, now: datetime, *, claimed: bool
) -> None:
    """One more failed attempt: back off, or give up after ``rules.MAX_ATTEMPTS``.

    ``attempts`` is the count this sender read: if another sender changed the message since,
    this update does nothing (the failure is not counted twice). An unclaimed message
    (the server was unreachable) is only touched while nobody else holds it.
    """
    tried = attempts + 1
    conditions = [
        OutboxMessage.id == message_id,
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed_at.is_(None),
        OutboxMessage.attempts == attempts,
    ]
    if not claimed:
        conditions.append(_unclaimed(now))
    db.session.execute(
        sa.update(OutboxMessage)
        .where(*conditions)
        .values(
            attempts=tried,
            last_error=error,
            send_after=now + rules.retry_delay(tried),
            claimed_until=None,
            failed_at=now if rules.gives_up(tried) else None,
        )
        .execution_options(synchronize_session=False)
    )


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


def _connection_lost(exc: Exception) -> bool:
    """True when the connection cannot carry another message (not a refused recipient)."""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
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
