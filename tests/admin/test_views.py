from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from straxlab.auth.models import User
from straxlab.auth.rules import Role
from straxlab.extensions import db
from tests.factories import make_user


def _user(app, email):
    with app.app_context():
        return db.session.scalar(sa.select(User).where(User.email == email))


def test_manager_creates_a_user_and_sees_the_temporary_password_once(app, client, auth):
    auth.login_as("manager")
    response = client.post(
        "/admin/users/new",
        data={"name": "Lotte Jansen", "email": "L.Jansen@School.example", "role": "staff"},
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    temporary = re.search(r"<code>([a-z0-9-]{19})</code>", page).group(1)
    user = _user(app, "l.jansen@school.example")
    assert user.role is Role.STAFF and user.must_change_password
    # The temporary password is nowhere in the session cookie.
    assert temporary not in (client.get_cookie("straxlab_session").value or "")
    other = app.test_client()
    response = other.post(
        "/login", data={"email": "l.jansen@school.example", "password": temporary}
    )
    assert response.location == "/account/password"


def test_create_form_keeps_input_and_shows_field_errors(app, client, auth):
    auth.login_as("manager")
    with app.app_context():
        make_user(email="bezet@school.example")
        db.session.commit()
    page = client.post(
        "/admin/users/new",
        data={"name": "Nieuwe Collega", "email": "bezet@school.example", "role": "teacher"},
    ).get_data(as_text=True)
    assert 'id="email-error"' in page and "Er bestaat al een account met dit e-mailadres." in page
    assert 'value="Nieuwe Collega"' in page
    page = client.post(
        "/admin/users/new",
        data={"name": "Nieuwe Collega", "email": "geen adres", "role": "teacher"},
    ).get_data(as_text=True)
    assert "Vul een geldig e-mailadres in" in page
    page = client.post(
        "/admin/users/new", data={"name": "X", "email": "x@school.example", "role": "koning"}
    ).get_data(as_text=True)
    assert 'id="role-error"' in page


def test_role_change_is_shown_in_the_history_with_who(app, client, auth):
    manager = auth.login_as("manager", name="Fatima El Amrani")
    with app.app_context():
        target = make_user(role=Role.TEACHER, email="doc@school.example", name="Daan Smit")
        db.session.commit()
        target_id = target.id
    response = client.post(
        f"/admin/users/{target_id}",
        data={"name": "Daan Smit", "email": "doc@school.example", "role": "staff"},
    )
    assert response.status_code == 302
    page = client.get(f"/admin/users/{target_id}").get_data(as_text=True)
    assert "Rol gewijzigd van Docent in Labmedewerker" in page
    assert "door Fatima El Amrani" in page
    assert _user(app, "doc@school.example").role is Role.STAFF
    assert manager.id


def test_deactivate_reactivate_and_last_manager_guard(app, client, auth):
    manager = auth.login_as("manager")
    with app.app_context():
        target = make_user(email="weg@school.example")
        db.session.commit()
        target_id = target.id
    client.post(f"/admin/users/{target_id}/deactivate")
    assert not _user(app, "weg@school.example").is_active
    page = client.get(f"/admin/users/{target_id}").get_data(as_text=True)
    assert "Gedeactiveerd" in page
    client.post(f"/admin/users/{target_id}/reactivate")
    assert _user(app, "weg@school.example").is_active
    response = client.post(f"/admin/users/{manager.id}/deactivate", follow_redirects=True)
    assert "Je kunt je eigen account niet deactiveren." in response.get_data(as_text=True)
    page = client.post(
        f"/admin/users/{manager.id}", data={"name": "Ik", "email": manager.email, "role": "teacher"}
    ).get_data(as_text=True)
    assert "minstens één actieve manager" in page


def test_user_list_filters_and_paginates(app, client, auth):
    auth.login_as("manager", name="Anouk Visser")
    with app.app_context():
        for n in range(30):
            make_user(name=f"Docent {n:02d}", email=f"docent{n}@school.example")
        make_user(
            name="Joost Bakker", role=Role.STAFF, email="joost@school.example", is_active=False
        )
        db.session.commit()
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Pagina 1 van 2" in page
    page = client.get("/admin/users?q=joost").get_data(as_text=True)
    assert "Joost Bakker" in page and "Docent 01" not in page
    page = client.get("/admin/users?status=inactive").get_data(as_text=True)
    assert "Joost Bakker" in page and "Anouk Visser" not in page
    page = client.get("/admin/users?role=staff&status=active").get_data(as_text=True)
    assert "Geen gebruikers gevonden" in page
    assert client.get("/admin/users?q=%25_").status_code == 200
    assert client.get("/admin/users?page=99").status_code == 200


def test_unknown_user_is_404(client, auth):
    auth.login_as("manager")
    assert client.get("/admin/users/999999").status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/admin/users/2147483648", "/admin/users/99999999999999999999999", "/admin/users/-1"],
)
def test_ids_beyond_the_database_range_are_404(client, auth, path):
    auth.login_as("manager")
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("page", ["99999999999999999999", "4611686018427387904", "-5", "abc", "0"])
def test_odd_page_numbers_are_not_errors(client, auth, page):
    auth.login_as("manager")
    assert client.get(f"/admin/users?page={page}").status_code == 200


def test_a_page_past_the_end_says_so(client, auth):
    auth.login_as("manager")
    page = client.get("/admin/users?page=5").get_data(as_text=True)
    assert "voorbij het einde van de lijst" in page


def test_search_ignores_case_beyond_ascii(app, client, auth):
    auth.login_as("manager")
    with app.app_context():
        make_user(name="Ünal Çelik", email="u.celik@school.example")
        db.session.commit()
    page = client.get("/admin/users?q=ünal çelik").get_data(as_text=True)
    assert "Ünal Çelik" in page


@pytest.mark.parametrize(
    "action",
    [
        "user.created",
        "user.role_changed",
        "user.email_changed",
        "user.deactivated",
        "user.reactivated",
        "user.temporary_password_set",
        "user.password_changed",
        "user.password_reset",
        "user.feed_token_created",
        "user.feed_token_regenerated",
    ],
)
def test_every_account_event_reads_as_a_sentence_in_both_languages(app, action):
    from flask_babel import force_locale

    from straxlab.admin.views import describe_event
    from straxlab.core.audit import AuditEvent

    event = AuditEvent(action=action, details={"role": "teacher", "old": "a", "new": "b"})
    with app.test_request_context():
        with force_locale("en"):
            english = describe_event(event)
        with force_locale("nl"):
            dutch = describe_event(event)
    assert english != action and dutch != action
    assert english != dutch
