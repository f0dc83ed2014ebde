"""The team-work pages (milestones, progress log, lesson scenarios) and the team page's
compliance section, over HTTP."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from straxlab.auth.models import User
from straxlab.compliance.models import (
    LessonScenario,
    Milestone,
    ProfessionalisationPlan,
    ProgressEntry,
)
from straxlab.compliance.work_views import evidence_link
from straxlab.core import clock
from straxlab.design_teams import services as teams
from straxlab.design_teams.models import DesignTeam
from straxlab.extensions import db
from tests.equipment.test_desk_queries import count_statements
from tests.factories import (
    make_milestone,
    make_plan,
    make_programme,
    make_progress_entry,
    make_scenario,
    make_team,
    make_user,
)

LAB_ZONE = ZoneInfo("Europe/Amsterdam")


def page(response) -> str:
    return response.get_data(as_text=True)


def squash(body: str) -> str:
    """The page's text without tags and phone-only cell labels, white space collapsed."""
    body = re.sub(r'<span class="cell-label"[^>]*>[^<]*</span>', " ", body)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def today() -> date:
    """Today on the lab's clock (the test configuration's zone)."""
    return clock.today(LAB_ZONE)


def shown(day: date) -> str:
    """A date as the pages show it ("d MMM y", English)."""
    return f"{day.day} {day:%b} {day.year}"


@pytest.fixture
def people(app):
    """A coordinator and a member of "VR in de zorg", an outsider, and another team with a
    milestone, a log entry and a lesson scenario of its own."""
    with app.app_context():
        coordinator = make_user(email="coord@school.example", name="Cora Coördinator", locale="en")
        member = make_user(email="member@school.example", name="Mats Member", locale="en")
        make_user(email="outsider@school.example", name="Otto Outsider", locale="en")
        team = make_team(coordinator, [member], name="VR in de zorg")
        stranger = make_user(email="stranger@school.example", locale="en")
        elsewhere = make_team(stranger, [make_user()], name="Drones bij bouw")
        foreign_milestone = make_milestone(elsewhere, title="Drone-les")
        foreign_entry = make_progress_entry(elsewhere)
        foreign_scenario = make_scenario(elsewhere)
        db.session.commit()
        return {
            "team": team.id,
            "elsewhere": elsewhere.id,
            "coordinator": coordinator.id,
            "member": member.id,
            "foreign_milestone": foreign_milestone.id,
            "foreign_entry": foreign_entry.id,
            "foreign_scenario": foreign_scenario.id,
        }


def login(auth, email: str) -> None:
    assert auth.login(email).status_code == 302


def team_of(team_id: int) -> DesignTeam:
    return db.session.get_one(DesignTeam, team_id)


def milestones_of(app, team_id: int) -> list[Milestone]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(Milestone)
                .join(ProfessionalisationPlan, ProfessionalisationPlan.id == Milestone.plan_id)
                .where(ProfessionalisationPlan.team_id == team_id)
                .order_by(Milestone.id)
            )
        )


# Milestones -----------------------------------------------------------------------------


def test_a_member_adds_a_milestone_and_sees_it_in_the_list(app, client, auth, people):
    login(auth, "member@school.example")
    url = f"/teams/{people['team']}/milestones"
    body = page(client.get(url))
    assert "No milestones yet" in body
    assert f'href="{url}/new"' in body and "Add milestone" in body
    assert client.get(f"{url}/new").status_code == 200

    due = today() + timedelta(days=10)
    response = client.post(
        f"{url}/new", data={"title": "  Eerste VR-les getest ", "due_on": due.isoformat()}
    )
    assert response.status_code == 302 and response.headers["Location"] == url

    [milestone] = milestones_of(app, people["team"])
    assert (milestone.title, milestone.due_on, milestone.done_on) == (
        "Eerste VR-les getest",
        due,
        None,
    )
    body = page(client.get(url))
    assert "Milestone “Eerste VR-les getest” added." in body
    assert f"Eerste VR-les getest {shown(due)} Due –" in squash(body)


def test_a_member_marks_a_milestone_done_with_a_link_as_evidence(app, client, auth, people):
    with app.app_context():
        milestone = make_milestone(team_of(people["team"]), title="Les getest")
        db.session.commit()
        milestone_id, due = milestone.id, milestone.due_on
    login(auth, "member@school.example")
    url = f"/teams/{people['team']}/milestones/{milestone_id}/edit"
    body = page(client.get(url))
    assert 'value="Les getest"' in body and f'value="{due.isoformat()}"' in body

    done = today()
    response = client.post(
        url,
        data={
            "title": "Les getest",
            "due_on": due.isoformat(),
            "done_on": done.isoformat(),
            "evidence": "https://drive.example/verslag",
        },
    )
    assert response.status_code == 302
    [milestone] = milestones_of(app, people["team"])
    assert milestone.done_on == done and milestone.evidence == "https://drive.example/verslag"
    body = page(client.get(f"/teams/{people['team']}/milestones"))
    assert '<a href="https://drive.example/verslag" rel="noopener noreferrer">' in body
    assert f"Les getest {shown(due)} Done {shown(done)}" in squash(body)
    assert "Kept as evidence." in body


def test_evidence_that_is_not_a_web_address_is_shown_as_text(app, client, auth, people):
    with app.app_context():
        make_milestone(
            team_of(people["team"]),
            title="Les getest",
            done_on=today(),
            evidence="javascript:alert(1)",
        )
        make_milestone(
            team_of(people["team"]),
            title="Tweede les",
            done_on=today(),
            evidence="In de teammap <b>op Teams</b>.\nZie week 3.",
        )
        db.session.commit()
    login(auth, "member@school.example")
    body = page(client.get(f"/teams/{people['team']}/milestones"))
    assert 'href="javascript' not in body
    assert "javascript:alert(1)" in body
    assert (
        '<span class="prose">In de teammap &lt;b&gt;op Teams&lt;/b&gt;.\nZie week 3.</span>' in body
    )


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("https://drive.example/a?b=c", "https://drive.example/a?b=c"),
        ("  http://school.example/x  ", "http://school.example/x"),
        ("javascript:alert(1)", None),
        ("ftp://files.example/a", None),
        ("https://", None),
        ("see https://drive.example/a", None),
        ("http://[broken", None),
        ("In de teammap", None),
        ("", None),
    ],
)
def test_evidence_links_are_only_whole_web_addresses(text, link):
    assert evidence_link(text) == link


def test_a_future_done_date_is_refused_and_what_was_typed_stays(app, client, auth, people):
    with app.app_context():
        milestone = make_milestone(team_of(people["team"]), title="Les getest")
        db.session.commit()
        milestone_id, due = milestone.id, milestone.due_on
    login(auth, "member@school.example")
    tomorrow = today() + timedelta(days=1)
    response = client.post(
        f"/teams/{people['team']}/milestones/{milestone_id}/edit",
        data={
            "title": "Les getest en besproken",
            "due_on": due.isoformat(),
            "done_on": tomorrow.isoformat(),
            "evidence": "Verslag volgt",
        },
    )
    body = page(response)
    assert response.status_code == 200
    assert re.search(
        r'id="done_on-error">\s*<span[^>]*>Error:</span>\s*This date has not come yet.', body
    )
    assert 'value="Les getest en besproken"' in body and f'value="{tomorrow.isoformat()}"' in body
    assert "Verslag volgt</textarea>" in body
    assert "<title>Error: Edit milestone" in body
    [milestone] = milestones_of(app, people["team"])
    assert (milestone.title, milestone.done_on) == ("Les getest", None)


def test_a_date_that_is_no_date_is_a_form_error(app, client, auth, people):
    login(auth, "member@school.example")
    response = client.post(
        f"/teams/{people['team']}/milestones/new",
        data={"title": "Les", "due_on": "31-02-2026", "done_on": "9999-12-31"},
    )
    body = page(response)
    assert response.status_code == 200
    assert "Not a valid date value." in body and 'value="31-02-2026"' in body
    assert "Choose a date in the years 2000 to 2100." in body
    assert milestones_of(app, people["team"]) == []


def test_an_open_milestone_is_removed_after_confirming(app, client, auth, people):
    with app.app_context():
        milestone = make_milestone(team_of(people["team"]), title="Overbodig")
        db.session.commit()
        milestone_id = milestone.id
    login(auth, "member@school.example")
    url = f"/teams/{people['team']}/milestones/{milestone_id}/remove"

    response = client.post(url, data={})
    body = page(response)
    assert response.status_code == 200
    assert f'id="confirm-{milestone_id}-error"' in body and "Tick the box to confirm." in body
    assert len(milestones_of(app, people["team"])) == 1

    response = client.post(url, data={"confirm": "y"})
    assert response.status_code == 302
    assert milestones_of(app, people["team"]) == []
    assert "Milestone “Overbodig” removed." in page(client.get(response.headers["Location"]))


def test_a_done_milestone_cannot_be_removed(app, client, auth, people):
    with app.app_context():
        milestone = make_milestone(team_of(people["team"]), title="Gedaan", done_on=today())
        db.session.commit()
        milestone_id = milestone.id
    login(auth, "member@school.example")
    body = page(client.get(f"/teams/{people['team']}/milestones"))
    assert f"/milestones/{milestone_id}/remove" not in body

    response = client.post(
        f"/teams/{people['team']}/milestones/{milestone_id}/remove", data={"confirm": "y"}
    )
    body = page(response)
    assert response.status_code == 200
    assert re.search(
        r'<div class="form-errors" role="alert">\s*<p>A milestone that is done stays in the plan '
        r"as evidence.</p>",
        body,
    )
    assert len(milestones_of(app, people["team"])) == 1


def test_open_milestones_come_first_by_due_date_with_their_status(app, client, auth, people):
    on = today()
    with app.app_context():
        team = team_of(people["team"])
        make_milestone(team, title="Later", due_on=on + timedelta(days=30))
        make_milestone(team, title="Lang geleden", due_on=on - timedelta(days=20))
        make_milestone(team, title="Gedaan", due_on=on - timedelta(days=40), done_on=on)
        make_milestone(team, title="Net over", due_on=on - timedelta(days=1))
        make_milestone(team, title="Vandaag", due_on=on)
        db.session.commit()
    login(auth, "member@school.example")
    body = page(client.get(f"/teams/{people['team']}/milestones"))
    titles = ["Lang geleden", "Net over", "Vandaag", "Later", "Gedaan"]
    positions = [body.index(f"</span> {title}</td>") for title in titles]
    assert positions == sorted(positions)
    text = squash(body)
    assert f"Lang geleden {shown(on - timedelta(days=20))} Overdue 20 days" in text
    assert f"Net over {shown(on - timedelta(days=1))} Overdue 1 day" in text
    assert f"Vandaag {shown(on)} Due" in text
    # Past the rule's grace of 14 days the badge is red, within it amber.
    assert '<span class="badge badge--bad">Overdue 20 days</span>' in body
    assert '<span class="badge badge--warn">Overdue 1 day</span>' in body
    assert '<span class="badge badge--ok">Done</span>' in body


# Who may do what ------------------------------------------------------------------------


def test_an_outsider_does_not_learn_the_team_exists(client, auth, people):
    login(auth, "outsider@school.example")
    team = people["team"]
    for path in (
        f"/teams/{team}/milestones",
        f"/teams/{team}/milestones/new",
        f"/teams/{team}/progress",
        f"/teams/{team}/scenarios",
        f"/teams/{team}/scenarios/new",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/teams/{team}/progress", data={"text": "Hoi"}).status_code == 404


def test_objects_of_another_team_are_not_found_under_this_team(client, auth, people):
    auth.login_as("staff", locale="en")
    team = people["team"]
    assert (
        client.get(f"/teams/{team}/milestones/{people['foreign_milestone']}/edit").status_code
        == 404
    )
    assert (
        client.post(
            f"/teams/{team}/milestones/{people['foreign_milestone']}/remove", data={"confirm": "y"}
        ).status_code
        == 404
    )
    assert client.get(f"/teams/{team}/progress/{people['foreign_entry']}/edit").status_code == 404
    assert (
        client.get(f"/teams/{team}/scenarios/{people['foreign_scenario']}/edit").status_code == 404
    )
    assert client.get(f"/teams/{team}/scenarios/99999999999/edit").status_code == 404
    assert client.get("/teams/424242/milestones").status_code == 404


def test_a_manager_reads_everything_but_writes_nothing(app, client, auth, people):
    with app.app_context():
        team = team_of(people["team"])
        milestone = make_milestone(team, title="Les getest")
        make_progress_entry(team, text="Eerste dag gehad.")
        scenario = make_scenario(team, title="Tillen met VR")
        db.session.commit()
        milestone_id, scenario_id = milestone.id, scenario.id
    auth.login_as("manager", locale="en")
    base = f"/teams/{people['team']}"

    body = page(client.get(f"{base}/milestones"))
    assert "Les getest" in body and "Add milestone" not in body and "/remove" not in body
    body = page(client.get(f"{base}/progress"))
    assert "Eerste dag gehad." in body and "Add an entry" not in body
    body = page(client.get(f"{base}/scenarios"))
    assert "Tillen met VR" in body and "Add lesson scenario" not in body and "/edit" not in body

    assert client.get(f"{base}/milestones/new").status_code == 403
    assert client.post(f"{base}/milestones/new", data={"title": "x"}).status_code == 403
    assert client.get(f"{base}/milestones/{milestone_id}/edit").status_code == 403
    assert (
        client.post(f"{base}/milestones/{milestone_id}/remove", data={"confirm": "y"}).status_code
        == 403
    )
    assert (
        client.post(
            f"{base}/progress", data={"written_on": today().isoformat(), "text": "Hoi"}
        ).status_code
        == 403
    )
    assert client.get(f"{base}/scenarios/new").status_code == 403
    assert (
        client.post(f"{base}/scenarios/{scenario_id}/edit", data={"title": "x"}).status_code == 403
    )
    assert len(milestones_of(app, people["team"])) == 1


def test_lab_staff_write_for_any_team(app, client, auth, people):
    auth.login_as("staff", locale="en")
    response = client.post(
        f"/teams/{people['team']}/milestones/new",
        data={"title": "Door het lab gezet", "due_on": today().isoformat()},
    )
    assert response.status_code == 302
    assert [m.title for m in milestones_of(app, people["team"])] == ["Door het lab gezet"]


def test_a_former_member_reads_but_no_longer_writes(app, client, auth, people):
    with app.app_context():
        team = team_of(people["team"])
        membership = next(
            m for m in teams.active_members(team.id, today()) if m.user_id == people["member"]
        )
        teams.end_membership(
            membership, actor=db.session.get_one(User, people["coordinator"]), now=clock.now()
        )
        db.session.commit()
    login(auth, "member@school.example")
    body = page(client.get(f"/teams/{people['team']}/progress"))
    assert "Add an entry" not in body
    assert client.get(f"/teams/{people['team']}/milestones/new").status_code == 403


# The progress log -----------------------------------------------------------------------


def test_a_member_writes_in_the_log_with_today_as_the_default_date(app, client, auth, people):
    login(auth, "member@school.example")
    url = f"/teams/{people['team']}/progress"
    body = page(client.get(url))
    assert "The log is empty." in body
    assert re.search(rf'<input [^>]*name="written_on" [^>]*value="{today().isoformat()}"', body)

    text = "Les 1 getest met <VR-brillen>.\nVolgende keer: tweede groep."
    response = client.post(url, data={"written_on": today().isoformat(), "text": text})
    assert response.status_code == 302 and response.headers["Location"] == url
    body = page(client.get(url))
    assert "Your entry has been added to the progress log." in body
    assert (
        '<p class="prose work-log__text">Les 1 getest met &lt;VR-brillen&gt;.\n'
        "Volgende keer: tweede groep.</p>"
    ) in body
    assert "Mats Member" in body and "(edited)" not in body
    with app.app_context():
        [entry] = db.session.scalars(
            sa.select(ProgressEntry).where(ProgressEntry.team_id == people["team"])
        ).all()
        assert entry.author_id == people["member"] and entry.written_on == today()


def test_a_future_log_date_is_refused_and_the_text_stays(app, client, auth, people):
    login(auth, "member@school.example")
    tomorrow = today() + timedelta(days=1)
    response = client.post(
        f"/teams/{people['team']}/progress",
        data={"written_on": tomorrow.isoformat(), "text": "Wat we morgen gaan doen"},
    )
    body = page(response)
    assert response.status_code == 200
    assert re.search(
        r'id="written_on-error">\s*<span[^>]*>Error:</span>\s*This date has not come yet.', body
    )
    assert "Wat we morgen gaan doen</textarea>" in body
    assert f'value="{tomorrow.isoformat()}"' in body
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count(ProgressEntry.id)).where(
                    ProgressEntry.team_id == people["team"]
                )
            )
            == 0
        )


def test_an_empty_entry_is_refused(client, auth, people):
    login(auth, "member@school.example")
    response = client.post(
        f"/teams/{people['team']}/progress", data={"written_on": today().isoformat(), "text": "  "}
    )
    assert response.status_code == 200
    assert re.search(
        r'id="text-error">\s*<span[^>]*>Error:</span>\s*This field is required.', page(response)
    )


def test_only_the_author_changes_an_entry(app, client, auth, people):
    written = datetime.now(UTC) - timedelta(days=2)
    with app.app_context(), clock.frozen(written):
        entry = make_progress_entry(team_of(people["team"]), text="Eerste versie")
        db.session.commit()
        entry_id = entry.id
    url = f"/teams/{people['team']}/progress/{entry_id}/edit"

    login(auth, "member@school.example")
    assert client.get(url).status_code == 403
    assert (
        client.post(url, data={"written_on": today().isoformat(), "text": "Van mij"}).status_code
        == 403
    )
    assert "/edit" not in page(client.get(f"/teams/{people['team']}/progress"))
    auth.logout()
    auth.login_as("staff", locale="en")
    assert client.get(url).status_code == 403
    auth.logout()

    login(auth, "coord@school.example")
    body = page(client.get(f"/teams/{people['team']}/progress"))
    assert f'href="{url}"' in body
    assert "Eerste versie</textarea>" in page(client.get(url))
    day = today() - timedelta(days=1)
    response = client.post(url, data={"written_on": day.isoformat(), "text": "Tweede versie"})
    assert response.status_code == 302
    body = page(client.get(f"/teams/{people['team']}/progress"))
    assert "Tweede versie" in body and "Eerste versie" not in body
    assert "(edited)" in body
    with app.app_context():
        entry = db.session.get_one(ProgressEntry, entry_id)
        assert (entry.written_on, entry.text) == (day, "Tweede versie")


def test_an_edit_with_a_future_date_keeps_the_new_text(app, client, auth, people):
    with app.app_context():
        entry = make_progress_entry(team_of(people["team"]), text="Eerste versie")
        db.session.commit()
        entry_id = entry.id
    login(auth, "coord@school.example")
    response = client.post(
        f"/teams/{people['team']}/progress/{entry_id}/edit",
        data={"written_on": (today() + timedelta(days=3)).isoformat(), "text": "Nieuwe tekst"},
    )
    assert response.status_code == 200
    body = page(response)
    assert "This date has not come yet." in body and "Nieuwe tekst</textarea>" in body


def test_the_log_shows_25_entries_a_page_newest_first(app, client, auth, people):
    on = today()
    with app.app_context():
        team = team_of(people["team"])
        author = db.session.get_one(User, people["member"])
        for n in range(30):
            db.session.add(
                ProgressEntry(
                    team_id=team.id,
                    author_id=author.id,
                    written_on=on - timedelta(days=n),
                    text=f"Logregel {n:02d}",
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
        db.session.commit()
    login(auth, "member@school.example")
    url = f"/teams/{people['team']}/progress"
    first = page(client.get(url))
    assert first.count('class="work-log__entry"') == 25
    assert first.index("Logregel 00") < first.index("Logregel 24")
    assert "Logregel 25" not in first
    assert "Page 1 of 2" in first and f'href="{url}?page=2"' in first
    second = page(client.get(f"{url}?page=2"))
    assert second.count('class="work-log__entry"') == 5 and "Logregel 29" in second
    assert "This page is past the end of the log." in page(client.get(f"{url}?page=7"))
    for odd in ("?page=x", "?page=-3", "?page=99999999999"):
        assert client.get(url + odd).status_code == 200


# Lesson scenarios -----------------------------------------------------------------------


def test_a_scenario_needs_a_web_address_as_its_link(app, client, auth, people):
    login(auth, "member@school.example")
    url = f"/teams/{people['team']}/scenarios/new"
    assert client.get(url).status_code == 200
    fields = {
        "title": "Tillen met VR",
        "summary": "Studenten oefenen tiltechnieken.",
        "course": "Verpleegkunde",
        "cohort": "VP2A",
        "link": "drive/tillen",
        "delivered_on": today().isoformat(),
    }
    response = client.post(url, data=fields)
    body = page(response)
    assert response.status_code == 200
    assert re.search(
        r'id="link-error">\s*<span[^>]*>Error:</span>\s*Give a full web address starting with '
        r"https://, or leave it empty.",
        body,
    )
    assert 'value="drive/tillen"' in body and 'value="Verpleegkunde"' in body
    assert "Studenten oefenen tiltechnieken.</textarea>" in body
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count(LessonScenario.id)).where(
                    LessonScenario.team_id == people["team"]
                )
            )
            == 0
        )

    response = client.post(url, data={**fields, "link": "https://wiki.example/tillen"})
    assert response.status_code == 302
    body = page(client.get(f"/teams/{people['team']}/scenarios"))
    assert "Lesson scenario “Tillen met VR” added." in body
    assert '<a href="https://wiki.example/tillen" rel="noopener noreferrer">' in body
    assert (
        "Tillen met VR Used in a course Studenten oefenen tiltechnieken. Verpleegkunde (VP2A)"
        in squash(body)
    )
    assert shown(today()) in body


def test_only_a_delivered_scenario_with_a_course_counts(app, client, auth, people):
    with app.app_context():
        team = team_of(people["team"])
        make_scenario(team, title="Nog in de maak")
        make_scenario(team, title="Gegeven zonder vak", course="", delivered_on=today())
        db.session.commit()
    login(auth, "member@school.example")
    body = page(client.get(f"/teams/{people['team']}/scenarios"))
    assert "Used in a course" in body  # the hint names the badge
    assert body.count("badge--ok") == 0
    text = squash(body)
    assert "Nog in de maak – Verpleegkunde (VP2A) – Not delivered yet" in text
    assert f"Gegeven zonder vak – VP2A – {shown(today())}" in text


def test_a_member_edits_a_scenario_and_a_future_delivery_is_refused(app, client, auth, people):
    with app.app_context():
        scenario = make_scenario(team_of(people["team"]), title="Tillen met VR")
        db.session.commit()
        scenario_id = scenario.id
    login(auth, "member@school.example")
    url = f"/teams/{people['team']}/scenarios/{scenario_id}/edit"
    body = page(client.get(url))
    assert 'value="Tillen met VR"' in body and 'value="VP2A"' in body

    later = today() + timedelta(days=5)
    data = {
        "title": "Tillen met VR, versie 2",
        "course": "Verpleegkunde",
        "delivered_on": later.isoformat(),
    }
    response = client.post(url, data=data)
    assert response.status_code == 200
    body = page(response)
    assert re.search(
        r'id="delivered_on-error">\s*<span[^>]*>Error:</span>\s*This date has not come yet.', body
    )
    assert 'value="Tillen met VR, versie 2"' in body

    response = client.post(url, data={**data, "delivered_on": today().isoformat()})
    assert response.status_code == 302
    with app.app_context():
        scenario = db.session.get_one(LessonScenario, scenario_id)
        assert (scenario.title, scenario.delivered_on, scenario.cohort) == (
            "Tillen met VR, versie 2",
            today(),
            "",
        )


# The compliance section of the team page ------------------------------------------------


def section_of(body: str) -> str:
    start = body.index('id="compliance-heading"')
    return body[start : body.index("</section>", start)]


def test_the_team_page_shows_a_team_off_track_and_why(app, client, auth, people):
    due = today() - timedelta(days=20)
    with app.app_context():
        make_milestone(team_of(people["team"]), title="Eerste les getest", due_on=due)
        db.session.commit()
    login(auth, "member@school.example")
    section = section_of(page(client.get(f"/teams/{people['team']}")))
    assert re.search(
        r'class="light light--red light--large"><span class="light__symbol" aria-hidden="true">'
        r"✕</span> Not on track</span>",
        section,
    )
    text = squash(section)
    assert (
        f"Milestones Not on track Milestone “Eerste les getest” is 20 days overdue (due on "
        f"{shown(due)}); at most 14 days are allowed. Finish it and record the evidence"
    ) in text
    # Problems come before what is fine.
    assert text.index("Not on track Milestone") < text.index("Collaboration On track")
    assert f"Eerste les getest (due {shown(due)})" in text
    assert f'href="/teams/{people["team"]}/milestones"' in section


def test_the_team_page_shows_a_healthy_team_on_track(app, client, auth, people):
    with app.app_context():
        team = team_of(people["team"])
        make_programme(team, approve_by=make_user(role="staff"))
        make_plan(team, approve_by=make_user(role="manager"))
        make_milestone(team, title="Tweede les", due_on=today() + timedelta(days=20))
        make_progress_entry(team)
        make_scenario(team, delivered_on=today())
        db.session.commit()
    login(auth, "member@school.example")
    section = section_of(page(client.get(f"/teams/{people['team']}")))
    assert re.search(r'class="light light--green light--large">.*✓</span> On track</span>', section)
    text = squash(section)
    assert "Not on track" not in text and "Needs attention" not in text
    assert "Professionalisation plan Approved Open the plan" in text
    assert f'href="/teams/{people["team"]}/plan"' in section
    assert f"Tweede les (due {shown(today() + timedelta(days=20))})" in text
    assert f"Last progress entry {shown(today())} Progress log" in text
    assert "Lesson scenarios used in a course 1 Lesson scenarios" in text
    assert "1 lesson scenario(s) delivered and used in a course." in text


def test_the_section_names_the_next_three_open_milestones(app, client, auth, people):
    on = today()
    with app.app_context():
        team = team_of(people["team"])
        for days, title in ((40, "Vierde"), (10, "Tweede"), (5, "Eerste"), (20, "Derde")):
            make_milestone(team, title=title, due_on=on + timedelta(days=days))
        make_milestone(team, title="Al gedaan", due_on=on, done_on=on)
        db.session.commit()
    auth.login_as("manager", locale="en")
    text = squash(section_of(page(client.get(f"/teams/{people['team']}"))))
    assert "Next milestones Eerste" in text
    assert text.index("Eerste") < text.index("Tweede") < text.index("Derde")
    assert "Vierde" not in text and "Al gedaan" not in text
    assert "No plan yet" not in text and "Draft" in text


def test_the_team_page_takes_the_same_statements_for_more_milestones_entries_scenarios(
    app, client, auth, people
):
    with app.app_context():
        team = team_of(people["team"])
        make_programme(team, approve_by=make_user(role="staff"))
        make_milestone(team)
        make_progress_entry(team)
        make_scenario(team, delivered_on=today())
        db.session.commit()
    auth.login_as("staff", locale="en")

    def statements() -> int:
        with app.app_context(), count_statements() as seen:
            assert client.get(f"/teams/{people['team']}").status_code == 200
        return len(seen)

    few = statements()
    with app.app_context():
        team = team_of(people["team"])
        on = today()
        for n in range(6):
            make_milestone(team, title=f"Mijlpaal {n}", due_on=on - timedelta(days=n * 9))
            make_milestone(team, title=f"Klaar {n}", due_on=on, done_on=on)
            make_progress_entry(team, text=f"Regel {n}")
            make_scenario(team, title=f"Les {n}", delivered_on=on)
        db.session.commit()
    assert statements() == few
