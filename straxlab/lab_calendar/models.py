"""The lab calendar: closures, and one row per lab day that capacity checks lock."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from straxlab.extensions import Model


class Closure(Model):
    """Days the lab (and its lending desk) is closed: a holiday, a study day, a move."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    first_day: so.Mapped[date]
    last_day: so.Mapped[date]
    reason: so.Mapped[str] = so.mapped_column(sa.String(200))
    # "manual", or "holidays" when imported from the holidays package (still editable).
    source: so.Mapped[str] = so.mapped_column(sa.String(16), default="manual")
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))
    created_at: so.Mapped[datetime]

    __table_args__ = (
        sa.CheckConstraint("first_day <= last_day", name="first_day_not_after_last"),
        sa.Index("ix_closure_days", "last_day", "first_day"),
    )

    def __repr__(self) -> str:
        return f"<Closure {self.id} {self.first_day}..{self.last_day} {self.reason!r}>"


class LabDay(Model):
    """A day the lab has design days on; its row is the lock that guards the capacity.

    Two approvals that want the same day both lock its row first (PostgreSQL
    ``SELECT ... FOR UPDATE``), so the second counts the first one's teams (DESIGN.md,
    invariant 2).
    """

    day: so.Mapped[date] = so.mapped_column(primary_key=True)

    def __repr__(self) -> str:
        return f"<LabDay {self.day}>"
