from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin

from straxlab.auth.rules import Permission, Role, has_permission
from straxlab.core.db import enum_type
from straxlab.extensions import Model


class User(UserMixin, Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    role: so.Mapped[Role] = so.mapped_column(enum_type(Role, "role"), default=Role.TEACHER)
    locale: so.Mapped[str] = so.mapped_column(sa.String(5), default="nl")
    password_hash: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    is_active: so.Mapped[bool] = so.mapped_column(default=True)
    must_change_password: so.Mapped[bool] = so.mapped_column(default=False)
    # Part of the login cookie's user id: raising it ends every session of this user.
    session_version: so.Mapped[int] = so.mapped_column(default=1)
    # SHA-256 of the calendar feed token (the token itself is shown once, never stored).
    feed_token_hash: so.Mapped[str | None] = so.mapped_column(
        sa.String(64), unique=True, index=True
    )
    created_at: so.Mapped[datetime]
    last_login_at: so.Mapped[datetime | None]

    __table_args__ = (sa.CheckConstraint("locale IN ('nl', 'en')", name="locale"),)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role.value}>"

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def can(self, permission: Permission) -> bool:
        return self.is_active and has_permission(self.role, permission)
