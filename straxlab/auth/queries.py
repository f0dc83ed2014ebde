"""Read-side queries about users that every area's pages share."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from straxlab.auth.models import User
from straxlab.extensions import db


def user_names(user_ids: Iterable[int | None]) -> dict[int, str]:
    """Names by id for the given users (None and unknown ids skipped), in one query."""
    ids = sorted({user_id for user_id in user_ids if user_id})
    if not ids:
        return {}
    rows = db.session.execute(sa.select(User.id, User.name).where(User.id.in_(ids)))
    return {row.id: row.name for row in rows}
