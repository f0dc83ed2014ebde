"""Self-service password reset: a signed link by mail that works for an hour, once."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from itsdangerous import URLSafeTimedSerializer

from straxlab.auth import passwords, services
from straxlab.auth.models import User
from straxlab.core import clock
from straxlab.core.audit import AuditEvent
from straxlab.core.errors import InvalidRequest
from straxlab.extensions import db
from straxlab.mail import sender
from straxlab.mail.models import OutboxMessage
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.mail.outbox import rows

NOW = datetime(2026, 3, 2, 14, 30, 15, tzinfo=UTC)
NEW_PASSWORD = "zeven gele fietsen op het dak"
LINK = re.compile(r"https?://[^/\s]+(/password/reset/[A-Za-z0-9_.\-]+)")
SENT_TEXT = "If an account exists for this address, we have sent a link"
EXPIRED_TEXT = "This link has expired or was already used."


def _user(**overrides):
    return make_user(locale="en", email="sanne@school.example", name="Sanne Smit", **overrides)


def _link(message: OutboxMessage) -> str:
    match = LINK.search(message.body_text)
    assert match, message.body_text
    assert f'href="{match.group(0)}"' in message.body_html
    return match.group(1)


def _token(path: str) -> str:
    return path.rsplit("/", 1)[1]


# -- services -----------------------------------------------------------------------------


def test_a_token_works_for_one_hour(app_ctx):
    user = _user()
    token = services.make_reset_token(user, now=NOW)
    assert services.user_for_reset_token(token, now=NOW) is user
    assert services.user_for_reset_token(token, now=NOW + timedelta(minutes=59)) is user
    assert services.user_for_reset_token(token, now=NOW + timedelta(seconds=3600)) is user
    assert services.user_for_reset_token(token, now=NOW + timedelta(seconds=3601)) is None
    # A token from the future (a clock running behind) is not accepted either.
    assert services.user_for_reset_token(token, now=NOW - timedelta(minutes=5)) is None


@pytest.mark.parametrize(
    "token",
    ["", "x", "a" * 600, "not.a.token", "é", "..", "eyJ1c2VyIjoxfQ.AAAAAA.BBBBBBBB"],
)
def test_garbage_is_no_token(app_ctx, token):
    _user()
    assert services.user_for_reset_token(token, now=NOW) is None


def test_a_token_signed_otherwise_is_refused(app_ctx):
    user = _user()
    token = services.make_reset_token(user, now=NOW)
    # One changed character in the signature (not the last: its low bits are padding).
    payload_part, stamp, signature = token.split(".")
    flipped = "A" if signature[0] != "A" else "B"
    forged = f"{payload_part}.{stamp}.{flipped}{signature[1:]}"
    assert services.user_for_reset_token(forged, now=NOW) is None
    # The same payload under another salt (another kind of signed link of this app).
    key = app_ctx.config["SECRET_KEY"]
    payload = URLSafeTimedSerializer(key, salt="password-reset").loads(token)
    other_salt = URLSafeTimedSerializer(key, salt="email-change").dumps(payload)
    assert services.user_for_reset_token(other_salt, now=NOW) is None
    # The right salt but another secret key.
    other_key = URLSafeTimedSerializer("another-secret-key-0123456789abcdef", salt="password-reset")
    assert services.user_for_reset_token(other_key.dumps(payload), now=NOW) is None


@pytest.mark.parametrize(
    "payload", [[1, 2], {"user": "1", "check": "x"}, {"user": True}, {"user": 2**40, "check": ""}]
)
def test_a_signed_payload_of_the_wrong_shape_is_refused(app_ctx, payload):
    _user()
    token = URLSafeTimedSerializer(app_ctx.config["SECRET_KEY"], salt="password-reset").dumps(
        payload
    )
    assert services.user_for_reset_token(token, now=clock.now()) is None


def test_a_token_works_once(app_ctx):
    user = _user()
    token = services.make_reset_token(user, now=NOW)
    services.reset_password(user, NEW_PASSWORD, now=NOW + timedelta(minutes=2))
    db.session.commit()
    assert services.user_for_reset_token(token, now=NOW + timedelta(minutes=3)) is None


def test_a_password_change_or_ended_sessions_also_end_the_link(app_ctx):
    user = _user()
    token = services.make_reset_token(user, now=NOW)
    services.end_all_sessions(user)
    assert services.user_for_reset_token(token, now=NOW) is None
    token = services.make_reset_token(user, now=NOW)
    services.change_password(user, DEFAULT_PASSWORD, NEW_PASSWORD, now=NOW)
    assert services.user_for_reset_token(token, now=NOW) is None


def test_no_link_works_for_a_deactivated_user(app_ctx):
    user = _user()
    token = services.make_reset_token(user, now=NOW)
    user.is_active = False
    assert services.user_for_reset_token(token, now=NOW) is None


def test_reset_password_sets_it_ends_sessions_and_audits(app_ctx):
    user = _user(must_change_password=True)
    user.feed_token_hash = "f" * 64
    version = user.session_version
    services.reset_password(user, NEW_PASSWORD, now=NOW)
    db.session.commit()
    assert user.feed_token_hash is None, "calendar links made by a former holder stop"
    assert passwords.verify_password(user.password_hash, NEW_PASSWORD)
    assert not passwords.verify_password(user.password_hash, DEFAULT_PASSWORD)
    assert user.must_change_password is False
    assert user.session_version == version + 1
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.object_id == user.id))
    assert (event.action, event.actor_id, event.at) == ("user.password_reset", user.id, NOW)


def test_reset_password_follows_the_password_rules(app_ctx):
    user = _user()
    with force_locale("en"):
        with pytest.raises(InvalidRequest) as too_short:
            services.reset_password(user, "kort", now=NOW)
        with pytest.raises(InvalidRequest) as same:
            services.reset_password(user, DEFAULT_PASSWORD, now=NOW)
        with pytest.raises(InvalidRequest) as personal:
            services.reset_password(user, "sanne@school.example", now=NOW)
    assert too_short.value.field == "password"
    assert "Use at least 12 characters" in str(too_short.value)
    assert "differs from your current one" in str(same.value)
    assert "name or e-mail address" in str(personal.value)


def test_a_request_queues_one_security_mail_with_a_working_link(app_ctx):
    user = _user()
    services.request_password_reset("  Sanne@School.example ", now=NOW)
    db.session.commit()
    [message] = rows()
    assert message.kind == "security"
    assert message.to_address == "sanne@school.example"
    assert message.dedupe_key == f"password-reset:{user.id}:20260302T1430"
    assert message.subject == "Choose a new password for the STRAX-lab"
    path = _link(message)
    assert services.user_for_reset_token(_token(path), now=NOW + timedelta(minutes=10)) == user


def test_a_double_submit_sends_one_mail_a_later_request_another(app_ctx):
    _user()
    services.request_password_reset("sanne@school.example", now=NOW)
    services.request_password_reset("sanne@school.example", now=NOW + timedelta(seconds=20))
    db.session.commit()
    assert len(rows()) == 1
    services.request_password_reset("sanne@school.example", now=NOW + timedelta(minutes=1))
    db.session.commit()
    assert len(rows()) == 2


@pytest.mark.parametrize("address", ["nobody@school.example", "not an address", ""])
def test_no_mail_for_an_unknown_address(app_ctx, address):
    _user()
    services.request_password_reset(address, now=NOW)
    db.session.commit()
    assert rows() == []


def test_no_mail_for_a_deactivated_account(app_ctx):
    _user(is_active=False)
    services.request_password_reset("sanne@school.example", now=NOW)
    db.session.commit()
    assert rows() == []


# -- pages --------------------------------------------------------------------------------


def _english(client):
    client.post("/language", data={"locale": "en", "next": "/"})


def _ask(client, email):
    return client.post("/password/forgot", data={"email": email})


def _only_message(app) -> OutboxMessage:
    with app.app_context():
        [message] = rows()
        db.session.expunge(message)
        return message


def test_the_login_page_links_to_the_forgotten_password_page(client):
    _english(client)
    page = client.get("/login").get_data(as_text=True)
    assert '<a href="/password/forgot">Forgot your password?</a>' in page


def _page_without_tokens(response) -> str:
    text = response.get_data(as_text=True)
    return re.sub(r'(name="csrf-token" content=|name="csrf_token" value=)"[^"]+"', "", text)


def test_the_answer_is_the_same_whether_or_not_the_account_exists(app, client):
    with app.app_context():
        _user()
        make_user(email="weg@school.example", is_active=False)
        db.session.commit()
    _english(client)
    pages = []
    for email in ("sanne@school.example", "nobody@school.example", "weg@school.example"):
        response = _ask(client, email)
        assert response.status_code == 302
        assert response.location == "/password/forgot?sent=1"
        pages.append(_page_without_tokens(client.get(response.location)))
    assert pages[0] == pages[1] == pages[2]
    assert SENT_TEXT in pages[0] and "it works for one hour" in pages[0]
    # Only the existing, active account got a mail.
    with app.app_context():
        assert [message.to_address for message in rows()] == ["sanne@school.example"]


def test_the_forgot_form_asks_for_an_address(client):
    _english(client)
    response = client.post("/password/forgot", data={"email": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="email-error"' in page and "This field is required." in page
    assert SENT_TEXT not in page


def test_the_whole_reset(app, client):
    with app.app_context():
        user = _user()
        db.session.commit()
        user_id = user.id
    # A session on another device, which the reset must end.
    other = app.test_client()
    other.post("/login", data={"email": "sanne@school.example", "password": DEFAULT_PASSWORD})
    assert other.get("/").status_code == 200

    _english(client)
    _ask(client, "sanne@school.example")
    path = _link(_only_message(app))

    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    assert "Choose a new password" in text and 'autocomplete="new-password"' in text
    assert f'action="{path}"' in text

    response = client.post(path, data={"new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.location == "/login"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    login_page = client.get("/login").get_data(as_text=True)
    assert "Your password has been changed. Log in with your new password." in login_page

    assert other.get("/").status_code == 302  # the other session ended
    old_login = {"email": "sanne@school.example", "password": DEFAULT_PASSWORD}
    assert client.post("/login", data=old_login).status_code == 200
    new_login = {"email": "sanne@school.example", "password": NEW_PASSWORD}
    assert client.post("/login", data=new_login).status_code == 302

    # The link was used: it no longer works, by GET or POST.
    client.post("/logout")
    _english(client)
    again = client.get(path)
    assert again.status_code == 400
    assert again.headers["Referrer-Policy"] == "no-referrer"
    assert EXPIRED_TEXT in again.get_data(as_text=True)
    assert 'href="/password/forgot"' in again.get_data(as_text=True)
    replay = client.post(
        path, data={"new": "nog een ander wachtwoord", "confirm": "nog een ander wachtwoord"}
    )
    assert replay.status_code == 400
    with app.app_context():
        assert passwords.verify_password(db.session.get(User, user_id).password_hash, NEW_PASSWORD)
        actions = db.session.scalars(sa.select(AuditEvent.action)).all()
        assert actions.count("user.password_reset") == 1


def test_the_new_password_form_shows_the_same_errors_as_the_change_page(app, client):
    with app.app_context():
        _user()
        db.session.commit()
    _english(client)
    _ask(client, "sanne@school.example")
    path = _link(_only_message(app))

    page = client.post(path, data={"new": "kort", "confirm": "kort"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="new-error"' in text and "Use at least 12 characters" in text
    assert text.startswith("<!doctype html>") and "<title>Error: Choose a new password" in text

    text = client.post(path, data={"new": NEW_PASSWORD, "confirm": "iets anders"}).get_data(
        as_text=True
    )
    assert 'id="confirm-error"' in text and "The two new passwords differ." in text

    text = client.post(path, data={"new": DEFAULT_PASSWORD, "confirm": DEFAULT_PASSWORD}).get_data(
        as_text=True
    )
    assert "Choose a password that differs from your current one." in text
    # After errors the link still works.
    assert client.post(path, data={"new": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302


def test_an_expired_link_says_so(app, client):
    with app.app_context():
        _user()
        db.session.commit()
    _english(client)
    with clock.frozen(NOW):
        _ask(client, "sanne@school.example")
    path = _link(_only_message(app))
    with clock.frozen(NOW + timedelta(minutes=59)):
        assert client.get(path).status_code == 200
    with clock.frozen(NOW + timedelta(minutes=61)):
        response = client.get(path)
        assert response.status_code == 400
        assert EXPIRED_TEXT in response.get_data(as_text=True)
        posted = client.post(path, data={"new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert posted.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/password/reset/" + "a" * 2000,
        "/password/reset/%C3%A9",
        "/password/reset/...",
        "/password/reset/a.b.c",
    ],
)
def test_a_broken_link_is_never_a_server_error(client, path):
    assert client.get(path).status_code == 400
    assert client.post(path, data={"new": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 400


def test_the_mail_comes_in_the_users_language(app, client):
    with app.app_context():
        make_user(email="an@school.example", locale="nl")
        make_user(email="bo@school.example", locale="en")
        db.session.commit()
    _ask(client, "an@school.example")
    _ask(client, "bo@school.example")
    with app.app_context():
        nl, en = rows()
    assert '<html lang="nl">' in nl.body_html
    assert '<html lang="en">' in en.body_html
    assert en.subject == "Choose a new password for the STRAX-lab"


def test_requests_are_rate_limited_per_address_asked_for(app, client):
    with app.app_context():
        _user()
        db.session.commit()
    codes = [_ask(client, "sanne@school.example").status_code for _ in range(6)]
    assert codes == [302] * 5 + [429]
    # Another address is not affected.
    assert _ask(client, "bo@school.example").status_code == 302


def test_the_link_arrives_over_smtp_and_works(app, client, smtp_server):
    app.config.update(smtp_server.mail_config(BASE_URL="https://strax.school.example"))
    with app.app_context():
        _user()
        db.session.commit()
    _english(client)
    _ask(client, "sanne@school.example")
    with app.app_context():
        assert sender.deliver(clock.now()) == 1
    [received] = smtp_server.messages
    assert received["To"] == "sanne@school.example"
    assert received["Subject"] == "Choose a new password for the STRAX-lab"
    text = received.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"https://strax\.school\.example(/password/reset/\S+)", text)
    assert match, text
    response = client.post(match.group(1), data={"new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.location == "/login"
