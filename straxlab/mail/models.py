from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from straxlab.extensions import Model


class OutboxMessage(Model):
    """One e-mail, written in the transaction of the change that caused it.

    ``dedupe_key`` is unique: a job that runs twice, or two schedulers at once, cannot queue the
    same reminder twice. The sender sets ``sent_at`` with ``... WHERE sent_at IS NULL``.
    """

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(40))
    # Points at the user table by name only: mail sits on the same floor as auth.
    recipient_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    to_address: so.Mapped[str] = so.mapped_column(sa.String(254))
    # Addresses in copy, separated by ", ".
    cc: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    subject: so.Mapped[str] = so.mapped_column(sa.String(250))
    body_text: so.Mapped[str] = so.mapped_column(sa.Text)
    body_html: so.Mapped[str] = so.mapped_column(sa.Text)
    dedupe_key: so.Mapped[str] = so.mapped_column(sa.String(200), unique=True)
    created_at: so.Mapped[datetime]
    # Not before this instant: the next attempt after a failure waits (backoff).
    send_after: so.Mapped[datetime]
    # A sender holds the message until this instant while it talks to the SMTP server.
    claimed_until: so.Mapped[datetime | None]
    sent_at: so.Mapped[datetime | None]
    failed_at: so.Mapped[datetime | None]
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    last_error: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    __table_args__ = (sa.Index("ix_outbox_message_due", "sent_at", "failed_at", "send_after"),)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} to={self.to_address} sent={self.sent_at}>"


class NotificationOptOut(Model):
    """A kind of mail a user chose not to receive (no row: they receive it)."""

    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    kind: so.Mapped[str] = so.mapped_column(sa.String(40), primary_key=True)
