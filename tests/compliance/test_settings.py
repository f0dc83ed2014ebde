"""The compliance thresholds on the settings page: managers change them, the rules use them."""

from __future__ import annotations

from straxlab.compliance.rules import Thresholds
from straxlab.compliance.settings import retention_months, thresholds

VALID = {
    "compliance__plan_weeks": "3",
    "compliance__attendance_percent": "75",
    "compliance__milestone_grace_days": "14",
    "compliance__progress_weeks": "4",
    "compliance__attendance_retention_months": "24",
}


def test_managers_see_only_the_compliance_group(client, auth):
    auth.login_as("manager", locale="en")
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "Minimum attendance per member (%)" in page
    assert 'name="compliance__attendance_percent"' in page
    assert 'name="lab__capacity"' not in page and 'name="desk__opens"' not in page


def test_staff_do_not_see_the_thresholds(client, auth):
    auth.login_as("staff", locale="en")
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'name="lab__capacity"' in page
    assert "compliance__" not in page


def test_a_manager_changes_the_thresholds_the_rules_use(app, client, auth):
    auth.login_as("manager", locale="en")
    data = {**VALID, "compliance__attendance_percent": "80", "compliance__plan_weeks": "5"}
    response = client.post("/admin/settings", data=data)
    assert response.status_code == 302
    with app.app_context():
        assert thresholds() == Thresholds(
            plan_weeks=5, attendance_percent=80, milestone_grace_days=14, progress_weeks=4
        )
        assert retention_months() == 24


def test_out_of_range_threshold_is_refused_and_kept(app, client, auth):
    auth.login_as("manager", locale="en")
    response = client.post(
        "/admin/settings", data={**VALID, "compliance__attendance_percent": "120"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="compliance__attendance_percent-error"' in page
    assert 'value="120"' in page
    with app.app_context():
        assert thresholds().attendance_percent == 75
