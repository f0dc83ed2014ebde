"""The plan pages (blueprint `plans`): writing, submitting, returning, approving, versions,
comparing, the managers' queue, and every refusal on the way."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from straxlab.auth.models import User
from straxlab.compliance import plan_compare, services
from straxlab.compliance.models import PlanVersion, ProfessionalisationPlan
from straxlab.compliance.rules import PlanOutcome, PlanStatus
from straxlab.core import clock
from straxlab.design_teams import services as teams
from straxlab.design_teams.models import DesignTeam
from straxlab.extensions import db
from tests.equipment.test_desk_queries import count_statements
from tests.factories import make_plan, make_team, make_user

AMS = ZoneInfo("Europe/Amsterdam")
# Wednesday 7 October 2026, 10:00 in the lab.
NOW = datetime(2026, 10, 7, 10, 0, tzinfo=AMS).astimezone(UTC)

GOALS = (
    "Lessons with VR headsets for the care programme.\nEvery member builds one scenario.\n\n"
    "Second paragraph <b>not bold</b>."
)


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


CELL_LABEL = re.compile(r'<span class="cell-label" aria-hidden="true">[^<]*</span>')


def text(response) -> str:
    """The page's words without tags (nor the cell labels of phone screens), spaces squeezed."""
    words = re.sub(r"<[^>]+>", " ", CELL_LABEL.sub("", page(response)))
    return " ".join(words.split())


@dataclass(frozen=True)
class People:
    team: int
    coordinator: str
    member: str
    outsider: str
    manager: str
    staff: str


@pytest.fixture
def people(app) -> People:
    """A team (coordinator and one member) and the others who look at its plan; all English."""
    with app.app_context(), clock.frozen(NOW):
        coordinator = make_user(email="cora@school.example", name="Cora Coordinator", locale="en")
        member = make_user(email="mo@school.example", name="Mo Member", locale="en")
        make_user(email="otto@school.example", name="Otto Outsider", locale="en")
        make_user(role="manager", email="mia@school.example", name="Mia Manager", locale="en")
        make_user(role="staff", email="sam@school.example", name="Sam Staff", locale="en")
        team = make_team(coordinator, [member], name="VR in care")
        db.session.commit()
        return People(
            team=team.id,
            coordinator="cora@school.example",
            member="mo@school.example",
            outsider="otto@school.example",
            manager="mia@school.example",
            staff="sam@school.example",
        )


def as_user(auth, email: str) -> None:
    auth.logout()
    response = auth.login(email)
    assert response.status_code == 302


def get(client, path, at=NOW):
    with clock.frozen(at):
        return client.get(path)


def post(client, path, data=None, at=NOW, **kwargs):
    with clock.frozen(at):
        return client.post(path, data=data or {}, **kwargs)


def plan_data(**overrides) -> dict[str, str]:
    data = {
        "goals": GOALS,
        "collaboration": "Anna writes the scenarios.\nBram tries them out in class.",
        "intended_scenarios": "A VR lesson on lifting techniques.",
        "activities-0-kind": "workshop",
        "activities-0-description": "Workshop VR didactics",
        "activities-0-who": "Anna and Bram",
        "activities-0-planned_hours": "8",
        "activities-1-kind": "peer_observation",
        "activities-1-description": "Watch each other's lessons",
        "activities-1-who": "",
        "activities-1-planned_hours": "4",
        "activities-2-kind": "",
        "activities-2-description": "",
        "activities-2-who": "",
        "activities-2-planned_hours": "",
    }
    data.update(overrides)
    return data


def stored_plan(app, team_id: int) -> ProfessionalisationPlan | None:
    with app.app_context():
        plan = db.session.scalar(
            sa.select(ProfessionalisationPlan).where(ProfessionalisationPlan.team_id == team_id)
        )
        if plan is not None:
            db.session.expunge(plan)
        return plan


def stored_versions(app, team_id: int) -> list[tuple[int, PlanOutcome, str]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(PlanVersion.number, PlanVersion.outcome, PlanVersion.comment)
            .join(ProfessionalisationPlan, ProfessionalisationPlan.id == PlanVersion.plan_id)
            .where(ProfessionalisationPlan.team_id == team_id)
            .order_by(PlanVersion.number)
        )
        return [tuple(row) for row in rows]


def submitted_plan(app, team_id: int, *, approve: bool = False) -> None:
    """The team's plan written and submitted by its coordinator (approved by a manager)."""
    with app.app_context(), clock.frozen(NOW):
        team = db.session.get_one(DesignTeam, team_id)
        manager = db.session.scalar(sa.select(User).where(User.email == "mia@school.example"))
        make_plan(team, submit=True, approve_by=manager if approve else None)
        db.session.commit()


# --- the whole lifecycle over HTTP --------------------------------------------------------


def test_a_plan_is_written_submitted_returned_resubmitted_approved_and_compared(
    app, client, auth, people
):
    base = f"/teams/{people.team}/plan"
    as_user(auth, people.member)
    empty = get(client, base)
    assert empty.status_code == 200
    assert "No plan yet" in text(empty)
    assert f'href="{base}/edit"' in page(empty)
    assert "Write the plan" in text(empty)

    form = get(client, f"{base}/edit")
    assert form.status_code == 200
    # No activities yet: three empty rows to type in.
    assert 'name="activities-2-description"' in page(form)
    assert 'name="activities-3-description"' not in page(form)

    saved = post(client, f"{base}/edit", plan_data())
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(base)
    shown = get(client, base)
    body = page(shown)
    # Line breaks and paragraphs are kept by a CSS class; what was typed is escaped.
    assert (
        '<div class="prose plan-text">Lessons with VR headsets for the care programme.\n'
        "Every member builds one scenario.\n\nSecond paragraph <b>not bold</b>.</div>"
    ) in body
    assert "&lt;b&gt;not bold&lt;/b&gt;" in shown.get_data(as_text=True)
    assert "Workshop Workshop VR didactics Anna and Bram 8" in text(shown)
    assert "Peer observation Watch each other's lessons – 4" in text(shown)
    assert "Total planned hours 12" in text(shown)
    assert "Draft" in text(shown)
    # The edit page lists the two activities and three empty rows.
    again = page(get(client, f"{base}/edit"))
    assert 'value="Watch each other&#39;s lessons"' in again or (
        'value="Watch each other\'s lessons"' in again
    )
    assert 'name="activities-4-description"' in again
    assert 'name="activities-5-description"' not in again

    submitted = post(client, f"{base}/submit")
    assert submitted.status_code == 302
    waiting = get(client, base)
    assert "Submitted" in text(waiting)
    assert "waiting for a manager's decision" in text(waiting)
    assert "Edit plan" not in text(waiting)
    assert "Submit plan" not in text(waiting)

    as_user(auth, people.manager)
    queue = get(client, "/compliance/plans")
    assert "VR in care" in text(queue)
    assert f'href="{base}"' in page(queue)
    returned = post(
        client,
        f"{base}/return",
        {"comment": "Name who leads the workshop.\nAdd a milestone for the first lesson."},
    )
    assert returned.status_code == 302
    assert returned.headers["Location"].endswith("/compliance/plans")

    as_user(auth, people.member)
    seen = get(client, base)
    assert "Sent back" in text(seen)
    assert (
        "Sent back on 7 Oct 2026 10:00 by Mia Manager: Name who leads the workshop. "
        "Add a milestone for the first lesson."
    ) in text(seen)
    assert "Edit plan" in text(seen)
    # The comment is also on the edit page, where the team acts on it.
    assert "Name who leads the workshop." in text(get(client, f"{base}/edit"))
    changed = plan_data(
        **{
            "goals": GOALS.replace("Every member builds one scenario.", "Each member builds two."),
            "activities-1-kind": "tool_trial",
            "activities-1-description": "Try the new VR editor",
            "activities-1-who": "Bram",
            "activities-1-planned_hours": "6",
        }
    )
    assert post(client, f"{base}/edit", changed).status_code == 302
    later = NOW + timedelta(hours=2)
    assert post(client, f"{base}/submit", at=later).status_code == 302

    as_user(auth, people.manager)
    decision_page = get(client, base, at=later)
    assert "Your decision" in text(decision_page)
    approved = post(client, f"{base}/approve", {"comment": ""}, at=later)
    assert approved.status_code == 302
    assert stored_plan(app, people.team).status is PlanStatus.APPROVED

    final = get(client, base, at=later)
    assert "Approved" in text(final)
    versions = text(final)
    assert "Version 2" in versions and "Version 1" in versions
    assert f'href="{base}/versions/1"' in page(final)
    assert f'href="{base}/compare?to=2&amp;from=1"' in final.get_data(as_text=True)
    assert stored_versions(app, people.team) == [
        (
            1,
            PlanOutcome.RETURNED,
            "Name who leads the workshop.\nAdd a milestone for the first lesson.",
        ),
        (2, PlanOutcome.APPROVED, ""),
    ]

    compared = get(client, f"{base}/compare?from=1&to=2", at=later)
    assert compared.status_code == 200
    body = page(compared)
    assert (
        '<del><span class="visually-hidden">Removed: </span>'
        '<span class="plan-diff__sign" aria-hidden="true">-</span> '
        "Every member builds one scenario.</del>"
    ) in body
    assert (
        '<ins><span class="visually-hidden">Added: </span>'
        '<span class="plan-diff__sign" aria-hidden="true">+</span> Each member builds two.</ins>'
    ) in body
    assert "Removed: - Peer observation: Watch each other's lessons (who: –; 4 planned hours)" in (
        text(compared)
    )
    assert "Added: + Trying out tools: Try the new VR editor (who: Bram; 6 planned hours)" in (
        text(compared)
    )
    assert "Unchanged: Lessons with VR headsets for the care programme." in text(compared)
    # The intended scenarios did not change, and the page says so.
    assert "Intended lesson scenarios No changes." in text(compared)

    version_one = get(client, f"{base}/versions/1", at=later)
    assert version_one.status_code == 200
    assert "Every member builds one scenario." in text(version_one)
    assert "Each member builds two." not in text(version_one)
    assert "Name who leads the workshop." in text(version_one)

    queue = get(client, "/compliance/plans", at=later)
    assert "No plans are waiting." in text(queue)
    assert "VR in care Version 2 Approved" in text(queue)
    assert "VR in care Version 1 Sent back" in text(queue)


# --- who may do what ----------------------------------------------------------------------

TEAM_ROUTES = [
    ("GET", "/teams/{team}/plan"),
    ("GET", "/teams/{team}/plan/edit"),
    ("POST", "/teams/{team}/plan/edit"),
    ("POST", "/teams/{team}/plan/submit"),
    ("POST", "/teams/{team}/plan/approve"),
    ("POST", "/teams/{team}/plan/return"),
    ("GET", "/teams/{team}/plan/versions/1"),
    ("GET", "/teams/{team}/plan/compare"),
]


@pytest.mark.parametrize(("method", "path"), TEAM_ROUTES)
def test_a_teacher_outside_the_team_does_not_learn_it_exists(
    app, client, auth, people, method, path
):
    submitted_plan(app, people.team)
    as_user(auth, people.outsider)
    url = path.format(team=people.team)
    response = get(client, url) if method == "GET" else post(client, url, {"comment": "x"})
    assert response.status_code == 404
    assert stored_plan(app, people.team).status is PlanStatus.SUBMITTED


def test_an_unknown_team_is_404_for_a_manager(client, auth, people):
    as_user(auth, people.manager)
    assert get(client, "/teams/99999/plan").status_code == 404
    assert get(client, "/teams/99999999999/plan").status_code == 404


def test_a_manager_reads_the_plan_but_cannot_write_or_submit_it(app, client, auth, people):
    as_user(auth, people.manager)
    base = f"/teams/{people.team}/plan"
    empty = get(client, base)
    assert empty.status_code == 200
    assert "This team has no plan yet: its members write it." in text(empty)
    assert "Write the plan" not in text(empty)
    assert get(client, f"{base}/edit").status_code == 403
    assert post(client, f"{base}/edit", plan_data()).status_code == 403
    assert post(client, f"{base}/submit").status_code == 403
    assert stored_plan(app, people.team) is None


def test_lab_staff_write_the_plan_of_any_team(app, client, auth, people):
    as_user(auth, people.staff)
    assert post(client, f"/teams/{people.team}/plan/edit", plan_data()).status_code == 302
    assert stored_plan(app, people.team).goals == GOALS


@pytest.mark.parametrize("who", ["member", "coordinator", "staff"])
def test_only_a_manager_approves_or_returns(app, client, auth, people, who):
    submitted_plan(app, people.team)
    as_user(auth, getattr(people, who))
    base = f"/teams/{people.team}/plan"
    assert post(client, f"{base}/approve").status_code == 403
    assert post(client, f"{base}/return", {"comment": "Nope"}).status_code == 403
    assert "Your decision" not in text(get(client, base))
    assert stored_plan(app, people.team).status is PlanStatus.SUBMITTED


def test_returning_without_a_comment_shows_the_error_on_the_comment(app, client, auth, people):
    submitted_plan(app, people.team)
    as_user(auth, people.manager)
    response = post(client, f"/teams/{people.team}/plan/return", {"comment": "  \n "})
    assert response.status_code == 200
    body = page(response)
    assert "<title>Error:" in body
    assert 'aria-invalid="true"' in body
    assert 'id="comment-error"' in body
    assert "Say what the team should change before you return the plan." in text(response)
    assert stored_plan(app, people.team).status is PlanStatus.SUBMITTED


def test_a_comment_that_is_too_long_is_kept_with_its_error(app, client, auth, people):
    submitted_plan(app, people.team)
    as_user(auth, people.manager)
    comment = "Please rewrite the goals. " + "x" * services.COMMENT_LENGTH
    response = post(client, f"/teams/{people.team}/plan/return", {"comment": comment})
    assert response.status_code == 200
    assert 'id="comment-error"' in page(response)
    assert f">\r\n{comment}</textarea>" in page(response)
    assert stored_plan(app, people.team).status is PlanStatus.SUBMITTED


def test_a_second_decision_on_a_decided_plan_says_so(app, client, auth, people):
    submitted_plan(app, people.team)
    as_user(auth, people.manager)
    base = f"/teams/{people.team}/plan"
    assert post(client, f"{base}/approve", {"comment": "Good plan."}).status_code == 302
    for action, comment in (("approve", ""), ("return", "Too late"), ("return", "")):
        again = post(client, f"{base}/{action}", {"comment": comment})
        assert again.status_code == 302, action
        assert again.headers["Location"].endswith(base)
        assert "This plan has already been decided on." in text(get(client, base))
    assert stored_versions(app, people.team) == [(1, PlanOutcome.APPROVED, "Good plan.")]


def test_a_manager_who_is_in_the_team_does_not_decide_on_its_plan(app, client, auth, people):
    with app.app_context():
        team = db.session.get(DesignTeam, people.team)
        manager = db.session.scalar(sa.select(User).where(User.email == people.manager))
        with clock.frozen(NOW):
            teams.add_member(team, manager, actor=team.coordinator, now=NOW)
        db.session.commit()
    submitted_plan(app, people.team)
    as_user(auth, people.manager)
    base = f"/teams/{people.team}/plan"
    assert post(client, f"{base}/approve").status_code == 403
    assert post(client, f"{base}/return", {"comment": "Mijn eigen plan"}).status_code == 403
    assert "Your decision" not in text(get(client, base))
    assert stored_plan(app, people.team).status is PlanStatus.SUBMITTED


def test_deciding_on_a_draft_says_it_was_not_submitted(app, client, auth, people):
    with app.app_context(), clock.frozen(NOW):
        make_plan(db.session.get(DesignTeam, people.team))
        db.session.commit()
    as_user(auth, people.manager)
    assert post(client, f"/teams/{people.team}/plan/approve").status_code == 302
    assert "This plan has not been submitted yet." in text(
        get(client, f"/teams/{people.team}/plan")
    )


def test_deciding_on_a_team_without_a_plan_says_so(client, auth, people):
    as_user(auth, people.manager)
    response = post(client, f"/teams/{people.team}/plan/approve")
    assert response.status_code == 302
    assert "This team has no plan to decide on yet." in text(
        get(client, f"/teams/{people.team}/plan")
    )


# --- the edit form ------------------------------------------------------------------------


def test_a_half_filled_activity_row_is_an_error_on_that_row_and_keeps_the_input(
    app, client, auth, people
):
    as_user(auth, people.member)
    data = plan_data(
        **{"activities-2-description": "Visit a hospital lab", "activities-2-who": "Mo"}
    )
    response = post(client, f"/teams/{people.team}/plan/edit", data)
    assert response.status_code == 200
    body = page(response)
    assert "<title>Error:" in body
    assert 'id="activities-2-kind-error"' in body
    assert "Choose the kind of activity." in text(response)
    assert "Enter the planned hours (0 if you do not know yet)." in text(response)
    assert 'id="activities-2-description-error"' not in body
    assert 'id="activities-0-kind-error"' not in body
    # Everything typed is still there, and new empty rows are offered below it.
    assert 'value="Visit a hospital lab"' in body
    assert 'value="Workshop VR didactics"' in body
    assert "Every member builds one scenario." in body
    assert 'name="activities-5-description"' in body
    assert stored_plan(app, people.team) is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("activities-0-planned_hours", "501", "Number must be between 0 and 500."),
        ("activities-0-planned_hours", "-1", "Number must be between 0 and 500."),
        ("activities-0-planned_hours", "lots", "Not a valid integer value."),
        ("activities-0-kind", "juggling", "Not a valid choice."),
        ("activities-0-description", "x" * 301, "Field cannot be longer than 300 characters."),
        ("goals", "x" * 5001, "Field cannot be longer than 5000 characters."),
    ],
)
def test_bad_values_are_form_errors(app, client, auth, people, field, value, message):
    as_user(auth, people.member)
    response = post(client, f"/teams/{people.team}/plan/edit", plan_data(**{field: value}))
    assert response.status_code == 200
    assert message in text(response)
    assert stored_plan(app, people.team) is None


def test_odd_row_numbers_in_the_form_are_ignored(app, client, auth, people):
    as_user(auth, people.member)
    # A superscript digit and a row number beyond any real form: neither is a row.
    data = plan_data(**{"activities-²-description": "odd", "activities-99999999-kind": "other"})
    assert post(client, f"/teams/{people.team}/plan/edit", data).status_code == 302
    assert [a.description for a in _activities(app, people.team)] == [
        "Workshop VR didactics",
        "Watch each other's lessons",
    ]


def _activities(app, team_id):
    with app.app_context():
        plan = db.session.scalar(
            sa.select(ProfessionalisationPlan).where(ProfessionalisationPlan.team_id == team_id)
        )
        return [
            plan_compare.ActivityRow(a.kind.value, a.description, a.who, a.planned_hours)
            for a in plan.activities
        ]


def test_editing_while_submitted_is_explained_not_offered(app, client, auth, people):
    submitted_plan(app, people.team)
    as_user(auth, people.member)
    form = get(client, f"/teams/{people.team}/plan/edit")
    assert form.status_code == 200
    assert "The plan is waiting for a manager's decision; you can change it afterwards." in text(
        form
    )
    assert 'name="goals"' not in page(form)
    # A form opened before the submission keeps what was typed, with the reason.
    late = post(client, f"/teams/{people.team}/plan/edit", plan_data(goals="My late change"))
    assert late.status_code == 200
    assert "My late change" in page(late)
    assert '<div class="form-errors" role="alert">' in page(late)
    assert stored_plan(app, people.team).goals != "My late change"


def test_changing_an_approved_plan_makes_it_a_draft_and_the_page_says_so_first(
    app, client, auth, people
):
    submitted_plan(app, people.team, approve=True)
    as_user(auth, people.coordinator)
    form = get(client, f"/teams/{people.team}/plan/edit")
    assert "This plan is approved. Saving a change makes it a draft again" in text(form)
    saved = post(client, f"/teams/{people.team}/plan/edit", plan_data())
    assert saved.status_code == 302
    after = get(client, f"/teams/{people.team}/plan")
    assert "Plan saved. It is a draft again" in text(after)
    assert "the plan has changed since version 1" in text(after)
    assert stored_plan(app, people.team).status is PlanStatus.DRAFT
    # The working copy can be compared with the approved version.
    compared = get(client, f"/teams/{people.team}/plan/compare?from=1&to=draft")
    assert "From version 1 to the current working copy" in text(compared)
    assert "Added: + Lessons with VR headsets for the care programme." in text(compared)


def test_submitting_an_incomplete_plan_says_what_is_missing_with_a_link(app, client, auth, people):
    as_user(auth, people.member)
    data = {"goals": "Only goals so far."}
    assert post(client, f"/teams/{people.team}/plan/edit", data).status_code == 302
    response = post(client, f"/teams/{people.team}/plan/submit")
    assert response.status_code == 200
    assert (
        "Fill in the collaboration agreements, intended lesson scenarios before you submit "
        "the plan."
    ) in text(response)
    assert f'href="/teams/{people.team}/plan/edit#collaboration"' in page(response)
    assert stored_plan(app, people.team).status is PlanStatus.DRAFT
    assert stored_versions(app, people.team) == []


def test_submitting_twice_says_it_is_already_submitted(app, client, auth, people):
    submitted_plan(app, people.team)
    as_user(auth, people.member)
    response = post(client, f"/teams/{people.team}/plan/submit")
    assert response.status_code == 302
    assert "The plan has already been submitted." in text(get(client, f"/teams/{people.team}/plan"))
    assert len(stored_versions(app, people.team)) == 1


# --- versions and comparing -----------------------------------------------------------------


def test_an_unknown_version_is_404(app, client, auth, people):
    as_user(auth, people.member)
    assert get(client, f"/teams/{people.team}/plan/versions/1").status_code == 404
    submitted_plan(app, people.team)
    assert get(client, f"/teams/{people.team}/plan/versions/1").status_code == 200
    assert get(client, f"/teams/{people.team}/plan/versions/2").status_code == 404
    assert get(client, f"/teams/{people.team}/plan/versions/0").status_code == 404


def test_comparing_without_versions_says_there_is_nothing_yet(client, auth, people):
    as_user(auth, people.member)
    response = get(client, f"/teams/{people.team}/plan/compare")
    assert response.status_code == 200
    assert "There is nothing to compare yet" in text(response)


def test_one_version_is_compared_with_the_working_copy_by_default(app, client, auth, people):
    submitted_plan(app, people.team)
    as_user(auth, people.member)
    response = get(client, f"/teams/{people.team}/plan/compare")
    assert response.status_code == 200
    assert "From version 1 to the current working copy" in text(response)
    assert "Added:" not in text(response) and "Removed:" not in text(response)


@pytest.mark.parametrize(
    "query",
    ["from=abc&to=1", "from=1&to=9", "from=0", "to=1", "from=1&to=ninety", "from=%C2%B2&to=1"],
)
def test_bad_versions_to_compare_are_a_clear_message(app, client, auth, people, query):
    submitted_plan(app, people.team)
    as_user(auth, people.member)
    response = get(client, f"/teams/{people.team}/plan/compare?{query}")
    assert response.status_code == 200
    assert "Choose two versions of this plan to compare." in text(response)
    assert "Added:" not in text(response)


# --- the managers' queue ------------------------------------------------------------------


def test_the_queue_lists_waiting_plans_oldest_first_and_recent_decisions(app, client, auth, people):
    with app.app_context():
        older = make_team(make_user(name="Old Coordinator"), name="Drones in construction")
        older.department = "Techniek"
        newer = make_team(make_user(name="New Coordinator"), name="Podcasts in languages")
        decided = make_team(make_user(name="Done Coordinator"), name="3D printing")
        manager = db.session.scalar(sa.select(User).where(User.email == people.manager))
        with clock.frozen(NOW - timedelta(days=9)):
            make_plan(older, submit=True)
        with clock.frozen(NOW - timedelta(days=2)):
            make_plan(newer, submit=True)
            make_plan(decided, approve_by=manager)
        db.session.commit()
        older_id = older.id
    as_user(auth, people.manager)
    response = get(client, "/compliance/plans")
    assert response.status_code == 200
    words = text(response)
    assert "2 plans waiting for your decision" in words
    assert (
        "Drones in construction Techniek 1 28 Sep 2026 10:00 , by Old Coordinator 9 days "
        "Podcasts in languages Zorg en Welzijn 1 5 Oct 2026 10:00 , by New Coordinator 2 days"
    ) in words
    assert f'href="/teams/{older_id}/plan"' in page(response)
    assert "3D printing Version 1 Approved 5 Oct 2026 10:00 , by Mia Manager" in words


def test_the_queue_is_empty_and_says_so(client, auth, people):
    as_user(auth, people.manager)
    response = get(client, "/compliance/plans")
    assert "No plans are waiting." in text(response)
    assert "No decisions yet." in text(response)


@pytest.mark.parametrize("who", ["member", "staff"])
def test_only_managers_open_the_queue(client, auth, people, who):
    as_user(auth, getattr(people, who))
    assert get(client, "/compliance/plans").status_code == 403


def _add_waiting_plans(app, count: int) -> None:
    with app.app_context(), clock.frozen(NOW - timedelta(days=1)):
        manager = db.session.scalar(sa.select(User).where(User.email == "mia@school.example"))
        for n in range(count):
            team = make_team(make_user(), [make_user()], name=f"Team {count}-{n}")
            make_plan(team, submit=True)
            decided = make_team(make_user(), name=f"Decided {count}-{n}")
            make_plan(decided, approve_by=manager)
        db.session.commit()


def _statements_for_queue(app, client) -> int:
    with app.app_context(), clock.frozen(NOW), count_statements() as statements:
        response = client.get("/compliance/plans")
    assert response.status_code == 200
    return len(statements)


def test_the_queue_takes_the_same_number_of_statements_for_more_plans(app, client, auth, people):
    as_user(auth, people.manager)
    _add_waiting_plans(app, 2)
    few = _statements_for_queue(app, client)
    assert "2 plans waiting" in text(get(client, "/compliance/plans"))
    _add_waiting_plans(app, 8)
    many = _statements_for_queue(app, client)
    assert "10 plans waiting" in text(get(client, "/compliance/plans"))
    assert many == few


# --- the comparison itself ----------------------------------------------------------------


def test_a_replaced_line_reads_as_removed_then_added():
    lines = plan_compare.diff_lines(["a", "b", "c"], ["a", "B", "c", "d"])
    assert [(line.change.value, line.text) for line in lines] == [
        ("same", "a"),
        ("removed", "b"),
        ("added", "B"),
        ("same", "c"),
        ("added", "d"),
    ]


def test_odd_stored_content_reads_as_empty(app):
    with app.test_request_context():
        content = plan_compare.content_from_json(
            {
                "goals": 3,
                "activities": [
                    "not a dict",
                    {"kind": "gone_kind", "description": "Old", "planned_hours": True},
                ],
            }
        )
        assert content.goals == ""
        assert content.collaboration == ""
        assert content.activities == (plan_compare.ActivityRow("gone_kind", "Old", "", 0),)
        assert content.activities[0].kind_label == "gone_kind"
        assert plan_compare.content_from_json(None).activities == ()
