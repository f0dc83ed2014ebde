"""The audit trail: who did what to which object, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from straxlab.extensions import Model, db


class AuditEvent(Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(index=True)
    # Points at the user table by name only, so the ground floor imports nothing above it.
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"), index=True)
    action: so.Mapped[str] = so.mapped_column(sa.String(64))
    object_type: so.Mapped[str] = so.mapped_column(sa.String(32))
    object_id: so.Mapped[int | None]
    details: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)

    __table_args__ = (sa.Index("ix_audit_event_object", "object_type", "object_id", "at"),)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} {self.object_type}:{self.object_id} by {self.actor_id}>"


def record(
    action: str,
    *,
    actor_id: int | None,
    object_type: str,
    object_id: int | None,
    now: datetime,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits)."""
    event = AuditEvent(
        at=now,
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details,
    )
    db.session.add(event)
    return event


def history(object_type: str, object_id: int, *, limit: int = 50) -> list[AuditEvent]:
    """The newest events about one object, newest first."""
    query = (
        sa.select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))
