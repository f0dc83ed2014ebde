"""The account page's choice of e-mail notifications."""

from __future__ import annotations

import re

from straxlab.auth.models import User
from straxlab.extensions import db
from straxlab.mail import services as mail
from straxlab.mail.rules import Notice

LENDING_AND_TEAMS = [
    "reservation_decided",
    "reservation_changed",
    "pickup_reminder",
    "return_reminder",
    "overdue",
    "programme_decided",
    "lab_day_changed",
    "lab_day_reminder",
    "plan_decided",
]
CHECKBOX = re.compile(r'<input[^>]*name="notices"[^>]*>')


def _checkboxes(page: str) -> dict[str, bool]:
    boxes = {}
    for tag in CHECKBOX.findall(page):
        value = re.search(r'value="([^"]+)"', tag).group(1)
        boxes[value] = "checked" in tag
    return boxes


def _wanted(app, user_id) -> set[Notice]:
    with app.app_context():
        return mail.wanted_notices(user_id)


def test_a_teacher_chooses_the_lending_and_team_mail(client, auth):
    auth.login_as("teacher", locale="en")
    page = client.get("/account").get_data(as_text=True)
    assert "<legend" in page and "E-mail notifications</legend>" in page
    assert "Security mail, such as a link to reset your password, is always sent." in page
    assert _checkboxes(page) == dict.fromkeys(LENDING_AND_TEAMS, True)
    assert "Reminder to pick up equipment (the afternoon before)" in page
    assert "The afternoon before your reservation starts, with the pickup time." in page
    # Every checkbox has its label and its one-line explanation tied to it.
    for tag in CHECKBOX.findall(page):
        box_id = re.search(r'id="([^"]+)"', tag).group(1)
        assert f'aria-describedby="{box_id}-hint"' in tag
        assert f'<label for="{box_id}">' in page
        assert f'id="{box_id}-hint"' in page
    assert "Weekly compliance digest" not in page


def test_a_manager_also_chooses_the_weekly_digest(client, auth):
    auth.login_as("manager", locale="en")
    page = client.get("/account").get_data(as_text=True)
    assert list(_checkboxes(page)) == [*LENDING_AND_TEAMS, "compliance_digest"]
    assert "Weekly compliance digest (managers)" in page


def test_saving_keeps_the_ticked_kinds_and_the_other_details(app, client, auth):
    info = auth.login_as("teacher", locale="en", name="Sanne Smit")
    response = client.post(
        "/account",
        data={
            "name": "Sanne de Vries",
            "locale": "en",
            "notices_shown": "1",
            "notices": ["overdue", "plan_decided"],
        },
    )
    assert response.status_code == 302 and response.location == "/account"
    # Kinds the page did not offer (the managers' digest) keep their setting.
    assert _wanted(app, info.id) == {
        Notice.OVERDUE,
        Notice.PLAN_DECIDED,
        Notice.SECURITY,
        Notice.COMPLIANCE_DIGEST,
    }
    with app.app_context():
        assert db.session.get(User, info.id).name == "Sanne de Vries"
    page = client.get("/account").get_data(as_text=True)
    assert "Your details have been saved." in page
    boxes = _checkboxes(page)
    assert [kind for kind, ticked in boxes.items() if ticked] == ["overdue", "plan_decided"]


def test_unticking_everything_turns_off_all_but_security_mail(app, client, auth):
    info = auth.login_as("manager", locale="en")
    response = client.post("/account", data={"name": "Baas", "locale": "en", "notices_shown": "1"})
    assert response.status_code == 302
    assert _wanted(app, info.id) == {Notice.SECURITY}


def test_a_post_without_the_checkboxes_keeps_the_choices(app, client, auth):
    info = auth.login_as("teacher", locale="en")
    with app.app_context():
        mail.set_wanted_notices(info.id, [Notice.OVERDUE])
        db.session.commit()
    response = client.post("/account", data={"name": "Nieuwe Naam", "locale": "en"})
    assert response.status_code == 302
    assert _wanted(app, info.id) == {Notice.OVERDUE, Notice.SECURITY}


def test_an_error_elsewhere_saves_no_choices(app, client, auth):
    info = auth.login_as("teacher", locale="en")
    response = client.post("/account", data={"name": "", "locale": "en", "notices_shown": "1"})
    assert response.status_code == 200
    assert _wanted(app, info.id) == set(Notice)
    # The page shows what was ticked (nothing), not the stored choice.
    assert not any(_checkboxes(response.get_data(as_text=True)).values())


def test_kinds_that_are_not_offered_are_refused(app, client, auth):
    info = auth.login_as("teacher", locale="en")
    for value in ("compliance_digest", "security", "bogus"):
        response = client.post(
            "/account",
            data={"name": "X", "locale": "en", "notices_shown": "1", "notices": ["overdue", value]},
        )
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert 'class="field checkbox-group field--error"' in page
        assert "Not a valid choice." in page
    assert _wanted(app, info.id) == set(Notice)
