"""Access decorators for views, and the login manager's user loader."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort
from flask_login import current_user, login_required

from straxlab.auth.models import User
from straxlab.auth.rules import Permission
from straxlab.extensions import db, login_manager

F = TypeVar("F", bound=Callable[..., Any])


@login_manager.user_loader
def load_user(cookie_id: str) -> User | None:
    """Accept a session only for an active user whose session version still matches."""
    user_id, _, version = cookie_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.scalar(sa.select(User).where(User.id == int(user_id)))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def permission_required(permission: Permission) -> Callable[[F], F]:
    """Log in first; then 403 unless the user's role grants ``permission``."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.can(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
