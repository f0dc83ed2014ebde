"""assess_teams on a real database: which facts count, as of which day, in how many statements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from straxlab.auth.models import User
from straxlab.compliance import services as compliance
from straxlab.compliance.assessment import assess_team, assess_teams, current_programmes
from straxlab.compliance.rules import MemberAttendance, PlanStatus, Rule, Severity
from straxlab.core import clock, settings
from straxlab.design_teams import services as teams
from straxlab.design_teams.models import DesignDay, DesignTeam, Membership, Programme
from straxlab.extensions import db
from straxlab.lab_calendar.settings import LAB_CAPACITY
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

AMS = ZoneInfo("Europe/Amsterdam")


def lab(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """An instant given on the lab's wall clock, as UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=AMS).astimezone(UTC)


@pytest.fixture(autouse=True)
def context(app_ctx):
    with app_ctx.test_request_context():
        yield


@dataclass
class Story:
    team: DesignTeam
    coordinator: User
    anna: User
    bram: User
    cees: User
    spring: Programme
    autumn: Programme


def days_of(programme: Programme) -> dict[date, DesignDay]:
    return {
        d.day: d
        for d in db.session.scalars(
            sa.select(DesignDay).where(DesignDay.programme_id == programme.id)
        )
    }


def record(design_day: DesignDay, user: User, present: bool, staff: User) -> None:
    teams.record_attendance(
        design_day,
        user=user,
        present=present,
        reason="",
        actor=staff,
        now=design_day.ends_at + timedelta(minutes=1),
    )


@pytest.fixture
def story() -> Story:
    """A team with a spring programme (three Thursdays in March 2026) and an autumn one
    (Tuesdays from 1 September 2026, the third cancelled); Bram joins on 10 September, Cees
    leaves on 20 September."""
    with clock.frozen(lab(2026, 3, 2, 9)):
        staff = make_user(role="staff")
        coordinator = make_user(name="Cora Coördinator")
        anna = make_user(name="Anna Aalders")
        bram = make_user(name="Bram Bos")
        cees = make_user(name="Cees Claassen")
        team = make_team(coordinator, [anna, cees], name="VR in de zorg")
        spring = make_programme(team, first_day=date(2026, 3, 5), day_count=3, approve_by=staff)
    with clock.frozen(lab(2026, 8, 24, 9)):
        autumn = make_programme(team, first_day=date(2026, 9, 1), day_count=6, approve_by=staff)

    # Spring: the coordinator never came, Anna always did; none of it counts in the autumn.
    for design_day in days_of(spring).values():
        record(design_day, coordinator, False, staff)
        record(design_day, anna, True, staff)

    autumn_days = days_of(autumn)
    assert sorted(autumn_days) == [
        date(2026, 9, 1),
        date(2026, 9, 8),
        date(2026, 9, 15),
        date(2026, 9, 22),
        date(2026, 9, 29),
        date(2026, 10, 6),
    ]
    teams.cancel_day(
        autumn_days[date(2026, 9, 15)], reason="Studiedag", actor=staff, now=lab(2026, 9, 7)
    )
    teams.add_member(team, bram, actor=coordinator, now=lab(2026, 9, 10, 10))
    leaving = db.session.scalar(
        sa.select(Membership).where(Membership.team_id == team.id, Membership.user_id == cees.id)
    )
    teams.end_membership(leaving, actor=coordinator, now=lab(2026, 9, 20, 10))

    attendance = {
        coordinator: {1: True, 8: True, 22: True, 29: True},
        anna: {1: True, 8: True, 22: True, 29: False},
        bram: {22: True, 29: False},
        cees: {1: True, 8: True},
    }
    for user, marks in attendance.items():
        for day, present in marks.items():
            record(autumn_days[date(2026, 9, day)], user, present, staff)
    db.session.flush()
    return Story(team, coordinator, anna, bram, cees, spring, autumn)


def assessed(story: Story, on: date, now: datetime | None = None) -> Any:
    return assess_teams([story.team], on=on, now=now or lab(2026, 11, 30))[0]


def by_name(attendance: list[MemberAttendance]) -> dict[str, tuple[int, int]]:
    return {m.name: (m.held, m.present) for m in attendance}


# --- attendance ----------------------------------------------------------------------------


def test_attendance_counts_the_current_programmes_held_days_of_active_members(story):
    result = assessed(story, date(2026, 9, 30))
    assert result.programme.id == story.autumn.id
    # The cancelled 15 September and the future 6 October do not count; Cees has left; Bram
    # counts from the day he joined; the spring programme is over and does not count either.
    assert by_name(result.attendance) == {
        "Cora Coördinator": (4, 4),
        "Anna Aalders": (4, 3),
        "Bram Bos": (2, 1),
    }
    assert result.facts.active_members == 3
    assert result.facts.attendance == result.attendance
    assert (result.facts.first_lab_day, result.facts.last_lab_day) == (
        date(2026, 9, 1),
        date(2026, 10, 6),
    )
    assert result.attendance_percent == 8 * 100 // 10
    low = [f for f in result.findings if f.rule is Rule.ATTENDANCE]
    assert [(f.severity, f.params["name"]) for f in low] == [(Severity.RED, "Bram Bos")]


def test_a_design_day_counts_once_it_has_ended(story):
    during = assessed(story, date(2026, 9, 29), now=lab(2026, 9, 29, 12))
    assert by_name(during.attendance)["Cora Coördinator"] == (3, 3)
    assert by_name(during.attendance)["Bram Bos"] == (1, 1)
    after = assessed(story, date(2026, 9, 29), now=lab(2026, 9, 29, 16, 30))
    assert by_name(after.attendance)["Cora Coördinator"] == (4, 4)
    # A past day is taken at its end, whatever the hour of ``now``.
    past = assessed(story, date(2026, 9, 29), now=lab(2026, 10, 20, 8))
    assert by_name(past.attendance)["Bram Bos"] == (2, 1)


def test_a_member_who_left_counted_while_a_member(story):
    before_leaving = assessed(story, date(2026, 9, 19))
    assert by_name(before_leaving.attendance)["Cees Claassen"] == (2, 2)
    assert "Bram Bos" in by_name(before_leaving.attendance)
    assert before_leaving.facts.active_members == 4


def test_the_current_programme_is_the_latest_begun_or_else_the_first_to_come(story):
    chosen = {
        on: current_programmes([story.team.id], on)[story.team.id].id
        for on in (
            date(2026, 3, 1),
            date(2026, 3, 5),
            date(2026, 6, 1),
            date(2026, 8, 31),
            date(2026, 9, 1),
            date(2027, 6, 1),
        )
    }
    assert chosen == {
        date(2026, 3, 1): story.spring.id,
        date(2026, 3, 5): story.spring.id,
        date(2026, 6, 1): story.spring.id,
        date(2026, 8, 31): story.spring.id,
        date(2026, 9, 1): story.autumn.id,
        date(2027, 6, 1): story.autumn.id,
    }
    spring = assessed(story, date(2026, 6, 1))
    assert by_name(spring.attendance)["Cora Coördinator"] == (3, 0)
    assert by_name(spring.attendance)["Anna Aalders"] == (3, 3)
    assert spring.facts.first_lab_day == date(2026, 3, 5)


def test_a_request_that_is_not_approved_gives_no_lab_days():
    with clock.frozen(lab(2026, 11, 2, 9)):
        team = make_team(make_user(), [make_user()])
        make_programme(team, first_day=date(2026, 11, 3))
        result = assess_team(team, now=lab(2026, 11, 30))
    assert result.programme is None
    assert result.facts.first_lab_day is None and result.attendance_percent is None
    assert result.status is Severity.GREEN


# --- as of a past day ----------------------------------------------------------------------


def test_as_of_a_past_day_later_entries_deliveries_and_approvals_do_not_count(story):
    anna, team = story.anna, story.team
    compliance.add_progress(
        team, written_on=date(2026, 9, 10), text="Les 1.", actor=anna, now=lab(2026, 9, 10, 17)
    )
    compliance.add_progress(
        team, written_on=date(2026, 9, 28), text="Les 2.", actor=anna, now=lab(2026, 9, 28, 17)
    )
    compliance.add_scenario(
        team,
        compliance.ScenarioInput(
            "Tillen met VR", course="Verpleegkunde", delivered_on=date(2026, 9, 25)
        ),
        actor=anna,
        now=lab(2026, 9, 25, 17),
    )
    # Delivered, but not used in a course: it does not tie the lab back to teaching.
    compliance.add_scenario(
        team,
        compliance.ScenarioInput("Losse proef", delivered_on=date(2026, 9, 5)),
        actor=anna,
        now=lab(2026, 9, 5, 17),
    )
    with clock.frozen(lab(2026, 9, 14, 15)):
        plan = make_plan(team, submit=True)
    # Ten past midnight in the lab is still the evening before in UTC.
    approved_at = lab(2026, 9, 18, 0, 30)
    assert approved_at.date() == date(2026, 9, 17)
    compliance.approve_plan(plan, actor=make_user(role="manager"), now=approved_at)

    early = assessed(story, date(2026, 9, 17))
    assert early.facts.last_progress_on == date(2026, 9, 10)
    assert early.facts.scenarios_delivered == 0
    assert early.facts.plan_approved_on is None
    assert next(f for f in early.findings if f.rule is Rule.PLAN).message == "plan.due"
    # The plan was submitted (not yet approved) then, whatever its status is now.
    assert early.facts.plan_status is PlanStatus.SUBMITTED
    assert assessed(story, date(2026, 9, 13)).facts.plan_status is PlanStatus.DRAFT

    approved = assessed(story, date(2026, 9, 18))
    assert approved.facts.plan_approved_on == date(2026, 9, 18)
    assert approved.facts.plan_status is PlanStatus.APPROVED

    later = assessed(story, date(2026, 9, 30))
    assert later.facts.last_progress_on == date(2026, 9, 28)
    assert later.facts.scenarios_delivered == 1
    assert later.facts.plan_approved_on == date(2026, 9, 18)


def test_milestones_created_after_the_moment_assessed_do_not_count(story):
    compliance.add_milestone(
        story.team,
        title="Draaiboek klaar",
        due_on=date(2026, 9, 1),
        actor=story.coordinator,
        now=lab(2026, 9, 25, 10),
    )

    def messages(on: date, now: datetime) -> list[str]:
        return [f.message for f in assessed(story, on, now).findings if f.rule is Rule.MILESTONES]

    assert messages(date(2026, 9, 24), lab(2026, 11, 30)) == ["milestones.none"]
    # Today: up to now, not to the end of the day.
    assert messages(date(2026, 9, 25), lab(2026, 9, 25, 9)) == ["milestones.none"]
    assert messages(date(2026, 9, 25), lab(2026, 9, 25, 11)) == ["milestones.late"]
    assert messages(date(2026, 9, 25), lab(2026, 11, 30)) == ["milestones.late"]


def test_the_status_is_the_worst_finding_and_problems_are_worst_first(story):
    result = assessed(story, date(2026, 9, 30))
    assert result.status is Severity.RED
    assert result.problems[0].severity is Severity.RED
    assert [p.severity.rank for p in result.problems] == sorted(
        (p.severity.rank for p in result.problems), reverse=True
    )
    assert all(p.severity is not Severity.GREEN for p in result.problems)


def test_no_teams_no_statements():
    with count_statements() as statements:
        assert assess_teams([], on=date(2026, 11, 30), now=lab(2026, 11, 30)) == []
    assert statements == []


# --- bounded statements --------------------------------------------------------------------


def build_teams(count: int) -> None:
    """``count`` teams with lab days, attendance, a plan, a milestone, a log entry, a scenario."""
    built = []
    with clock.frozen(lab(2026, 10, 30, 9)):
        staff = make_user(role="staff")
        manager = make_user(role="manager")
        settings.put(LAB_CAPACITY.key, 50, actor_id=staff.id, now=clock.now())
        for _ in range(count):
            team = make_team(make_user(), [make_user(), make_user()])
            make_programme(team, first_day=date(2026, 11, 3), day_count=8, approve_by=staff)
            make_plan(team, approve_by=manager)
            make_milestone(team, due_on=date(2026, 11, 20))
            built.append(team)
    for team in built:
        first = db.session.scalars(
            sa.select(DesignDay).where(DesignDay.team_id == team.id).order_by(DesignDay.day)
        ).first()
        for membership in teams.active_members(team.id, first.day):
            record(first, membership.user, True, staff)
        with clock.frozen(lab(2026, 11, 20, 16)):
            make_progress_entry(team)
            make_scenario(team, delivered_on=date(2026, 11, 19))
    db.session.flush()
    db.session.expire_all()


def statements_for_all() -> tuple[int, int]:
    """How many teams there are, and the statements assessing them all took."""
    team_list = db.session.scalars(sa.select(DesignTeam)).unique().all()
    with count_statements() as statements:
        result = assess_teams(team_list, on=date(2026, 11, 30), now=lab(2026, 11, 30))
        # What the pages read from an assessment must not load anything more.
        for item in result:
            _ = [m.name for m in item.attendance], item.team.coordinator.name
            _ = item.programme.team.name if item.programme else None
    assert {item.facts.first_lab_day for item in result} == {date(2026, 11, 3)}
    assert all(item.facts.scenarios_delivered == 1 for item in result)
    # Four Tuesdays held by 30 November, the first one attended by all.
    assert all(item.attendance_percent == 25 for item in result)
    return len(team_list), len(statements)


def test_the_number_of_statements_does_not_grow_with_the_number_of_teams():
    build_teams(3)
    few = statements_for_all()
    build_teams(27)
    many = statements_for_all()
    assert (few[0], many[0]) == (3, 30)
    assert few[1] == many[1] <= 12
