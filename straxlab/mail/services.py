"""Writing mail to the outbox: rendered in the recipient's language, once per dedupe key.

Every area composes its own messages (templates under ``templates/mail/``) and hands them to
:func:`queue` inside the transaction of the change that causes them; the caller commits. The
``outbox`` job delivers them (``straxlab.mail.sender``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from sqlalchemy.dialects import postgresql, sqlite

from straxlab.config import LANGUAGES
from straxlab.extensions import db
from straxlab.mail.models import NotificationOptOut, OutboxMessage
from straxlab.mail.rules import Notice, may_opt_out


class Recipient(Protocol):
    """What mail needs of a user (``auth.models.User`` fits; mail does not import auth)."""

    id: int
    email: str
    name: str
    locale: str
    is_active: bool


def queue(
    notice: Notice,
    recipient: Recipient,
    *,
    key: str,
    template: str,
    now: datetime,
    cc: Iterable[str] = (),
    **context: Any,
) -> bool:
    """Add a message for ``recipient`` to the outbox; False when nothing was added.

    Nothing is added for an inactive user, for a kind of mail they turned off, or when a
    message with the same ``key`` exists (a reminder queued by an earlier run).
    ``template`` names ``templates/mail/<template>.txt`` (with a ``subject`` and a ``body``
    block) and ``.html``; both see ``recipient`` and ``context``.
    """
    if not recipient.is_active or not wants(recipient.id, notice):
        return False
    subject, text, html = render(template, recipient.locale, recipient=recipient, **context)
    row = {
        "kind": notice.value,
        "recipient_id": recipient.id,
        "to_address": recipient.email,
        "cc": ", ".join(sorted({address for address in cc if address != recipient.email})),
        "subject": subject,
        "body_text": text,
        "body_html": html,
        "dedupe_key": key[:200],
        "created_at": now,
        "send_after": now,
        "attempts": 0,
        "last_error": "",
    }
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    added = db.session.execute(
        insert(OutboxMessage)
        .values(row)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxMessage.id)
    ).all()
    return bool(added)


def prune(before: datetime) -> int:
    """Delete the messages sent or given up before ``before``; how many went.

    A message still waiting is never deleted, however old. The nightly retention job passes
    ``now - rules.OUTBOX_RETENTION`` (why that is safe for the dedupe keys: see there).
    """
    result = db.session.execute(
        sa.delete(OutboxMessage)
        .where(sa.or_(OutboxMessage.sent_at < before, OutboxMessage.failed_at < before))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


def render(template: str, locale: str, **context: Any) -> tuple[str, str, str]:
    """Subject, plain text and HTML of ``templates/mail/<template>`` in ``locale``."""
    with force_locale(locale if locale in LANGUAGES else LANGUAGES[0]):
        env = current_app.jinja_env
        text_template = env.get_template(f"mail/{template}.txt")
        full = {"lab_name": "STRAX-lab", **context}
        block = text_template.blocks["subject"]
        subject = "".join(block(text_template.new_context(full))).strip()
        # Rendered without Flask's context processors: jobs have no request and no user.
        text = text_template.render(full)
        html = env.get_template(f"mail/{template}.html").render(full)
    return " ".join(subject.split()), text.strip() + "\n", html


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for a message, built from ``BASE_URL`` (jobs have no request)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def wants(user_id: int, notice: Notice) -> bool:
    if not may_opt_out(notice):
        return True
    opted_out = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(NotificationOptOut)
        .where(NotificationOptOut.user_id == user_id, NotificationOptOut.kind == notice.value)
    )
    return not opted_out


def wanted_notices(user_id: int) -> set[Notice]:
    """The kinds of mail this user receives."""
    off = set(
        db.session.scalars(
            sa.select(NotificationOptOut.kind).where(NotificationOptOut.user_id == user_id)
        )
    )
    return {notice for notice in Notice if notice.value not in off or not may_opt_out(notice)}


def set_wanted_notices(user_id: int, wanted: Sequence[Notice]) -> None:
    """Keep exactly the opt-outs for the kinds not in ``wanted`` (security mail cannot be off)."""
    off = {notice.value for notice in Notice if may_opt_out(notice) and notice not in wanted}
    db.session.execute(
        sa.delete(NotificationOptOut).where(
            NotificationOptOut.user_id == user_id, NotificationOptOut.kind.not_in(off)
        )
    )
    have = set(
        db.session.scalars(
            sa.select(NotificationOptOut.kind).where(NotificationOptOut.user_id == user_id)
        )
    )
    db.session.add_all(
        NotificationOptOut(user_id=user_id, kind=kind) for kind in sorted(off - have)
    )
