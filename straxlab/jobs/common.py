"""What the job functions share: the lab's zone and skipping mail an earlier run queued."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

import sqlalchemy as sa

from straxlab.extensions import db
from straxlab.mail.models import OutboxMessage

T = TypeVar("T")


def already_queued(keys: Iterable[str]) -> set[str]:
    """The dedupe keys among ``keys`` that the outbox holds already (one query)."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return set()
    return set(
        db.session.scalars(
            sa.select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(wanted))
        )
    )


def queue_new(due: Iterable[tuple[T, str]], send: Callable[[T, str], bool]) -> int:
    """Call ``send(item, key)`` for every item whose key is not in the outbox yet; how many
    messages were added.

    The outbox's unique key is what makes a reminder happen once (also when two runs race);
    skipping known keys first only saves rendering messages that would be dropped.
    """
    pending = list(due)
    known = already_queued(key for _, key in pending)
    return sum(1 for item, key in pending if key not in known and send(item, key))
