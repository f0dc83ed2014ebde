"""The home pages' compliance parts: a teacher's team light, the manager's overview."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from straxlab.core import clock
from straxlab.design_teams import calendar_queries
from straxlab.extensions import db
from tests.equipment.test_desk_queries import count_statements
from tests.factories import (
    make_closure,
    make_plan,
    make_programme,
    make_team,
    make_user,
    next_lab_day,
)


def text(response) -> str:
    body = re.sub(
        r'<span class="cell-label"[^>]*>[^<]*</span>', " ", response.get_data(as_text=True)
    )
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


@pytest.fixture
def lab(app):
    """A late team (lab days since five weeks, no plan) and a team whose plan is approved."""
    with app.app_context():
        staff = make_user(role="staff", email="staff@school.example")
        manager = make_user(role="manager", email="boss@school.example", locale="en")
        teacher = make_user(email="teacher@school.example", locale="en")
        fine = make_team(make_user(), [make_user()], name="Escape rooms")
        with clock.frozen(clock.now() - timedelta(days=40)):
            late = make_team(teacher, [make_user()], name="Podcasts in Nederlands")
            make_programme(late, first_day=next_lab_day(2), approve_by=staff)
        make_programme(fine, first_day=next_lab_day(9), approve_by=staff)
        make_plan(fine, approve_by=manager)
        db.session.commit()
        return {"manager": manager.email, "teacher": teacher.email}


def test_teacher_home_shows_the_team_light_and_its_worst_reason(client, auth, lab):
    auth.login(lab["teacher"])
    page = text(client.get("/"))
    assert "Podcasts in Nederlands" in page
    assert "Not on track" in page
    assert "The plan should have been approved by" in page


def test_manager_home_lists_every_team_worst_first_with_reasons(client, auth, lab):
    auth.login(lab["manager"])
    page = text(client.get("/"))
    late = page.index("Podcasts in Nederlands")
    fine = page.index("Escape rooms")
    assert late < fine
    assert "Not on track" in page[late:fine]
    assert "The plan should have been approved by" in page[late:fine]
    assert "1 team" in page
    assert "team places used" in page


def test_manager_home_statements_do_not_grow_with_teams(app, client, auth, lab):
    auth.login(lab["manager"])
    with app.app_context(), count_statements() as few:
        client.get("/")
    with app.app_context():
        for number in range(6):
            make_team(make_user(), [make_user()], name=f"Extra team {number}")
        db.session.commit()
    with app.app_context(), count_statements() as many:
        client.get("/")
    assert len(many) == len(few)


def test_utilisation_counts_places_on_open_lab_days_only(app_ctx):
    staff = make_user(role="staff")
    team = make_team(make_user(), [make_user()])
    first_day = next_lab_day(35)
    make_programme(team, first_day=first_day, day_count=1, approve_by=staff)
    month_start = first_day.replace(day=1)
    before = calendar_queries.utilisation(month_start)
    assert before.used == 1
    assert before.offered == before.open_days * 4
    # Closing another weekday of the month takes its places out of the offer.
    other = next(
        day
        for day in (month_start + timedelta(days=offset) for offset in range(28))
        if day.isoweekday() <= 5 and day != first_day
    )
    make_closure(other)
    after = calendar_queries.utilisation(month_start)
    assert after.open_days == before.open_days - 1
    assert after.offered == before.offered - 4
