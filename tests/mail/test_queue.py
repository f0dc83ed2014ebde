"""mail.services.queue: one row per dedupe key, the recipient's choices and language."""

from __future__ import annotations

import sqlalchemy as sa
from jinja2 import ChoiceLoader, DictLoader

from straxlab.extensions import db
from straxlab.mail import services as mail
from straxlab.mail.models import NotificationOptOut, OutboxMessage
from straxlab.mail.rules import Notice
from tests.factories import make_user
from tests.mail.outbox import NOW, rows

LINK = "https://strax.school.example/password/reset/abc"


def _queue(user, notice=Notice.SECURITY, key="test:1", **context):
    return mail.queue(
        notice, user, key=key, template="password_reset", now=NOW, link=LINK, **context
    )


def test_the_same_key_twice_gives_one_row(app_ctx):
    user = make_user(locale="en")
    assert _queue(user, key="overdue:7:2026-03-02") is True
    assert _queue(user, key="overdue:7:2026-03-02") is False
    assert _queue(user, key="overdue:7:2026-03-03") is True
    db.session.commit()
    assert [message.dedupe_key for message in rows()] == [
        "overdue:7:2026-03-02",
        "overdue:7:2026-03-03",
    ]


def test_a_row_holds_the_rendered_message(app_ctx):
    user = make_user(locale="en", email="sanne@school.example", name="Sanne Smit")
    _queue(user, cc=["balie@school.example", "sanne@school.example", "balie@school.example"])
    db.session.commit()
    [message] = rows()
    assert message.kind == "security"
    assert message.recipient_id == user.id
    assert message.to_address == "sanne@school.example"
    # The recipient is not in copy of their own mail; an address appears once.
    assert message.cc == "balie@school.example"
    assert message.subject == "Choose a new password for the STRAX-lab"
    assert message.body_text.startswith("Hello Sanne Smit,\n")
    assert LINK in message.body_text and f'href="{LINK}"' in message.body_html
    assert message.created_at == message.send_after == NOW
    assert (message.attempts, message.sent_at, message.failed_at) == (0, None, None)


def test_a_kind_the_user_turned_off_is_not_queued(app_ctx):
    user = make_user(locale="en")
    mail.set_wanted_notices(user.id, [Notice.LAB_DAY_REMINDER])
    assert _queue(user, Notice.OVERDUE, key="overdue:1") is False
    assert _queue(user, Notice.LAB_DAY_REMINDER, key="lab-day:1") is True
    db.session.commit()
    assert [message.kind for message in rows()] == ["lab_day_reminder"]


def test_security_mail_always_goes(app_ctx):
    user = make_user(locale="en")
    mail.set_wanted_notices(user.id, [])
    # Even a stray opt-out row for security mail is ignored.
    db.session.add(NotificationOptOut(user_id=user.id, kind=Notice.SECURITY.value))
    db.session.flush()
    assert Notice.SECURITY in mail.wanted_notices(user.id)
    assert _queue(user, Notice.SECURITY) is True
    db.session.commit()
    assert len(rows()) == 1


def test_an_inactive_user_gets_nothing(app_ctx):
    user = make_user(locale="en", is_active=False)
    assert _queue(user, Notice.SECURITY) is False
    assert _queue(user, Notice.OVERDUE, key="overdue:2") is False
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_set_wanted_notices_keeps_exactly_the_opt_outs(app_ctx):
    user = make_user()
    mail.set_wanted_notices(user.id, [Notice.OVERDUE])
    assert mail.wanted_notices(user.id) == {Notice.OVERDUE, Notice.SECURITY}
    mail.set_wanted_notices(user.id, list(Notice))
    assert mail.wanted_notices(user.id) == set(Notice)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NotificationOptOut)) == 0


def test_mail_is_written_in_the_recipients_language(app_ctx):
    # A probe template with words the Dutch catalogue already has.
    app_ctx.jinja_loader = ChoiceLoader(
        [
            DictLoader(
                {
                    "mail/probe.txt": '{% extends "mail/_base.txt" %}'
                    "{% block subject %}{{ _('Log in') }}{% endblock %}"
                    "{% block body %}{{ _('E-mail address') }}: {{ recipient.email }}"
                    "{% endblock %}",
                    "mail/probe.html": '{% extends "mail/_base.html" %}'
                    "{% block body %}<p>{{ _('E-mail address') }}</p>{% endblock %}",
                }
            ),
            app_ctx.jinja_loader,
        ]
    )
    app_ctx.jinja_env.cache = {}
    dutch = make_user(locale="nl", email="an@school.example")
    english = make_user(locale="en", email="bo@school.example")
    for user in (dutch, english):
        mail.queue(Notice.SECURITY, user, key=f"probe:{user.id}", template="probe", now=NOW)
    db.session.commit()
    nl, en = rows()
    assert (nl.subject, en.subject) == ("Inloggen", "Log in")
    assert "E-mailadres: an@school.example" in nl.body_text
    assert "E-mail address: bo@school.example" in en.body_text
    assert '<html lang="nl">' in nl.body_html and "<p>E-mailadres</p>" in nl.body_html
    assert '<html lang="en">' in en.body_html and "<p>E-mail address</p>" in en.body_html


def test_the_password_reset_mail_in_both_languages(app_ctx):
    for locale in ("nl", "en"):
        subject, text, html = mail.render(
            "password_reset",
            locale,
            recipient=make_user(locale=locale, name="Loïs Ëlberg"),
            link=LINK,
        )
        assert subject and "\n" not in subject
        assert LINK in text and f'href="{LINK}"' in html
        assert f'<html lang="{locale}">' in html
        assert "Loïs Ëlberg" in text
        if locale == "en":
            assert subject == "Choose a new password for the STRAX-lab"
            assert "The link works for one hour and only once." in text
            assert "Did you not ask for this?" in html
