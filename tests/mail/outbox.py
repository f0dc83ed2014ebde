"""Helpers for the outbox tests: rows written straight into the outbox, and reading them back."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from straxlab.extensions import db
from straxlab.mail.models import OutboxMessage

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DUTCH_TEXT = "Beste Loïs,\n\nJe reservering van de drone is goedgekeurd. Geëerde collega.\n"
DUTCH_HTML = "<p>Beste Loïs,</p><p>Je reservering van de drone is goedgekeurd. Geëerde collega.</p>"
_sequence = itertools.count(1)


def add_message(**overrides: Any) -> OutboxMessage:
    """An outbox row, due at NOW unless told otherwise (committed by the caller)."""
    n = next(_sequence)
    values: dict[str, Any] = {
        "kind": "reservation_decided",
        "recipient_id": None,
        "to_address": f"ontvanger{n}@school.example",
        "cc": "",
        "subject": f"Reservering goedgekeurd: café-drone {n}",
        "body_text": DUTCH_TEXT,
        "body_html": DUTCH_HTML,
        "dedupe_key": f"test:{n}",
        "created_at": NOW,
        "send_after": NOW,
        "attempts": 0,
        "last_error": "",
        **overrides,
    }
    message = OutboxMessage(**values)
    db.session.add(message)
    db.session.flush()
    return message


def add_messages(count: int, **overrides: Any) -> list[int]:
    ids = [add_message(**overrides).id for _ in range(count)]
    db.session.commit()
    return ids


def rows() -> list[OutboxMessage]:
    """Every outbox row, fresh from the database, oldest first."""
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def row(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    message = db.session.get(OutboxMessage, message_id)
    assert message is not None
    return message
