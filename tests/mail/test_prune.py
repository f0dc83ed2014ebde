"""mail.services.prune: sent and given-up mail is deleted after the retention period."""

from __future__ import annotations

from datetime import timedelta

from straxlab.extensions import db
from straxlab.mail import rules
from straxlab.mail import services as mail
from tests.mail.outbox import NOW, add_message, rows

BEFORE = NOW - rules.OUTBOX_RETENTION


def _outbox() -> dict[str, int]:
    """Subject -> id of every row in the outbox."""
    return {message.subject: message.id for message in rows()}


def test_prune_deletes_sent_and_given_up_mail_before_the_moment_and_keeps_the_rest(app_ctx):
    old = NOW - timedelta(days=200)
    add_message(subject="sent long ago", created_at=old, sent_at=BEFORE - timedelta(days=1))
    add_message(subject="sent just before", created_at=old, sent_at=BEFORE - timedelta(seconds=1))
    add_message(
        subject="given up long ago",
        created_at=old,
        attempts=rules.MAX_ATTEMPTS,
        failed_at=BEFORE - timedelta(days=1),
    )
    add_message(subject="sent at the moment", created_at=old, sent_at=BEFORE)
    add_message(subject="sent recently", created_at=old, sent_at=NOW - timedelta(days=1))
    add_message(subject="given up recently", attempts=8, failed_at=NOW - timedelta(days=1))
    # Still waiting, however old and however often it failed: never deleted.
    add_message(subject="waiting", created_at=old, send_after=old)
    add_message(
        subject="waiting for the server",
        created_at=old,
        send_after=NOW + timedelta(hours=6),
        last_error="ConnectionRefusedError: [Errno 111] Connection refused",
    )
    add_message(subject="retrying", created_at=old, attempts=rules.MAX_ATTEMPTS - 1)
    db.session.commit()

    assert mail.prune(BEFORE) == 3
    db.session.commit()

    assert sorted(_outbox()) == [
        "given up recently",
        "retrying",
        "sent at the moment",
        "sent recently",
        "waiting",
        "waiting for the server",
    ]
    assert mail.prune(BEFORE) == 0


def test_prune_leaves_the_commit_to_the_caller(app_ctx):
    add_message(subject="sent long ago", sent_at=BEFORE - timedelta(days=1))
    db.session.commit()
    assert mail.prune(BEFORE) == 1
    db.session.rollback()
    assert list(_outbox()) == ["sent long ago"]


def test_a_pruned_key_is_free_again(app_ctx):
    # What the retention period relies on: a deleted row no longer blocks its dedupe key
    # (so keys must not come due again after OUTBOX_RETENTION; see rules.OUTBOX_RETENTION).
    add_message(subject="first", dedupe_key="overdue:1:2025-01-01", sent_at=BEFORE - timedelta(1))
    db.session.commit()
    assert mail.prune(BEFORE) == 1
    add_message(subject="again", dedupe_key="overdue:1:2025-01-01")
    db.session.commit()
    assert list(_outbox()) == ["again"]
