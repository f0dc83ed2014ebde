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
    response = client.post("/login", data={"email": "gone@school.example", "password": DEFAULT_PASSWORD})
    assert "Het e-mailadres of wachtwoord klopt niet." in response.get_data(as_text=True)


def test_login_records_last_login(app, auth):
    info = auth.login_as("staff")
    with app.app_context():
        assert db.session.get(User, info.id).last_login_at is not None
