from __future__ import annotations

import pytest

from straxlab.auth.models import User
from straxlab.extensions import db
from tests.factories import DEFAULT_PASSWORD, make_user


def test_login_page_is_dutch_by_default(client):
    response = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="nl">' in page
    assert "Inloggen bij het STRAX-lab" in page


def test_login_and_home(client, auth):
    user = auth.login_as("teacher", name="Sanne de Vries")
    page = client.get("/").get_data(as_text=True)
    assert "Welkom, Sanne de Vries" in page
    assert user.email


@pytest.mark.parametrize("email", ["user@school.example", "nobody@school.example"])
def test_failed_login_does_not_reveal_whether_the_account_exists(app, client, email):
    with app.app_context():
        make_user(email="user@school.example")
        db.session.commit()
    response = client.post("/login", data={"email": email, "password": "wrong password!!"})
    assert response.status_code == 200
    assert "Het e-mailadres of wachtwoord klopt niet." in response.get_data(as_text=True)


def test_deactivated_user_gets_the_same_message(app, client):
    with app.app_context():
        make_user(email="gone@school.example", is_active=False)
        db.session.commit()
    response = client.post(
        "/login", data={"email": "gone@school.example", "password": DEFAULT_PASSWORD}
    )
    assert "Het e-mailadres of wachtwoord klopt niet." in response.get_data(as_text=True)


def test_login_records_last_login(app, auth):
    info = auth.login_as("staff")
    with app.app_context():
        assert db.session.get(User, info.id).last_login_at is not None


SESSION_COOKIE = "straxlab_session"


def _cookie(client):
    return client.get_cookie(SESSION_COOKIE).value


def _replay(app, cookie):
    """A second browser that presents a copy of an old session cookie."""
    other = app.test_client()
    other.set_cookie(SESSION_COOKIE, cookie)
    return other.get("/")


def test_a_fresh_session_on_login(client, auth, app):
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted_before_login"] = "x"
        token_before = sess["csrf_token"]
    auth.login_as("teacher")
    with client.session_transaction() as sess:
        assert "planted_before_login" not in sess
        assert sess.get("csrf_token") != token_before


def test_logout_ends_every_copy_of_the_session_cookie(app, client, auth):
    auth.login_as("teacher")
    copy = _cookie(client)
    assert _replay(app, copy).status_code == 200
    response = auth.logout()
    assert response.status_code == 302 and response.location.endswith("/login")
    replay = _replay(app, copy)
    assert replay.status_code == 302 and "/login" in replay.location


def test_logout_by_get_is_not_possible(client, auth):
    auth.login_as("teacher")
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


def test_password_change_ends_other_sessions_but_keeps_this_one(app, client, auth):
    info = auth.login_as("teacher")
    other = app.test_client()
    other.post("/login", data={"email": info.email, "password": DEFAULT_PASSWORD})
    assert other.get("/").status_code == 200
    response = client.post(
        "/account/password",
        data={
            "current": DEFAULT_PASSWORD,
            "new": "paarse fiets op het dak 42",
            "confirm": "paarse fiets op het dak 42",
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    assert auth.login(info.email, "paarse fiets op het dak 42").status_code == 302


def test_password_change_errors_sit_next_to_their_fields(client, auth):
    auth.login_as("teacher")
    page = client.post(
        "/account/password", data={"current": "fout wachtwoord", "new": "kort", "confirm": "kort"}
    ).get_data(as_text=True)
    assert 'id="current-error"' in page
    assert "Je huidige wachtwoord klopt niet." in page
    page = client.post(
        "/account/password", data={"current": DEFAULT_PASSWORD, "new": "kort", "confirm": "kort"}
    ).get_data(as_text=True)
    assert 'id="new-error"' in page and "Gebruik minstens 12 tekens" in page
    page = client.post(
        "/account/password",
        data={
            "current": DEFAULT_PASSWORD,
            "new": "paarse fiets op het dak 42",
            "confirm": "anders",
        },
    ).get_data(as_text=True)
    assert 'id="confirm-error"' in page and "niet gelijk" in page


def test_deactivation_ends_the_users_sessions(app, client, auth):
    teacher = auth.login_as("teacher")
    teacher_cookie = _cookie(client)
    manager_client = app.test_client()
    with app.app_context():
        make_user(role="manager", email="baas@school.example")
        db.session.commit()
    manager_client.post(
        "/login", data={"email": "baas@school.example", "password": DEFAULT_PASSWORD}
    )
    assert _replay(app, teacher_cookie).status_code == 200
    assert manager_client.post(f"/admin/users/{teacher.id}/deactivate").status_code == 302
    assert _replay(app, teacher_cookie).status_code == 302


def test_post_without_csrf_token_is_rejected(app, client, auth):
    info = auth.login_as("teacher")
    response = client.post("/logout", csrf=False, data={})
    assert response.status_code == 400
    assert "Het formulier is verlopen" in response.get_data(as_text=True)
    response = app.test_client().post(
        "/login", data={"email": info.email, "password": DEFAULT_PASSWORD}, csrf=False
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [("/account", "/account"), ("https://evil.example/", "/"), ("//evil.example", "/")],
)
def test_login_follows_next_only_on_this_site(app, client, next_url, expected):
    with app.app_context():
        make_user(email="n@school.example")
        db.session.commit()
    response = client.post(
        "/login", data={"email": "n@school.example", "password": DEFAULT_PASSWORD, "next": next_url}
    )
    assert response.status_code == 302
    assert response.location == expected


def test_login_redirect_carries_next(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=%2Faccount")
    page = client.get(response.location).get_data(as_text=True)
    assert 'name="next" type="hidden" value="/account"' in page


def test_temporary_password_forces_a_change_first(app, client):
    with app.app_context():
        make_user(email="tijdelijk@school.example", must_change_password=True)
        db.session.commit()
    response = client.post(
        "/login", data={"email": "tijdelijk@school.example", "password": DEFAULT_PASSWORD}
    )
    assert response.location == "/account/password"
    assert client.get("/").location == "/account/password"
    assert client.get("/admin/users").location == "/account/password"
    client.post(
        "/account/password",
        data={
            "current": DEFAULT_PASSWORD,
            "new": "paarse fiets op het dak 42",
            "confirm": "paarse fiets op het dak 42",
        },
    )
    assert client.get("/").status_code == 200


def test_language_switch_for_anonymous_and_remembered_for_users(app, client, auth):
    response = client.post("/language", data={"locale": "en", "next": "/login"})
    assert response.location == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Log in to the STRAX-lab" in page
    info = auth.login_as("teacher")
    client.post("/language", data={"locale": "en", "next": "/"})
    assert "Welcome," in client.get("/").get_data(as_text=True)
    auth.logout()
    with client.session_transaction() as sess:
        sess.clear()
    auth.login(info.email)
    assert "Welcome," in client.get("/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, info.id).locale == "en"


def test_language_switch_ignores_unknown_locales_and_foreign_next(client):
    client.post("/language", data={"locale": "de", "next": "/login"})
    assert '<html lang="nl">' in client.get("/login").get_data(as_text=True)
    assert (
        client.post("/language", data={"locale": "en", "next": "https://evil.example"}).location
        == "/"
    )


def test_account_page_saves_name_and_language(app, client, auth):
    info = auth.login_as("teacher")
    response = client.post("/account", data={"name": "Sanne van Dijk", "locale": "en"})
    assert response.status_code == 302
    page = client.get("/account").get_data(as_text=True)
    assert "Sanne van Dijk" in page and "My account" in page
    page = client.post("/account", data={"name": "", "locale": "en"}).get_data(as_text=True)
    assert "This field is required." in page
    with app.app_context():
        assert db.session.get(User, info.id).name == "Sanne van Dijk"


def test_security_headers(client):
    response = client.get("/login")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "Strict-Transport-Security" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logged_in_pages_are_not_cached(client, auth):
    auth.login_as("teacher")
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_error_pages_are_translated(client, auth):
    assert "Pagina niet gevonden" in client.get("/bestaat-niet").get_data(as_text=True)
    client.post("/language", data={"locale": "en", "next": "/"})
    assert "Page not found" in client.get("/bestaat-niet").get_data(as_text=True)
    auth.login_as("teacher")
    response = client.get("/admin/users")
    assert response.status_code == 403


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_no_inline_scripts_or_styles_in_pages(client):
    page = client.get("/login").get_data(as_text=True)
    assert "<script" not in page
    assert "style=" not in page


def test_unexpected_errors_get_a_translated_500_page(app_factory):
    app = app_factory()
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/kapot")
    def broken():
        raise RuntimeError("boom")

    response = app.test_client().get("/kapot")
    assert response.status_code == 500
    assert "Er ging bij ons iets mis" in response.get_data(as_text=True)


def test_domain_errors_that_escape_a_view_are_not_a_500(app_factory):
    from straxlab.core.errors import Conflict

    app = app_factory()

    @app.route("/botsing")
    def clash():
        raise Conflict("Dit exemplaar is al gereserveerd.")

    response = app.test_client().get("/botsing")
    assert response.status_code == 409
    assert "Dit exemplaar is al gereserveerd." in response.get_data(as_text=True)


def test_hsts_behind_a_trusted_tls_proxy(app_factory):
    app = app_factory(TRUSTED_PROXY_COUNT=1)
    response = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_forwarded_headers_are_ignored_without_a_trusted_proxy(client):
    response = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("POST", "/login", {"email": "m\x00@x.nl", "password": "wachtwoord"}),
        ("POST", "/login", {"email": "m@x.nl", "password": "wacht\x00woord"}),
        ("GET", "/login?next=%00", None),
    ],
)
def test_nul_bytes_are_a_400_not_a_500(client, method, path, data):
    response = client.post(path, data=data) if method == "POST" else client.get(path)
    assert response.status_code == 400


def test_nul_bytes_in_logged_in_forms(client, auth):
    auth.login_as("manager")
    assert client.get("/admin/users?q=a%00b").status_code == 400
    assert client.post("/account", data={"name": "Ik\x00", "locale": "nl"}).status_code == 400


def test_405_keeps_the_allow_header(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_wtforms_own_messages_come_from_the_dutch_catalogue(client, auth):
    auth.login_as("teacher")
    page = client.post("/account", data={"name": "x" * 121, "locale": "nl"}).get_data(as_text=True)
    assert "Gebruik hooguit 120 tekens." in page
    page = client.post("/account", data={"name": "Ik", "locale": "fr"}).get_data(as_text=True)
    assert "Kies een van de mogelijkheden uit de lijst." in page


def test_language_switch_returns_to_a_page_that_can_be_shown(app):
    from straxlab.web import _return_path

    with app.test_request_context("/admin/users?q=jan"):
        assert _return_path() == "/admin/users?q=jan"
    with app.test_request_context("/login", method="POST"):
        assert _return_path() == "/login"
    with app.test_request_context("/logout", method="POST"):
        assert _return_path() == "/"


def _fail_login(client, email, n):
    return [
        client.post("/login", data={"email": email, "password": "fout wachtwoord"}).status_code
        for _ in range(n)
    ]


def test_failed_logins_are_throttled_per_account(app, client, auth):
    with app.app_context():
        make_user(email="doelwit@school.example")
        db.session.commit()
    assert _fail_login(client, "doelwit@school.example", 10) == [200] * 10
    response = client.post(
        "/login", data={"email": "doelwit@school.example", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 429
    assert "Te veel pogingen" in response.get_data(as_text=True)
    assert "Retry-After" in response.headers
    # Another account from the same address is not affected.
    auth.login_as("teacher")


def test_successful_logins_are_not_counted(app, client, auth):
    info = auth.login_as("teacher")
    for _ in range(12):
        auth.logout()
        assert auth.login(info.email).status_code == 302


def test_login_throttling_with_shared_redis_storage(app_factory):
    import os
    import uuid

    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("set TEST_REDIS_URL to test shared (multi-worker) rate limit storage")
    settings = {"RATELIMIT_STORAGE_URI": redis_url, "LOGIN_LIMIT_PER_ACCOUNT": "3/15minutes"}
    email = f"redis-{uuid.uuid4().hex}@school.example"
    # Two app instances stand for two workers: they share the counter through Redis.
    first = app_factory(**settings).test_client()
    second = app_factory(**settings).test_client()
    codes = _fail_login(first, email, 2) + _fail_login(second, email, 2)
    assert codes == [200, 200, 200, 429]


def test_the_password_check_runs_outside_the_sqlite_write_lock(app, client, monkeypatch):
    import sqlite3

    from straxlab.auth import services

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite only")
    with app.app_context():
        make_user(email="slot@school.example")
        db.session.commit()
        path = db.engine.url.database
    seen = []
    real_verify = services.passwords.verify_password

    def verify_and_probe(password_hash, password):
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            seen.append("free")
        except sqlite3.OperationalError:
            seen.append("locked")
        finally:
            other.close()
        return real_verify(password_hash, password)

    monkeypatch.setattr(services.passwords, "verify_password", verify_and_probe)
    response = client.post(
        "/login", data={"email": "slot@school.example", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert seen == ["free"]


def test_page_title_announces_form_errors(client):
    page = client.post("/login", data={"email": "", "password": ""}).get_data(as_text=True)
    assert "<title>Fout: Inloggen · STRAX-lab</title>" in page
    assert "<title>Inloggen · STRAX-lab</title>" in client.get("/login").get_data(as_text=True)
