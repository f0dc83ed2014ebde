"""The settings page: staff change the desk's opening hours and the quota; errors keep input."""

from __future__ import annotations

import sqlalchemy as sa

from straxlab.core import settings
from straxlab.core.audit import AuditEvent
from straxlab.equipment.settings import opening_hours
from straxlab.extensions import db

VALID = {
    "desk__weekdays": "12345",
    "desk__opens": "08:30",
    "desk__closes": "17:00",
    "lending__max_assets_per_borrower": "8",
    "lab__capacity": "4",
    "lab__weekdays": "12345",
    "lab__opens": "08:30",
    "lab__closes": "17:00",
    "lab__holiday_region": "Midden",
}


def test_staff_see_the_current_values(client, auth):
    auth.login_as("staff")
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'value="08:30"' in page and 'value="12345"' in page
    assert "Openingstijden" in page or "Desk opens at" in page or "Balie" in page


def test_saving_changes_values_and_records_who(app, client, auth):
    user = auth.login_as("staff")
    response = client.post("/admin/settings", data={**VALID, "desk__closes": "16:30"})
    assert response.status_code == 302
    with app.app_context():
        assert opening_hours().closes.strftime("%H:%M") == "16:30"
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "setting.changed")
        )
        assert event.actor_id == user.id and event.details["new"] == "16:30"


def test_invalid_value_is_shown_on_its_field_and_nothing_is_saved(app, client, auth):
    auth.login_as("staff")
    data = {**VALID, "desk__opens": "half negen", "lending__max_assets_per_borrower": "3"}
    response = client.post("/admin/settings", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="half negen"' in page
    assert 'id="desk__opens-error"' in page
    with app.app_context():
        assert settings.get("lending.max_assets_per_borrower") == 8


def test_desk_must_close_after_it_opens(client, auth):
    auth.login_as("staff")
    response = client.post("/admin/settings", data={**VALID, "desk__closes": "08:00"})
    assert response.status_code == 200
    assert 'id="desk__closes-error"' in response.get_data(as_text=True)


def test_out_of_range_quota_is_refused(client, auth):
    auth.login_as("staff")
    response = client.post(
        "/admin/settings", data={**VALID, "lending__max_assets_per_borrower": "0"}
    )
    assert 'id="lending__max_assets_per_borrower-error"' in response.get_data(as_text=True)
