"""Every route x every role -> the expected status. A new route without a row fails here."""

from __future__ import annotations

import pytest

from straxlab.auth.models import User
from straxlab.extensions import db
from tests.compliance.matrix_dashboard import ROWS as DASHBOARD_ROWS
from tests.compliance.matrix_plans import ROWS as PLAN_ROWS
from tests.compliance.matrix_teamwork import ROWS as TEAMWORK_ROWS
from tests.design_teams.matrix_days import ROWS as DAY_ROWS
from tests.design_teams.matrix_lab import ROWS as LAB_ROWS
from tests.design_teams.matrix_programmes import ROWS as PROGRAMME_ROWS
from tests.design_teams.matrix_teams import ROWS as TEAM_ROWS
from tests.equipment.matrix_catalogue import ROWS as CATALOGUE_ROWS
from tests.equipment.matrix_staff import ROWS as STAFF_EQUIPMENT_ROWS
from tests.equipment.matrix_teacher import ROWS as TEACHER_EQUIPMENT_ROWS
from tests.factories import make_design_team_objects, make_lending_objects, make_user
from tests.feeds.matrix_feeds import ROWS as FEED_ROWS
from tests.mail.matrix_mail import ROWS as MAIL_ROWS
from tests.matrix import ROLES, Row, everyone, logged_in, managers_only, staff_and_managers

# Placeholders: {target} is another user; the lending ones come from `lending_objects`.
MATRIX: dict[str, list[Row]] = {
    **TEACHER_EQUIPMENT_ROWS,
    **STAFF_EQUIPMENT_ROWS,
    **CATALOGUE_ROWS,
    **TEAM_ROWS,
    **PROGRAMME_ROWS,
    **DAY_ROWS,
    **LAB_ROWS,
    **PLAN_ROWS,
    **TEAMWORK_ROWS,
    **DASHBOARD_ROWS,
    **FEED_ROWS,
    **MAIL_ROWS,
    "static": [Row("GET", "/static/css/straxlab.css", everyone(200))],
    "healthz": [Row("GET", "/healthz", everyone(200))],
    "home.index": [Row("GET", "/", logged_in(200))],
    "auth.login": [
        Row("GET", "/login", {"anonymous": 200, "teacher": 302, "staff": 302, "manager": 302}),
        Row("POST", "/login", {"anonymous": 200, "teacher": 302, "staff": 302, "manager": 302}),
    ],
    "auth.logout": [Row("POST", "/logout", everyone(302))],
    "auth.language": [Row("POST", "/language", everyone(302), {"locale": "nl", "next": "/"})],
    # Fields missing from a POST keep their stored values, so an empty POST saves and redirects.
    "auth.account": [
        Row("GET", "/account", logged_in(200)),
        Row("POST", "/account", logged_in(302)),
    ],
    "auth.change_password": [
        Row("GET", "/account/password", logged_in(200)),
        Row("POST", "/account/password", logged_in(200)),
    ],
    "admin.users": [Row("GET", "/admin/users", managers_only(200))],
    "admin.new_user": [
        Row("GET", "/admin/users/new", managers_only(200)),
        Row("POST", "/admin/users/new", managers_only(200)),
    ],
    "admin.user": [
        Row("GET", "/admin/users/{target}", managers_only(200)),
        Row("POST", "/admin/users/{target}", managers_only(302)),
    ],
    "admin.deactivate": [Row("POST", "/admin/users/{target}/deactivate", managers_only(302))],
    "admin.reactivate": [Row("POST", "/admin/users/{target}/reactivate", managers_only(302))],
    # Staff keep the lab's settings, managers the compliance thresholds: both open the page.
    "admin.settings": [
        Row("GET", "/admin/settings", staff_and_managers(200)),
        Row("POST", "/admin/settings", staff_and_managers(200)),
    ],
    "admin.temporary_password": [
        Row("POST", "/admin/users/{target}/temporary-password", managers_only(200))
    ],
}


@pytest.fixture
def target_id(app):
    """The id of another user, the object of the /admin/users/{target} routes."""
    with app.app_context():
        target = make_user(email="doelwit@school.example")
        # A second manager, so that guards for "the last manager" do not mask access rules.
        make_user(role="manager", email="reserve-manager@school.example")
        db.session.commit()
        return target.id


@pytest.fixture
def placeholders(app, target_id):
    """Ids for every placeholder a row's path may use; the reservation is someone else's."""
    with app.app_context():
        objects = make_lending_objects()
        owner = db.session.get(User, objects["owner"])
        team_objects = make_design_team_objects(owner)
        db.session.commit()
        return {"target": target_id, **objects, **team_objects}


CASES = [
    pytest.param(endpoint, row, role, id=f"{row.method} {row.path} as {role}")
    for endpoint, rows in MATRIX.items()
    for row in rows
    for role in ROLES
]


def test_every_route_has_a_row(app):
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    covered = {(endpoint, row.method) for endpoint, rows in MATRIX.items() for row in rows}
    assert routes - covered == set(), "routes without an authorisation row"
    assert covered - routes == set(), "rows for routes that no longer exist"


@pytest.mark.parametrize(("endpoint", "row", "role"), CASES)
def test_authorisation(client, auth, placeholders, endpoint, row, role):
    if role != "anonymous":
        auth.login_as(role)
    path = row.path.format(**placeholders)
    response = client.get(path) if row.method == "GET" else client.post(path, data=dict(row.data))
    response.close()
    assert response.status_code == row.expect[role], f"{endpoint}: {row.method} {path} as {role}"


POST_ROWS = [
    pytest.param(row, id=f"POST {row.path}")
    for rows in MATRIX.values()
    for row in rows
    if row.method == "POST"
]


@pytest.mark.parametrize("row", POST_ROWS)
def test_every_post_needs_a_csrf_token(client, auth, placeholders, row):
    auth.login_as("manager")
    response = client.post(row.path.format(**placeholders), data=dict(row.data), csrf=False)
    assert response.status_code == 400
