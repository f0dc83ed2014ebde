"""Programme requests and their approval: the request with its preview, the programme page,
approval with exceptions, rejection, withdrawal and the queue (blueprint `programmes`)."""

from __future__ import annotations

import html
import re
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from straxlab.auth.models import User
from straxlab.core import clock, settings
from straxlab.design_teams import programme_queries
from straxlab.design_teams import services as teams
from straxlab.design_teams.models import DesignDay, DesignTeam, Programme
from straxlab.design_teams.rules import ProgrammeStatus
from straxlab.extensions import db
from tests.factories import make_closure, make_team, make_user

AMS = ZoneInfo("Europe/Amsterdam")
# Wednesday 7 October 2026, 09:00 in the lab; the autumn holiday (Midden) is 17-25 October.
NOW = datetime(2026, 10, 7, 9, 0, tzinfo=AMS).astimezone(UTC)
TUESDAY = date(2026, 10, 13)
THURSDAY = date(2026, 10, 15)


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def text(response) -> str:
    """The page's words without tags, spaces squeezed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page(response)).split())


def get(client, path):
    with clock.frozen(NOW):
        return client.get(path)


def post(client, path, data=None):
    with clock.frozen(NOW):
        return client.post(path, data=data or {})


@contextmanager
def at_now(app):
    with app.app_context(), clock.frozen(NOW):
        yield
        db.session.commit()


def request_data(**overrides):
    data = {
        "weekday": "2",
        "starts_at": "09:00",
        "ends_at": "16:00",
        "first_day": TUESDAY.isoformat(),
        "day_count": "4",
        "second_weekday": "",
        "note": "Wij ontwerpen VR-lessen voor de zorg.",
        "preview": "Show preview",
    }
    data.update(overrides)
    return data


def ask(team, *, weekday: int = 2, first_day: date = TUESDAY, day_count: int = 4):
    coordinator = db.session.get(User, team.coordinator_id)
    return teams.request_programme(
        team,
        weekday=weekday,
        second_weekday=None,
        starts=time(9),
        ends=time(16),
        first_day=first_day,
        day_count=day_count,
        note="",
        actor=coordinator,
        now=NOW,
    )


def staff_user():
    return make_user(role="staff", name="Sanne Staf")


@pytest.fixture
def coordinator(auth):
    return auth.login_as("teacher", locale="en", name="Cora Coördinator")


@pytest.fixture
def team_id(app, coordinator):
    """The logged-in coordinator's team with one more member, and the autumn holiday."""
    with at_now(app):
        user = db.session.get(User, coordinator.id)
        team = make_team(user, [make_user(name="Mo Lid")], name="VR in de zorg")
        make_closure(date(2026, 10, 17), date(2026, 10, 25), reason="Herfstvakantie")
        return team.id


def programme_of(app, team_id):
    with app.app_context():
        return db.session.scalars(sa.select(Programme).where(Programme.team_id == team_id)).one()


def days_of(app, programme_id):
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(DesignDay.day)
                .where(DesignDay.programme_id == programme_id)
                .order_by(DesignDay.day)
            )
        )


# A new request and its preview -----------------------------------------------------------


def test_the_form_starts_with_sensible_defaults_and_their_preview(client, team_id):
    body = page(get(client, f"/programmes/new?team={team_id}"))
    assert 'value="09:00"' in body and 'value="16:00"' in body
    # Next week's Monday (the first open weekday) and 20 lab days.
    assert 'value="2026-10-12"' in body
    assert re.search(r"<input[^>]*name=\"day_count\"[^>]*value=\"20\"", body)
    assert "20 generated dates" in body
    assert "Show preview" in body and "Send request" in body
    # Only the lab's open weekdays are offered.
    assert ">Friday<" in body and ">Saturday<" not in body
    assert get(client, f"/programmes/new?team_id={team_id}").status_code == 404


def test_preview_shows_skipped_closure_dates_and_the_extension(client, team_id):
    response = post(client, f"/programmes/new?team={team_id}", request_data())
    assert response.status_code == 200
    body = text(response)
    assert "4 generated dates" in body
    for shown in ("Tue 13 Oct 2026", "Tue 27 Oct 2026", "Tue 3 Nov 2026", "Tue 10 Nov 2026"):
        assert shown in body
    assert re.search(r"Tue 20 Oct 2026 ?: skipped: Herfstvakantie", body)
    assert "runs until 10 November 2026 instead of 3 November 2026" in body
    with client.application.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Programme.id))) == 0


def test_preview_names_a_member_who_is_in_another_teams_design_day(app, client, coordinator):
    with at_now(app):
        busy = make_user(name="Bas Bezet")
        other = make_team(make_user(), [busy], name="Drones bij bouw")
        teams.approve(ask(other), actor=staff_user(), now=NOW)
        user = db.session.get(User, coordinator.id)
        mine = make_team(user, [busy], name="VR in de zorg").id
    body = text(post(client, f"/programmes/new?team={mine}", request_data()))
    assert body.count("Bas Bezet") == 4
    assert "Members busy" in body
    # The other team takes one of the four places.
    assert re.search(r"Tue 13 Oct 2026 09:00–16:00 3 Bas Bezet", body)


def test_sending_creates_the_request_and_shows_it(client, team_id):
    response = post(
        client,
        f"/programmes/new?team={team_id}",
        request_data(second_weekday="4", preview="", send="Send request"),
    )
    assert response.status_code == 302
    programme = programme_of(client.application, team_id)
    assert response.headers["Location"].endswith(f"/programmes/{programme.id}")
    assert programme.status is ProgrammeStatus.REQUESTED
    assert (programme.weekday, programme.second_weekday, programme.day_count) == (2, 4, 4)
    assert (programme.starts_at, programme.ends_at) == (time(9), time(16))
    body = text(get(client, f"/programmes/{programme.id}"))
    assert "Awaiting approval" in body
    assert "Second choice Thursday" in body
    assert "Requested (Tuesday)" in body
    assert "Withdraw request" in body
    # Coordinators do not decide.
    assert "Reject this request" not in body


def test_form_errors_keep_the_input_and_never_fail(client, team_id):
    path = f"/programmes/new?team={team_id}"
    body = page(post(client, path, request_data(starts_at="9 uur", first_day="31-02-2026")))
    assert "Not a valid time value." in body and "Not a valid date value." in body
    assert 'value="9 uur"' in body
    body = page(post(client, path, request_data(weekday="6", day_count="99")))
    assert "Not a valid choice." in body and "between 1 and 45" in body
    body = page(post(client, path, request_data(starts_at="07:00", send="Send request")))
    assert "The lab is open from 08:30 to 17:00." in body
    body = page(post(client, path, request_data(first_day="2026-10-06")))
    assert "The first day has already passed." in body
    with client.application.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Programme.id))) == 0


def test_a_team_with_one_active_member_is_told_and_cannot_send(app, client, coordinator):
    with at_now(app):
        alone = make_team(db.session.get(User, coordinator.id), name="Eenling").id
    body = text(get(client, f"/programmes/new?team={alone}"))
    assert "The team has 1 active member." in body
    response = post(client, f"/programmes/new?team={alone}", request_data(send="Send request"))
    assert response.status_code == 200
    assert "A team needs at least 2 active members to ask for lab days" in text(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Programme.id))) == 0


def test_a_member_who_does_not_coordinate_may_not_request(app, client, auth):
    member = auth.login_as("teacher", locale="en")
    with at_now(app):
        team = make_team(make_user(), [db.session.get(User, member.id)]).id
    assert get(client, f"/programmes/new?team={team}").status_code == 403
    response = post(client, f"/programmes/new?team={team}", request_data(send="Send request"))
    assert response.status_code == 403


def test_a_teacher_of_another_team_gets_404(app, client, auth):
    with at_now(app):
        team = make_team(make_user(), [make_user()])
        programme = ask(team).id
        team_id = team.id
    auth.login_as("teacher", locale="en")
    assert get(client, f"/programmes/new?team={team_id}").status_code == 404
    assert get(client, f"/programmes/{programme}").status_code == 404
    assert post(client, f"/programmes/{programme}/withdraw", {"confirm": "y"}).status_code == 404
    for path in ("/programmes/new", "/programmes/new?team=x", "/programmes/new?team=-1"):
        assert get(client, path).status_code == 404


# Deciding ---------------------------------------------------------------------------------


@pytest.fixture
def waiting(app):
    """A waiting request (Tuesdays from 13 October, 4 days, the autumn holiday skipped)."""
    with at_now(app):
        make_closure(date(2026, 10, 17), date(2026, 10, 25), reason="Herfstvakantie")
        team = make_team(make_user(), [make_user()], name="VR in de zorg")
        return ask(team).id


@pytest.fixture
def staff(auth):
    return auth.login_as("staff", locale="en", name="Sanne Staf")


def test_staff_see_each_date_with_drop_and_move_fields(client, waiting, staff):
    body = page(get(client, f"/programmes/{waiting}"))
    for key in ("20261013", "20261027", "20261103", "20261110"):
        assert f'name="drop_{key}"' in body and f'name="move_{key}"' in body
    assert "skipped: Herfstvakantie" in body
    assert "Reject this request" in body and "Withdraw request" in body


def test_approve_creates_every_design_day(app, client, waiting, staff):
    response = post(client, f"/programmes/{waiting}/approve")
    assert response.status_code == 302
    assert days_of(app, waiting) == [
        date(2026, 10, 13),
        date(2026, 10, 27),
        date(2026, 11, 3),
        date(2026, 11, 10),
    ]
    body = text(get(client, f"/programmes/{waiting}"))
    assert "Approved: 4 design days." in body
    assert "Approved: 4 design days (by Sanne Staf)" in body
    assert "Design days" in body and body.count("Scheduled") == 4


def test_approve_with_a_dropped_and_a_moved_date(app, client, waiting, staff):
    response = post(
        client,
        f"/programmes/{waiting}/approve",
        {"drop_20261027": "y", "move_20261103": "2026-11-05"},
    )
    assert response.status_code == 302
    assert days_of(app, waiting) == [date(2026, 10, 13), date(2026, 11, 5), date(2026, 11, 10)]
    body = text(get(client, f"/programmes/{waiting}"))
    assert "Approved: 3 design days; dropped: 27 Oct 2026; moved: 3 Nov 2026 → 5 Nov 2026" in body


def test_bad_exceptions_are_shown_beside_their_date(app, client, waiting, staff):
    body = page(
        post(
            client,
            f"/programmes/{waiting}/approve",
            {"move_20261013": "13/10", "drop_20261027": "y", "move_20261027": "2026-10-28"},
        )
    )
    assert "Not a valid date value." in body
    assert "Drop this date or move it, not both." in body
    assert 'value="13/10"' in body
    # A move onto a closed weekday: the service's words, above the form.
    body = page(post(client, f"/programmes/{waiting}/approve", {"move_20261013": "2026-10-17"}))
    assert "The lab has no design days on 17 Oct 2026." in body
    assert 'value="2026-10-17"' in body
    assert days_of(app, waiting) == []


def test_approval_beyond_capacity_is_refused_and_creates_nothing(app, client, waiting, staff):
    with at_now(app):
        settings.put("lab.capacity", "1", actor_id=None, now=NOW)
        rival = make_team(make_user(), [make_user()], name="Drones bij bouw")
        teams.approve(
            ask(rival, first_day=date(2026, 11, 3), day_count=1), actor=staff_user(), now=NOW
        )
    response = post(client, f"/programmes/{waiting}/approve", {"drop_20261013": "y"})
    assert response.status_code == 200
    body = text(response)
    assert "The lab is full on 3 Nov 2026." in body
    # The ticked box is kept.
    assert re.search(
        r'name="drop_20261013"[^>]*checked|checked[^>]*name="drop_20261013"', page(response)
    )
    assert days_of(app, waiting) == []
    with app.app_context():
        assert db.session.get(Programme, waiting).status is ProgrammeStatus.REQUESTED
    # Dropping the full date makes it fit.
    response = post(client, f"/programmes/{waiting}/approve", {"drop_20261103": "y"})
    assert response.status_code == 302
    assert len(days_of(app, waiting)) == 3


def test_managers_and_teachers_cannot_approve(app, client, auth, waiting):
    auth.login_as("manager", locale="en")
    assert post(client, f"/programmes/{waiting}/approve").status_code == 403
    assert get(client, f"/programmes/{waiting}").status_code == 200
    assert "Reject this request" not in page(get(client, f"/programmes/{waiting}"))
    assert days_of(app, waiting) == []


def test_reject_needs_a_reason(app, client, waiting, staff):
    response = post(client, f"/programmes/{waiting}/reject", {"reason": "   "})
    assert response.status_code == 200
    assert "Say why, so the team knows what to change." in page(response)
    response = post(client, f"/programmes/{waiting}/reject", {"reason": "Dinsdag is vol."})
    assert response.status_code == 302
    with app.app_context():
        programme = db.session.get(Programme, waiting)
        assert programme.status is ProgrammeStatus.REJECTED
        assert programme.decision_note == "Dinsdag is vol."
    body = text(get(client, f"/programmes/{waiting}"))
    assert "Rejected: Dinsdag is vol. (by Sanne Staf)" in body
    assert "Decision note Dinsdag is vol." in body
    # Deciding twice: the service says it has been dealt with.
    body = page(post(client, f"/programmes/{waiting}/reject", {"reason": "Nogmaals"}))
    assert "This request has already been dealt with." in body
    response = post(client, f"/programmes/{waiting}/approve")
    assert response.status_code == 302 and days_of(app, waiting) == []


def test_the_coordinator_withdraws_with_confirmation(app, client, team_id):
    with at_now(app):
        programme = ask(db.session.get(DesignTeam, team_id)).id
    response = post(client, f"/programmes/{programme}/withdraw")
    assert response.status_code == 200
    assert "Tick the box to confirm." in page(response)
    response = post(client, f"/programmes/{programme}/withdraw", {"confirm": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Programme, programme).status is ProgrammeStatus.WITHDRAWN
    body = text(get(client, f"/programmes/{programme}"))
    assert "Withdrawn" in body and "Request withdrawn" in body
    assert "Withdraw this request" not in body


def test_an_approved_programme_links_its_days_and_an_extra_day(app, client, team_id):
    with at_now(app):
        programme = ask(db.session.get(DesignTeam, team_id))
        teams.approve(programme, actor=staff_user(), now=NOW)
        programme_id = programme.id
    body = page(get(client, f"/programmes/{programme_id}"))
    assert f"programme={programme_id}" in body
    assert "Add an extra day" in body
    days = days_of(app, programme_id)
    assert len(days) == 4
    with app.app_context():
        first = db.session.scalars(
            sa.select(DesignDay.id).where(DesignDay.programme_id == programme_id)
        ).first()
    assert f"{first}" in body


# The queue --------------------------------------------------------------------------------


def test_an_empty_queue_says_so(client, staff):
    assert "No requests are waiting." in page(get(client, "/programmes"))


def test_the_queue_puts_competing_requests_for_a_weekday_side_by_side(app, client, staff):
    with at_now(app):
        settings.put("lab.capacity", "2", actor_id=None, now=NOW)
        taken = make_team(make_user(), [make_user()], name="Al binnen")
        teams.approve(ask(taken, day_count=2), actor=staff_user(), now=NOW)
        first = ask(make_team(make_user(), [make_user()], name="Eerste team")).id
        second = ask(make_team(make_user(), [make_user(), make_user()], name="Tweede team")).id
        thursday = ask(
            make_team(make_user(), [make_user()], name="Donderdagteam"),
            weekday=4,
            first_day=THURSDAY,
        ).id
    with app.app_context():
        queue = programme_queries.queue(datetime(2026, 10, 7, 8, 0, tzinfo=UTC))
    assert [group.weekday for group in queue.groups] == [2, 4]
    tuesday = queue.groups[0]
    assert [c.programme.id for c in tuesday.contenders] == [first, second]
    assert [c.members for c in tuesday.contenders] == [2, 3]
    # 13 and 20 October hold the team already in: one place left, two requests want it.
    free = {d.day: (d.free, d.wanted_by) for d in tuesday.days}
    assert free[date(2026, 10, 13)] == (1, (first, second))
    assert free[date(2026, 11, 3)] == (2, (first, second))
    summary = tuesday.contenders[0].summary
    assert (summary.least_free, summary.full_days, summary.contested_days) == (1, 0, 2)
    assert [c.programme.id for c in queue.groups[1].contenders] == [thursday]

    body = text(get(client, "/programmes"))
    assert "3 requests awaiting approval" in body
    assert "Tuesday: 2 requests" in body and "Thursday: 1 request" in body
    assert "Eerste team Tweede team" in body
    assert "Tue 13 Oct 2026 1 wants wants 1 place short" in body
    assert "Tue 3 Nov 2026 2 wants wants Fits" in body
    # The approved programme is among the recent decisions.
    assert "Al binnen Tuesday Approved" in body


def _statements_for_queue() -> int:
    from tests.equipment.test_desk_queries import count_statements

    db.session.expunge_all()
    with count_statements() as statements:
        queue = programme_queries.queue(datetime(2026, 10, 7, 8, 0, tzinfo=UTC))
        programme_queries.recent_decisions()
        assert queue.count
    return len(statements)


def test_the_queue_takes_the_same_number_of_statements_for_more_requests(app):
    with at_now(app):
        staff = staff_user()
        for n in range(2):
            teams.approve(ask(make_team(make_user(), [make_user()])), actor=staff, now=NOW)
            ask(make_team(make_user(), [make_user()]), weekday=2 + n)
        staff_id = staff.id
    with app.app_context(), clock.frozen(NOW):
        few = _statements_for_queue()
    with at_now(app):
        staff = db.session.get(User, staff_id)
        for n in range(6):
            teams.approve(
                ask(make_team(make_user(), [make_user()]), weekday=1 + n % 5),
                actor=staff,
                now=NOW,
            )
            ask(make_team(make_user(), [make_user()]), weekday=1 + n % 5)
    with app.app_context(), clock.frozen(NOW):
        assert _statements_for_queue() == few
    assert few <= 10
