"""Design-team use cases against the real database: teams, programmes, days, attendance."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from straxlab.core import clock, settings
from straxlab.core.audit import AuditEvent
from straxlab.core.errors import Conflict, InvalidRequest, NotAllowed
from straxlab.design_teams import services
from straxlab.design_teams.models import Attendance, DesignDay, Membership
from straxlab.design_teams.rules import DesignDayStatus, ProgrammeStatus
from straxlab.extensions import db
from straxlab.lab_calendar.models import LabDay
from tests.factories import make_closure, make_team, make_user

AMS = ZoneInfo("Europe/Amsterdam")
# Monday 30 November 2026, 10:00 in the lab.
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=AMS).astimezone(UTC)
TUESDAY = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def frozen(app_ctx):
    # Messages in English, whatever the default language, so tests can match them.
    with app_ctx.test_request_context(), force_locale("en"), clock.frozen(NOW):
        yield


@pytest.fixture
def staff():
    return make_user(role="staff")


@pytest.fixture
def coordinator():
    return make_user(name="Cora Coördinator")


@pytest.fixture
def team(coordinator):
    return make_team(coordinator, [make_user(name="Mila Lid")], name="VR in de zorg")


def request(team, **changes):
    values = {
        "weekday": 2,
        "second_weekday": None,
        "starts": time(9),
        "ends": time(16),
        "first_day": TUESDAY,
        "day_count": 4,
        "note": "",
        "actor": db.session.get(type(team.coordinator), team.coordinator_id),
        "now": NOW,
    }
    return services.request_programme(team, **{**values, **changes})


def design_days(programme):
    return list(
        db.session.scalars(
            sa.select(DesignDay)
            .where(DesignDay.programme_id == programme.id)
            .order_by(DesignDay.day)
        )
    )


def events(action):
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


# --- teams and members ------------------------------------------------------------------


def test_a_teacher_creates_a_team_and_is_its_first_member(coordinator):
    team = services.create_team(
        name="  Drones  bij bouw ",
        theme="Inspectie met drones",
        department="Bouw en Infra",
        coordinator=coordinator,
        actor=coordinator,
        now=NOW,
    )
    assert team.name == "Drones bij bouw"
    assert [m.user_id for m in services.active_members(team.id, TUESDAY)] == [coordinator.id]
    assert events("team.created")[0].actor_id == coordinator.id


def test_a_teacher_cannot_make_someone_else_coordinator(coordinator):
    with pytest.raises(NotAllowed):
        services.create_team(
            name="X", theme="Y", department="", coordinator=make_user(), actor=coordinator, now=NOW
        )


def test_team_names_are_unique_whatever_the_case(team, coordinator):
    with pytest.raises(Conflict) as refused:
        services.create_team(
            name="vr IN de ZORG",
            theme="Y",
            department="",
            coordinator=coordinator,
            actor=coordinator,
            now=NOW,
        )
    assert refused.value.field == "name"


def test_adding_someone_twice_or_an_inactive_account_is_refused(team, coordinator):
    member = make_user()
    services.add_member(team, member, actor=coordinator, now=NOW)
    with pytest.raises(Conflict):
        services.add_member(team, member, actor=coordinator, now=NOW)
    with pytest.raises(InvalidRequest):
        services.add_member(team, make_user(is_active=False), actor=coordinator, now=NOW)


def test_only_the_coordinator_or_staff_change_a_team(team, staff):
    member = services.active_members(team.id, TUESDAY)[1].user
    with pytest.raises(NotAllowed):
        services.add_member(team, make_user(), actor=member, now=NOW)
    services.add_member(team, make_user(), actor=staff, now=NOW)


def test_members_leave_the_history_stays_and_the_coordinator_hands_over_first(team, coordinator):
    own = db.session.scalar(
        sa.select(Membership).where(
            Membership.team_id == team.id, Membership.user_id == coordinator.id
        )
    )
    with pytest.raises(Conflict):
        services.end_membership(own, actor=coordinator, now=NOW)
    other = services.active_members(team.id, TUESDAY)[1]
    services.end_membership(other, actor=other.user, now=NOW)
    assert other.left_on == date(2026, 11, 30)
    assert len(services.active_members(team.id, TUESDAY)) == 1
    assert db.session.get(Membership, other.id) is not None


def test_the_coordinator_must_be_a_member(team, coordinator):
    with pytest.raises(InvalidRequest):
        services.change_team(
            team,
            name=team.name,
            theme=team.theme,
            department="",
            coordinator=make_user(),
            actor=coordinator,
            now=NOW,
        )


# --- programme requests -------------------------------------------------------------------


def test_a_team_of_one_may_not_ask_for_lab_days(coordinator):
    lonely = make_team(coordinator)
    with pytest.raises(InvalidRequest, match="at least 2"):
        request(lonely)


def test_plan_skips_closures_extends_and_shows_places_and_busy_members(team, staff):
    make_closure(date(2026, 12, 8), reason="Studiedag")
    shared = services.active_members(team.id, TUESDAY)[1].user
    other = make_team(make_user(), [shared])
    services.approve(
        request(other, first_day=date(2026, 12, 15), day_count=1), actor=staff, now=NOW
    )
    plan = services.plan(
        team, weekday=2, starts=time(9), ends=time(16), first_day=TUESDAY, day_count=3
    )
    assert plan.series.days == [date(2026, 12, 1), date(2026, 12, 15), date(2026, 12, 22)]
    assert [(s.day, s.reason) for s in plan.series.skipped] == [(date(2026, 12, 8), "Studiedag")]
    assert [c.free for c in plan.checks] == [4, 3, 4]
    assert [c.busy_members for c in plan.checks] == [(), (shared.id,), ()]
    assert not plan.ok


def test_one_waiting_request_per_team(team):
    request(team)
    with pytest.raises(Conflict):
        request(team)


def test_approval_creates_every_day_in_the_lab_zone(team, staff):
    programme = request(team, first_day=date(2027, 3, 23), day_count=2)
    created = services.approve(programme, actor=staff, now=NOW)
    assert programme.status == ProgrammeStatus.APPROVED and programme.decided_by_id == staff.id
    assert [d.day for d in created] == [date(2027, 3, 23), date(2027, 3, 30)]
    # Either side of the last Sunday of March the day starts at 09:00 on the lab's clock.
    assert [d.starts_at.astimezone(AMS).time() for d in design_days(programme)] == [time(9)] * 2
    assert db.session.get(LabDay, date(2027, 3, 23)) is not None


def test_approval_never_fills_a_day_beyond_capacity(team, staff):
    settings.put("lab.capacity", 1, actor_id=None, now=NOW)
    first = request(
        make_team(make_user(), [make_user()]), first_day=date(2026, 12, 15), day_count=1
    )
    services.approve(first, actor=staff, now=NOW)
    programme = request(team)
    with pytest.raises(Conflict, match="full") as refused:
        services.approve(programme, actor=staff, now=NOW)
    assert "15 Dec" in str(refused.value)
    db.session.rollback()


def test_approve_with_exceptions_drops_and_moves_named_dates(team, staff):
    programme = request(team)
    services.approve(
        programme,
        actor=staff,
        now=NOW,
        drop={date(2026, 12, 8)},
        moves={date(2026, 12, 15): date(2026, 12, 17)},
    )
    assert [d.day for d in design_days(programme)] == [
        date(2026, 12, 1),
        date(2026, 12, 17),
        date(2026, 12, 22),
    ]
    event = events("programme.approved")[0]
    assert event.details["dropped"] == ["2026-12-08"]
    assert event.details["moved"] == {"2026-12-15": "2026-12-17"}


@pytest.mark.parametrize(
    ("drop", "moves", "match"),
    [
        ({date(2026, 12, 2)}, {}, "not one of"),
        (set(), {date(2026, 12, 1): date(2026, 12, 8)}, "same day"),
        (set(), {date(2026, 12, 1): date(2026, 12, 5)}, "no design days"),
        (set(), {date(2026, 12, 1): date(2026, 11, 24)}, "already passed"),
    ],
)
def test_exceptions_that_make_no_sense_are_refused(team, staff, drop, moves, match):
    with pytest.raises(InvalidRequest, match=match):
        services.approve(request(team), actor=staff, now=NOW, drop=drop, moves=moves)


def test_a_decided_request_cannot_be_decided_again(team, staff):
    programme = request(team)
    services.reject(programme, reason="Geen plek op dinsdag", actor=staff, now=NOW)
    with pytest.raises(Conflict, match="already been dealt with"):
        services.approve(programme, actor=staff, now=NOW)
    with pytest.raises(InvalidRequest):
        services.reject(request(team), reason="  ", actor=staff, now=NOW)


def test_teachers_and_managers_cannot_approve(team):
    with pytest.raises(NotAllowed):
        services.approve(request(team), actor=make_user(role="manager"), now=NOW)


def test_the_coordinator_withdraws_a_waiting_request(team, coordinator):
    programme = request(team)
    services.withdraw(programme, actor=coordinator, now=NOW)
    assert programme.status == ProgrammeStatus.WITHDRAWN


# --- single design days ---------------------------------------------------------------------


@pytest.fixture
def approved(team, staff):
    programme = request(team)
    services.approve(programme, actor=staff, now=NOW)
    return programme


def test_cancel_move_and_add_are_checked_and_recorded(approved, coordinator, staff):
    first, second, *_ = design_days(approved)
    services.cancel_day(first, reason="Teamuitje", actor=coordinator, now=NOW)
    assert first.status == DesignDayStatus.CANCELLED and first.sequence == 1
    services.move_day(
        second, day=date(2026, 12, 10), starts=time(10), ends=time(15), actor=coordinator, now=NOW
    )
    assert second.day == date(2026, 12, 10)
    assert second.starts_at.astimezone(AMS).time() == time(10)
    extra = services.add_day(
        approved, day=date(2027, 1, 14), starts=time(9), ends=time(12), actor=staff, now=NOW
    )
    assert extra.status == DesignDayStatus.SCHEDULED
    actions = {e.action for e in db.session.scalars(sa.select(AuditEvent))}
    assert {"design_day.cancelled", "design_day.moved", "design_day.added"} <= actions


def test_a_move_to_a_closed_or_full_day_is_refused(approved, coordinator, staff):
    day = design_days(approved)[1]
    make_closure(date(2026, 12, 9), reason="Studiedag")
    with pytest.raises(Conflict, match="closed"):
        services.move_day(
            day, day=date(2026, 12, 9), starts=time(9), ends=time(16), actor=coordinator, now=NOW
        )
    settings.put("lab.capacity", 1, actor_id=None, now=NOW)
    other = request(
        make_team(make_user(), [make_user()]), weekday=4, first_day=date(2026, 12, 10), day_count=1
    )
    services.approve(other, actor=staff, now=NOW)
    with pytest.raises(Conflict, match="full"):
        services.move_day(
            day, day=date(2026, 12, 10), starts=time(9), ends=time(16), actor=coordinator, now=NOW
        )


def test_a_member_cannot_change_the_teams_days(approved, team):
    member = services.active_members(team.id, TUESDAY)[1].user
    with pytest.raises(NotAllowed):
        services.cancel_day(design_days(approved)[0], reason="x", actor=member, now=NOW)


def test_a_closure_cancels_the_design_days_it_covers(approved, staff):
    cancelled = services.close_lab(
        first_day=date(2026, 12, 7),
        last_day=date(2026, 12, 16),
        reason="Verbouwing",
        actor=staff,
        now=NOW,
    )
    assert [d.day for d in cancelled] == [date(2026, 12, 8), date(2026, 12, 15)]
    assert {d.cancel_reason for d in cancelled} == {"Verbouwing"}


def test_past_days_become_held_and_finished_programmes_finish(approved):
    later = datetime(2026, 12, 23, tzinfo=UTC)
    assert services.close_past_days(later) == 5
    assert {d.status for d in design_days(approved)} == {DesignDayStatus.HELD}
    assert approved.status == ProgrammeStatus.FINISHED
    assert services.close_past_days(later) == 0


def test_a_day_that_becomes_held_gets_a_new_sequence_once(approved):
    before = {d.id: d.sequence for d in design_days(approved)}
    later = datetime(2026, 12, 23, tzinfo=UTC)
    services.close_past_days(later)
    services.close_past_days(later + timedelta(days=1))
    db.session.flush()
    db.session.expire_all()
    after = {d.id: (d.sequence, d.updated_at) for d in design_days(approved)}
    assert after == {day_id: (sequence + 1, later) for day_id, sequence in before.items()}


# --- attendance -------------------------------------------------------------------------------


def test_members_check_in_on_the_day_only(approved, team):
    member = services.active_members(team.id, TUESDAY)[1].user
    tuesday = design_days(approved)[0]
    with pytest.raises(Conflict, match="only open on the day"):
        services.check_in(tuesday, user=member, now=NOW)
    on_the_day = datetime(2026, 12, 1, 9, 2, tzinfo=AMS).astimezone(UTC)
    attendance = services.check_in(tuesday, user=member, now=on_the_day)
    assert attendance.present and attendance.checked_in_at == on_the_day
    again = services.check_in(tuesday, user=member, now=on_the_day + timedelta(hours=1))
    assert again.checked_in_at == on_the_day
    with pytest.raises(NotAllowed):
        services.check_in(tuesday, user=make_user(), now=on_the_day)


def test_staff_record_and_correct_attendance_with_a_reason(approved, team, staff):
    member = services.active_members(team.id, TUESDAY)[1].user
    tuesday = design_days(approved)[0]
    later = datetime(2026, 12, 1, 17, 0, tzinfo=AMS).astimezone(UTC)
    services.record_attendance(
        tuesday, user=member, present=False, reason="", actor=staff, now=later
    )
    with pytest.raises(InvalidRequest, match="Say why"):
        services.record_attendance(
            tuesday, user=member, present=True, reason="", actor=staff, now=later
        )
    services.record_attendance(
        tuesday, user=member, present=True, reason="Was er wel", actor=staff, now=later
    )
    row = db.session.scalar(sa.select(Attendance))
    assert row.present and row.recorded_by_id == staff.id and row.reason == "Was er wel"
    with pytest.raises(NotAllowed):
        services.record_attendance(
            tuesday, user=member, present=True, reason="x", actor=member, now=later
        )
    assert [e.details["before"] for e in events("attendance.recorded")] == [None, False]


def test_staff_may_approve_the_second_choice_of_weekday(team, staff):
    programme = request(team, second_weekday=4)
    services.approve(programme, actor=staff, now=NOW, weekday=4)
    assert (programme.weekday, programme.second_weekday) == (4, 2)
    assert {d.day.isoweekday() for d in design_days(programme)} == {4}
    with pytest.raises(InvalidRequest, match="first or the second"):
        services.approve(
            request(make_team(make_user(), [make_user()])), actor=staff, now=NOW, weekday=5
        )


def test_a_request_approved_after_its_first_day_starts_from_today(team, staff):
    programme = request(team, first_day=TUESDAY, day_count=2)
    later = datetime(2026, 12, 2, 9, 0, tzinfo=AMS).astimezone(UTC)
    services.approve(programme, actor=staff, now=later)
    assert [d.day for d in design_days(programme)] == [date(2026, 12, 8), date(2026, 12, 15)]
