"""The outbox page: what waits to be sent, what was given up, what went out lately (read-only)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from straxlab.auth.rules import Permission
from straxlab.core import clock
from straxlab.extensions import db
from straxlab.mail.labels import notice_label
from straxlab.mail.models import OutboxMessage
from straxlab.mail.rules import MAX_ATTEMPTS, Notice

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")

# Lab staff (who keep the lab running) and managers (who keep the users) read the outbox.
READERS = (Permission.MANAGE_LAB_SETTINGS, Permission.MANAGE_USERS)
RECENT = timedelta(days=7)
# Each list shows at most this many rows; the counts above them say how many there are.
LIST_LIMIT = 100


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    if not any(current_user.can(permission) for permission in READERS):
        abort(403)
    now = clock.now()
    since = now - RECENT
    waiting = OutboxMessage.sent_at.is_(None) & OutboxMessage.failed_at.is_(None)
    failed = OutboxMessage.sent_at.is_(None) & OutboxMessage.failed_at.is_not(None)
    recent = OutboxMessage.sent_at >= since
    counts = db.session.execute(
        sa.select(
            *(
                sa.func.coalesce(sa.func.sum(sa.case((c, 1), else_=0)), 0)
                for c in (waiting, failed, recent)
            )
        )
    ).one()

    return render_template(
        "admin/outbox.html",
        waiting=_listed(waiting, OutboxMessage.send_after, OutboxMessage.id),
        failed=_listed(failed, OutboxMessage.failed_at.desc(), OutboxMessage.id.desc()),
        sent=_listed(recent, OutboxMessage.sent_at.desc(), OutboxMessage.id.desc()),
        counts={"waiting": counts[0], "failed": counts[1], "sent": counts[2]},
        limit=LIST_LIMIT,
        max_attempts=MAX_ATTEMPTS,
        now=now,
        kind_label=_kind_label,
    )


def _listed(condition: sa.ColumnElement[bool], *order: Any) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).where(condition).order_by(*order).limit(LIST_LIMIT)
    return list(db.session.scalars(query))


def _kind_label(kind: str) -> object:
    try:
        return notice_label(Notice(kind))
    except ValueError:
        return kind
