"""The design-team pages: the team list, a new team, the team page, editing it, members."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from straxlab.auth.models import User
from straxlab.core import clock
from straxlab.design_teams import services
from straxlab.design_teams.models import DesignDay, DesignTeam, Membership
from straxlab.extensions import db
from tests.equipment.test_desk_queries import count_statements
from tests.factories import make_programme, make_team, make_user, next_lab_day

AMS = ZoneInfo("Europe/Amsterdam")


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """An instant on the lab's wall clock."""
    return datetime(year, month, day, hour, minute, tzinfo=AMS).astimezone(UTC)


def page(response) -> str:
    return response.get_data(as_text=True)


def squash(body: str) -> str:
    """The page's text without tags and phone-only cell labels, white space collapsed."""
    body = re.sub(r'<span class="cell-label"[^>]*>[^<]*</span>', " ", body)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


@pytest.fixture
def people(app):
    """A coordinator with a team of three, an outsider and an unrelated team."""
    with app.app_context():
        coordinator = make_user(email="coord@school.example", name="Cora Coördinator", locale="en")
        member = make_user(email="member@school.example", name="Mats Member", locale="en")
        other = make_user(email="other@school.example", name="Olga Other", locale="en")
        make_user(email="outsider@school.example", name="Otto Outsider", locale="en")
        stranger = make_user(email="stranger@school.example", name="Sven Vreemd", locale="en")
        team = make_team(coordinator, [member, other], name="VR in de zorg")
        elsewhere = make_team(stranger, [make_user()], name="Drones bij bouw")
        db.session.commit()
        membership = db.session.scalar(
            sa.select(Membership.id).where(
                Membership.team_id == team.id, Membership.user_id == member.id
            )
        )
        return {
            "team": team.id,
            "elsewhere": elsewhere.id,
            "membership": membership,
            "coordinator": coordinator.id,
            "member": member.id,
            "other": other.id,
        }


def login(auth, email: str) -> None:
    response = auth.login(email)
    assert response.status_code == 302


def membership_of(app, team_id: int, user_id: int) -> Membership | None:
    with app.app_context():
        return db.session.scalar(
            sa.select(Membership)
            .where(Membership.team_id == team_id, Membership.user_id == user_id)
            .order_by(Membership.id.desc())
        )


# The list -------------------------------------------------------------------------------


def test_a_teacher_sees_only_their_teams_with_coordinator_and_members(client, auth, people):
    login(auth, "member@school.example")
    body = page(client.get("/teams"))
    assert "VR in de zorg" in body
    assert "Cora Coördinator" in body
    assert "Drones bij bouw" not in body
    assert 'href="/teams/new"' in body
    row = squash(body[body.index("VR in de zorg") :])
    assert "Cora Coördinator 3" in row


def test_a_teacher_without_a_team_is_told_to_create_one(client, auth, people):
    login(auth, "outsider@school.example")
    body = page(client.get("/teams"))
    assert "You are not in a design team yet. Create a team" in body
    assert "VR in de zorg" not in body
    assert 'href="/teams/new"' in body


def test_a_former_member_still_finds_the_team_in_the_list(app, client, auth, people):
    with app.app_context():
        membership = db.session.get(Membership, people["membership"])
        services.end_membership(
            membership, actor=db.session.get(User, people["member"]), now=clock.now()
        )
        db.session.commit()
    login(auth, "member@school.example")
    assert "VR in de zorg" in page(client.get("/teams"))


def test_staff_see_every_team_and_can_search_by_name(client, auth, people):
    auth.login_as("staff", locale="en")
    body = page(client.get("/teams"))
    assert "VR in de zorg" in body and "Drones bij bouw" in body
    body = page(client.get("/teams?q=drone"))
    assert "Drones bij bouw" in body and "VR in de zorg" not in body
    body = page(client.get("/teams?q=nothing-like-this"))
    assert "No team name contains" in body


def test_the_list_shows_the_current_programme(app, client, auth, people):
    with app.app_context():
        team = db.session.get(DesignTeam, people["team"])
        first = next_lab_day(7)
        make_programme(team, first_day=first, approve_by=make_user(role="staff"))
        db.session.commit()
    auth.login_as("manager", locale="en")
    row = squash(page(client.get("/teams")))
    weekday = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"][first.isoweekday() - 1]
    assert f"Cora Coördinator 3 Approved {weekday}" in row
    assert "No lab days yet" in row  # the other team


@pytest.mark.parametrize("query", ["?page=99999999999", "?page=x", "?q=" + "a" * 500, "?q=%25_"])
def test_odd_list_parameters_do_not_break_the_page(client, auth, people, query):
    auth.login_as("staff", locale="en")
    assert client.get("/teams" + query).status_code == 200


def _teams(count: int, batch: str) -> None:
    staff = db.session.scalar(sa.select(User).where(User.email == "batch-staff@school.example"))
    staff = staff or make_user(role="staff", email="batch-staff@school.example")
    for n in range(count):
        coordinator = make_user(email=f"{batch}-{n}@school.example")
        team = make_team(coordinator, [make_user(), make_user()], name=f"{batch} team {n}")
        make_programme(team, first_day=next_lab_day(7 + n), approve_by=staff)
    db.session.commit()


def test_the_list_takes_the_same_number_of_statements_for_more_teams(app, client, auth):
    auth.login_as("staff", locale="en")

    def statements() -> int:
        with app.app_context(), count_statements() as seen:
            response = client.get("/teams")
            assert response.status_code == 200
        return len(seen)

    with app.app_context():
        _teams(2, "few")
    few = statements()
    with app.app_context():
        _teams(6, "many")
    assert statements() == few
    assert few <= 10


# A new team -----------------------------------------------------------------------------


def test_a_teacher_creates_a_team_they_coordinate(app, client, auth):
    teacher = auth.login_as("teacher", locale="en", name="Tess Teacher")
    body = page(client.get("/teams/new"))
    assert 'name="coordinator"' not in body
    response = client.post(
        "/teams/new", data={"name": "  Podcasts in Engels ", "theme": "Audio", "department": ""}
    )
    assert response.status_code == 302
    with app.app_context():
        team = db.session.scalar(
            sa.select(DesignTeam).where(DesignTeam.name == "Podcasts in Engels")
        )
        assert team.coordinator_id == teacher.id
        assert response.headers["Location"].endswith(f"/teams/{team.id}")
    assert "Tess Teacher" in page(client.get(response.headers["Location"]))


def test_a_taken_name_shows_beside_the_field_and_keeps_the_input(client, auth, people):
    auth.login_as("teacher", locale="en")
    response = client.post(
        "/teams/new", data={"name": "vr in de zorg", "theme": "Mijn thema", "department": "ICT"}
    )
    assert response.status_code == 200
    body = page(response)
    assert "There is already a team with this name." in body
    assert 'value="Mijn thema"' in body and 'value="ICT"' in body
    assert "<title>Error:" in body


def test_a_missing_name_is_an_error_not_a_crash(client, auth):
    auth.login_as("teacher", locale="en")
    response = client.post("/teams/new", data={"theme": "x"})
    assert response.status_code == 200
    assert "This field is required." in page(response)


def test_staff_pick_the_coordinator_from_active_users_by_name(app, client, auth, people):
    auth.login_as("staff", locale="en", name="Anna Staff")
    with app.app_context():
        inactive = make_user(name="Inge Inactief", is_active=False).id
        db.session.commit()
    body = page(client.get("/teams/new"))
    options = re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]*)</option>', body)
    names = [label.split(" (")[0] for _, label in options]
    assert names == sorted(names, key=str.lower)
    assert "Inge Inactief" not in names and "Cora Coördinator" in names
    response = client.post(
        "/teams/new",
        data={"name": "Escape rooms", "theme": "Spel", "coordinator": str(people["other"])},
    )
    assert response.status_code == 302
    with app.app_context():
        team = db.session.scalar(sa.select(DesignTeam).where(DesignTeam.name == "Escape rooms"))
        assert team.coordinator_id == people["other"]
        member_ids = [m.user_id for m in services.active_members(team.id, date.today())]
        assert member_ids == [people["other"]]
    response = client.post(
        "/teams/new", data={"name": "Weer een", "theme": "Spel", "coordinator": str(inactive)}
    )
    assert response.status_code == 200
    assert "Not a valid choice" in page(response)


# The team page --------------------------------------------------------------------------


def test_a_teacher_cannot_read_another_team(client, auth, people):
    login(auth, "outsider@school.example")
    team = people["team"]
    assert client.get(f"/teams/{team}").status_code == 404
    assert client.get(f"/teams/{team}/edit").status_code == 404
    assert client.post(f"/teams/{team}/edit", data={"name": "x"}).status_code == 404
    assert client.post(f"/teams/{team}/members", data={"email": "x@y.z"}).status_code == 404
    path = f"/teams/{team}/members/{people['membership']}/end"
    assert client.post(path, data={"confirm": "y"}).status_code == 404


def test_unknown_and_huge_team_ids_are_404(client, auth, people):
    auth.login_as("staff", locale="en")
    assert client.get("/teams/999999").status_code == 404
    assert client.get("/teams/99999999999999999999").status_code == 404
    assert client.get(f"/teams/{people['team']}/members/999999/end").status_code == 405


def test_a_member_reads_the_team_but_cannot_change_it(app, client, auth, people):
    login(auth, "member@school.example")
    team = people["team"]
    body = page(client.get(f"/teams/{team}"))
    assert "Mats Member" in body and "Olga Other" in body
    assert "Request lab days" not in body
    assert f'href="/teams/{team}/edit"' not in body
    assert 'name="email"' not in body
    assert client.get(f"/teams/{team}/edit").status_code == 403
    response = client.post(f"/teams/{team}/edit", data={"name": "Gekaapt", "theme": "x"})
    assert response.status_code == 403
    response = client.post(f"/teams/{team}/members", data={"email": "outsider@school.example"})
    assert response.status_code == 403
    other = membership_of(app, team, people["other"])
    response = client.post(f"/teams/{team}/members/{other.id}/end", data={"confirm": "y"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(DesignTeam, team).name == "VR in de zorg"


def test_the_coordinator_sees_the_links_to_run_the_team(client, auth, people):
    login(auth, "coord@school.example")
    team = people["team"]
    body = page(client.get(f"/teams/{team}"))
    assert "Request lab days" in body
    assert f"/programmes/new?team={team}" in body
    assert f'href="/teams/{team}/edit"' in body
    assert 'name="email"' in body
    assert "End membership of Mats Member" in body


def test_managers_read_every_team_but_change_nothing(client, auth, people):
    auth.login_as("manager", locale="en")
    team = people["team"]
    assert client.get(f"/teams/{team}").status_code == 200
    assert client.get(f"/teams/{team}/edit").status_code == 403
    response = client.post(f"/teams/{team}/members", data={"email": "outsider@school.example"})
    assert response.status_code == 403


def test_the_team_page_lists_programmes_and_upcoming_design_days(app, client, auth, people):
    with app.app_context():
        team = db.session.get(DesignTeam, people["team"])
        programme = make_programme(team, day_count=3, approve_by=make_user(role="staff"))
        db.session.commit()
        days = list(
            db.session.scalars(sa.select(DesignDay).where(DesignDay.programme_id == programme.id))
        )
        programme_id = programme.id
    login(auth, "member@school.example")
    body = page(client.get(f"/teams/{people['team']}"))
    assert f"/programmes/{programme_id}" in body
    assert "09:00–16:00" in squash(body)
    for day in days:
        assert f"/lab/days/{day.id}" in body
    assert "Scheduled" in body


# Editing --------------------------------------------------------------------------------


def test_the_coordinator_renames_the_team_and_hands_over_coordination(app, client, auth, people):
    login(auth, "coord@school.example")
    team = people["team"]
    body = page(client.get(f"/teams/{team}/edit"))
    assert 'value="VR in de zorg"' in body
    options = re.findall(r'<option[^>]*value="(\d+)"', body)
    assert sorted(int(o) for o in options) == sorted(
        [people["coordinator"], people["member"], people["other"]]
    )
    response = client.post(
        f"/teams/{team}/edit",
        data={
            "name": "VR in de zorg en welzijn",
            "theme": "Simulaties",
            "department": "Z&W",
            "coordinator": str(people["member"]),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        changed = db.session.get(DesignTeam, team)
        assert (changed.name, changed.theme, changed.department) == (
            "VR in de zorg en welzijn",
            "Simulaties",
            "Z&W",
        )
        assert changed.coordinator_id == people["member"]
    # No longer the coordinator: a reader only.
    assert client.get(f"/teams/{team}/edit").status_code == 403


def test_the_coordinator_must_be_an_active_member(client, auth, people):
    login(auth, "coord@school.example")
    response = client.post(
        f"/teams/{people['team']}/edit",
        data={"name": "VR in de zorg", "theme": "x", "coordinator": "999999"},
    )
    assert response.status_code == 200
    assert "Not a valid choice" in page(response)


def test_staff_edit_any_team_and_a_taken_name_is_shown(client, auth, people):
    auth.login_as("staff", locale="en")
    response = client.post(
        f"/teams/{people['team']}/edit",
        data={
            "name": "Drones bij bouw",
            "theme": "Nieuw thema",
            "coordinator": str(people["coordinator"]),
        },
    )
    assert response.status_code == 200
    body = page(response)
    assert "There is already a team with this name." in body
    assert 'value="Nieuw thema"' in body


# Members --------------------------------------------------------------------------------


def test_the_coordinator_adds_a_member_by_e_mail_address(app, client, auth, people):
    login(auth, "coord@school.example")
    team = people["team"]
    response = client.post(f"/teams/{team}/members", data={"email": " Outsider@School.example "})
    assert response.status_code == 302
    with app.app_context():
        outsider = db.session.scalar(
            sa.select(User.id).where(User.email == "outsider@school.example")
        )
    membership = membership_of(app, team, outsider)
    assert membership is not None and membership.left_on is None
    assert "Otto Outsider is now a member" in page(client.get(f"/teams/{team}"))


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("nobody@school.example", "No active user with this e-mail address."),
        ("inactive@school.example", "No active user with this e-mail address."),
        ("member@school.example", "Mats Member is already a member."),
        ("", "Type the e-mail address of the person to add."),
    ],
)
def test_adding_a_member_shows_errors_on_the_team_page(app, client, auth, people, email, message):
    with app.app_context():
        make_user(email="inactive@school.example", is_active=False)
        db.session.commit()
    login(auth, "coord@school.example")
    response = client.post(f"/teams/{people['team']}/members", data={"email": email})
    assert response.status_code == 200
    body = page(response)
    assert message in body
    assert "VR in de zorg" in body
    if email:
        assert f'value="{email}"' in body
    assert 'aria-invalid="true"' in body


def test_a_member_leaves_and_still_sees_the_history(app, client, auth, people):
    login(auth, "member@school.example")
    team = people["team"]
    path = f"/teams/{team}/members/{people['membership']}/end"
    response = client.post(path, data={})
    assert response.status_code == 200
    assert "Tick the box to confirm." in page(response)
    assert membership_of(app, team, people["member"]).left_on is None
    response = client.post(path, data={"confirm": "y"})
    assert response.status_code == 302
    assert membership_of(app, team, people["member"]).left_on is not None
    body = page(client.get(f"/teams/{team}"))
    former = body[body.index("Former members") :]
    assert "Mats Member" in former
    assert "Leave team" not in body
    # A former member may not end anyone's membership.
    other = membership_of(app, team, people["other"])
    response = client.post(f"/teams/{team}/members/{other.id}/end", data={"confirm": "y"})
    assert response.status_code == 403


def test_staff_remove_a_member_but_not_the_coordinator(app, client, auth, people):
    auth.login_as("staff", locale="en")
    team = people["team"]
    response = client.post(
        f"/teams/{team}/members/{people['membership']}/end", data={"confirm": "y"}
    )
    assert response.status_code == 302
    coordinator = membership_of(app, team, people["coordinator"])
    response = client.post(f"/teams/{team}/members/{coordinator.id}/end", data={"confirm": "y"})
    assert response.status_code == 200
    assert "Hand the coordination to another member" in page(response)
    assert membership_of(app, team, people["coordinator"]).left_on is None


def test_a_membership_of_another_team_is_404(app, client, auth, people):
    auth.login_as("staff", locale="en")
    with app.app_context():
        foreign = db.session.scalar(
            sa.select(Membership.id).where(Membership.team_id == people["elsewhere"])
        )
    response = client.post(f"/teams/{people['team']}/members/{foreign}/end", data={"confirm": "y"})
    assert response.status_code == 404


# Attendance -----------------------------------------------------------------------------


def test_attendance_counts_held_days_while_a_member_and_days_present(app, client, auth):
    """Mondays 2, 9, 16 and 23 November 2026; Mats leaves on 10 November."""
    with app.app_context():
        with clock.frozen(at(2026, 10, 26, 8)):
            coordinator = make_user(email="coord@school.example", name="Cora C", locale="en")
            member = make_user(email="member@school.example", name="Mats M")
            third = make_user(name="Tara T")
            team = make_team(coordinator, [member, third], name="Attendance team")
            make_programme(
                team,
                first_day=date(2026, 11, 2),
                day_count=4,
                approve_by=make_user(role="staff"),
            )
        days = {
            d.day: d
            for d in db.session.scalars(sa.select(DesignDay).where(DesignDay.team_id == team.id))
        }
        with clock.frozen(at(2026, 11, 2, 10)):
            services.check_in(days[date(2026, 11, 2)], user=coordinator, now=clock.now())
            services.check_in(days[date(2026, 11, 2)], user=member, now=clock.now())
        with clock.frozen(at(2026, 11, 9, 10)):
            services.check_in(days[date(2026, 11, 9)], user=coordinator, now=clock.now())
        with clock.frozen(at(2026, 11, 10, 10)):
            membership = db.session.scalar(
                sa.select(Membership).where(
                    Membership.team_id == team.id, Membership.user_id == member.id
                )
            )
            services.end_membership(membership, actor=member, now=clock.now())
        db.session.commit()
        team_id = team.id
        upcoming = days[date(2026, 11, 23)].id
    login(auth, "coord@school.example")
    with clock.frozen(at(2026, 11, 17, 9)):
        body = page(client.get(f"/teams/{team_id}"))
    summary = squash(body[body.index('id="attendance-heading"') :])
    # Rounded down, like the compliance check: 2 of 3 has not reached 67 %.
    assert "Cora C 2 3 66%" in summary
    assert "Mats M (former member) 1 2 50%" in summary
    assert "Tara T 0 3 0%" in summary
    assert f"/lab/days/{upcoming}" in body
    upcoming_days = body[body.index('id="days-heading"') : body.index('id="attendance-heading"')]
    assert upcoming_days.count("/lab/days/") == 1


def test_the_team_page_takes_the_same_number_of_statements_for_more_members(
    app, client, auth, people
):
    auth.login_as("staff", locale="en")

    def statements() -> int:
        with app.app_context(), count_statements() as seen:
            assert client.get(f"/teams/{people['team']}").status_code == 200
        return len(seen)

    few = statements()
    with app.app_context():
        team = db.session.get(DesignTeam, people["team"])
        coordinator = db.session.get(User, people["coordinator"])
        for _ in range(4):
            services.add_member(team, make_user(), actor=coordinator, now=clock.now())
        make_programme(team, approve_by=make_user(role="staff"))
        db.session.commit()
    assert statements() == few


def test_the_teacher_home_lists_my_teams_with_their_programme(app, client, auth):
    me = auth.login_as("teacher", locale="en")
    with app.app_context():
        make_team(db.session.get(User, me.id), [make_user()], name="Podcasts in Nederlands")
        make_team(make_user(), [make_user()], name="Niet mijn team")
        db.session.commit()
    body = client.get("/").get_data(as_text=True)
    assert "Podcasts in Nederlands" in body
    assert "Niet mijn team" not in body
