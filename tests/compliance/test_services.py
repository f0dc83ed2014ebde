"""Compliance use cases against the real database: the plan, team work, snapshots, retention."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from straxlab.compliance import services
from straxlab.compliance.models import (
    ComplianceSnapshot,
    Milestone,
    PlanVersion,
    ProgressEntry,
)
from straxlab.compliance.rules import ActivityKind, PlanOutcome, PlanStatus, Severity
from straxlab.compliance.services import ActivityInput, ScenarioInput
from straxlab.compliance.settings import RETENTION_MONTHS
from straxlab.core import clock, settings
from straxlab.core.audit import AuditEvent
from straxlab.core.errors import Conflict, InvalidRequest, NotAllowed
from straxlab.design_teams import services as teams
from straxlab.design_teams.models import Attendance, DesignDay, DesignTeam, Membership
from straxlab.extensions import db
from tests.factories import make_plan, make_programme, make_team, make_user

AMS = ZoneInfo("Europe/Amsterdam")


def lab(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """An instant on the lab's wall clock, as UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=AMS).astimezone(UTC)


# Monday 30 November 2026, 10:00 in the lab (ISO week 2026-W49).
NOW = lab(2026, 11, 30)
TODAY = date(2026, 11, 30)


@pytest.fixture(autouse=True)
def frozen(app_ctx):
    # Messages in English, whatever the default language, so tests can match them.
    with app_ctx.test_request_context(), force_locale("en"), clock.frozen(NOW):
        yield


@pytest.fixture
def coordinator():
    return make_user(name="Cora Coördinator")


@pytest.fixture
def member():
    return make_user(name="Mila Lid")


@pytest.fixture
def team(coordinator, member):
    return make_team(coordinator, [member], name="VR in de zorg")


@pytest.fixture
def manager():
    return make_user(role="manager", name="Mo Manager")


@pytest.fixture
def staff():
    return make_user(role="staff", name="Sam Staf")


ACTIVITIES = [
    ActivityInput(ActivityKind.WORKSHOP, "Workshop VR-didactiek", "Anna", 8),
    ActivityInput(ActivityKind.TOOL_TRIAL, "Quest 3 uitproberen", "", 4),
]


def save(team, actor, *, now=NOW, **changes):
    values = {
        "goals": "Lessen met VR ontwerpen.",
        "collaboration": "Anna schrijft, Bram test.",
        "intended_scenarios": "Tillen met VR.",
        "activities": ACTIVITIES,
        **changes,
    }
    return services.save_plan(team, actor=actor, now=now, **values)


def events(action):
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


# --- the plan's lifecycle --------------------------------------------------------------------


def test_a_plan_goes_through_submit_return_resubmit_approve_revise_approve(
    team, coordinator, member, manager
):
    plan = save(team, coordinator)
    assert plan.status is PlanStatus.DRAFT and plan.first_approved_at is None
    assert [(a.kind, a.description, a.planned_hours) for a in plan.activities] == [
        (ActivityKind.WORKSHOP, "Workshop VR-didactiek", 8),
        (ActivityKind.TOOL_TRIAL, "Quest 3 uitproberen", 4),
    ]
    assert services.plan_of(team) is plan

    first = services.submit_plan(team, actor=member, now=NOW + timedelta(hours=1))
    assert (first.number, first.outcome, plan.status) == (
        1,
        PlanOutcome.PENDING,
        PlanStatus.SUBMITTED,
    )
    assert first.submitted_by_id == member.id
    assert first.content == services.plan_content(plan)
    frozen = dict(first.content)

    with pytest.raises(Conflict, match="waiting for a manager"):
        save(team, coordinator, goals="Iets anders")
    with pytest.raises(Conflict, match="already been submitted"):
        services.submit_plan(team, actor=coordinator, now=NOW)

    with pytest.raises(InvalidRequest, match="Say what the team should change") as refused:
        services.return_plan(plan, comment="  \r\n ", actor=manager, now=NOW)
    assert refused.value.field == "comment"
    returned = services.return_plan(
        plan, comment="Maak de doelen meetbaar.", actor=manager, now=NOW + timedelta(days=1)
    )
    assert returned is first
    assert (first.outcome, first.comment, first.decided_by_id) == (
        PlanOutcome.RETURNED,
        "Maak de doelen meetbaar.",
        manager.id,
    )
    assert plan.status is PlanStatus.RETURNED

    save(team, coordinator, goals="Drie VR-lessen, door 80 % van de studenten gevolgd.")
    assert plan.status is PlanStatus.RETURNED
    second = services.submit_plan(team, actor=coordinator, now=NOW + timedelta(days=2))
    assert second.number == 2 and plan.status is PlanStatus.SUBMITTED
    # What the manager judged the first time stays as it was submitted.
    assert first.content == frozen
    assert second.content["goals"].startswith("Drie VR-lessen")

    approved_at = NOW + timedelta(days=3)
    services.approve_plan(plan, comment="Mooi plan.", actor=manager, now=approved_at)
    assert (second.outcome, second.comment, second.decided_at) == (
        PlanOutcome.APPROVED,
        "Mooi plan.",
        approved_at,
    )
    assert plan.status is PlanStatus.APPROVED and plan.first_approved_at == approved_at
    with pytest.raises(Conflict, match="already been decided"):
        services.approve_plan(plan, actor=manager, now=approved_at)
    with pytest.raises(Conflict, match="already been decided"):
        services.return_plan(plan, comment="Toch niet.", actor=manager, now=approved_at)
    with pytest.raises(Conflict, match="change it first"):
        services.submit_plan(team, actor=coordinator, now=approved_at)

    # Revising the approved plan makes a new draft; the first approval date stays.
    save(team, coordinator, now=NOW + timedelta(days=10), activities=ACTIVITIES[:1])
    assert plan.status is PlanStatus.DRAFT and plan.first_approved_at == approved_at
    assert [e.details for e in events("plan.revised")] == [{}]
    third = services.submit_plan(team, actor=coordinator, now=NOW + timedelta(days=10))
    services.approve_plan(plan, actor=manager, now=NOW + timedelta(days=11))
    assert third.number == 3 and third.outcome is PlanOutcome.APPROVED
    assert plan.first_approved_at == approved_at
    assert [v.number for v in services.versions(plan)] == [3, 2, 1]
    assert [e.details["version"] for e in events("plan.submitted")] == [1, 2, 3]
    assert [e.details["version"] for e in events("plan.approved")] == [2, 3]
    assert [e.details["version"] for e in events("plan.returned")] == [1]


def test_submitting_an_incomplete_plan_names_what_is_missing(team, coordinator):
    save(team, coordinator, goals="", intended_scenarios=" \n ")
    with pytest.raises(InvalidRequest) as refused:
        services.submit_plan(team, actor=coordinator, now=NOW)
    assert str(refused.value) == (
        "Fill in the goals, intended lesson scenarios before you submit the plan."
    )
    assert refused.value.field == "goals"

    save(team, coordinator, activities=[])
    with pytest.raises(InvalidRequest, match="at least one professionalisation activity") as no:
        services.submit_plan(team, actor=coordinator, now=NOW)
    assert no.value.field == "activities"
    assert db.session.scalar(sa.select(sa.func.count(PlanVersion.id))) == 0


def test_submitting_creates_the_plan_when_there_is_none_and_refuses_it_empty(team, coordinator):
    with pytest.raises(InvalidRequest, match="collaboration agreements"):
        services.submit_plan(team, actor=coordinator, now=NOW)
    assert services.plan_of(team).status is PlanStatus.DRAFT


# --- who may ---------------------------------------------------------------------------------


def test_only_members_the_coordinator_and_lab_staff_write_the_plan(
    team, coordinator, member, staff, manager
):
    outsider = make_user(name="Olaf Buiten")
    with pytest.raises(NotAllowed, match="Only the team's members and lab staff"):
        save(team, outsider)
    with pytest.raises(NotAllowed):
        services.submit_plan(team, actor=outsider, now=NOW)
    with pytest.raises(NotAllowed):
        save(team, manager)
    # Lab staff help a team with its plan.
    plan = save(team, staff, goals="Door de labmedewerker aangevuld.")
    assert plan.updated_by_id == staff.id
    with pytest.raises(NotAllowed):
        services.submit_plan(team, actor=manager, now=NOW)
    assert services.submit_plan(team, actor=member, now=NOW).number == 1

    assert services.may_contribute(team, member, TODAY)
    assert services.may_contribute(team, staff, TODAY)
    assert not services.may_contribute(team, manager, TODAY)
    assert not services.may_contribute(team, outsider, TODAY)


def test_a_former_member_and_a_deactivated_coordinator_no_longer_write(team, coordinator, member):
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == member.id))
    teams.end_membership(membership, actor=coordinator, now=NOW)
    with pytest.raises(NotAllowed):
        services.add_progress(
            team, written_on=TODAY, text="Nog even.", actor=member, now=NOW + timedelta(days=1)
        )
    coordinator.is_active = False
    assert not services.may_contribute(team, coordinator, TODAY)


@pytest.mark.parametrize("role", ["teacher", "staff"])
def test_only_a_manager_decides_on_a_plan(team, coordinator, role):
    plan = make_plan(team, submit=True)
    for decider in (coordinator, make_user(role=role)):
        with pytest.raises(NotAllowed, match="Only a manager"):
            services.approve_plan(plan, actor=decider, now=NOW)
        with pytest.raises(NotAllowed, match="Only a manager"):
            services.return_plan(plan, comment="Nee.", actor=decider, now=NOW)
    assert plan.status is PlanStatus.SUBMITTED
    inactive = make_user(role="manager")
    inactive.is_active = False
    assert not services.may_decide_plans(inactive)
    assert services.may_decide_plans(make_user(role="manager"))


# --- text and activities ---------------------------------------------------------------------


def test_plan_text_is_cleaned_and_kept_to_its_length(team, coordinator):
    plan = save(
        team,
        coordinator,
        goals="  Doel 1   \r\nDoel 2\r\n\r\nAlinea 2\n\n",
        activities=[
            ActivityInput(ActivityKind.OTHER, "  Werk\r\n  bezoek  ", " Anna \n en Bram ", 0)
        ],
    )
    assert plan.goals == "Doel 1\nDoel 2\n\nAlinea 2"
    assert (plan.activities[0].description, plan.activities[0].who) == (
        "Werk bezoek",
        "Anna en Bram",
    )
    for field, length in (
        ("goals", services.TEXT_LENGTH),
        ("collaboration", services.TEXT_LENGTH),
        ("intended_scenarios", services.TEXT_LENGTH),
    ):
        assert save(team, coordinator, **{field: "x" * length})
        with pytest.raises(InvalidRequest, match=f"under {length} characters") as refused:
            save(team, coordinator, **{field: "x" * (length + 1)})
        assert refused.value.field == field
    long_description = "x" * (services.ACTIVITY_LENGTH + 1)
    with pytest.raises(InvalidRequest) as refused:
        save(
            team,
            coordinator,
            activities=[ActivityInput(ActivityKind.OTHER, long_description, "", 1)],
        )
    assert refused.value.field == "activities"


@pytest.mark.parametrize("hours", [-1, services.MAX_PLANNED_HOURS + 1])
def test_planned_hours_are_between_zero_and_the_maximum(team, coordinator, hours):
    with pytest.raises(InvalidRequest, match="between 0 and 500") as refused:
        save(team, coordinator, activities=[ActivityInput(ActivityKind.WORKSHOP, "W", "", hours)])
    assert refused.value.field == "activities"


def test_activity_limits(team, coordinator):
    edges = [
        ActivityInput(ActivityKind.WORKSHOP, "Geen uren", "", 0),
        ActivityInput(ActivityKind.WORKSHOP, "Veel uren", "", services.MAX_PLANNED_HOURS),
    ]
    assert [a.planned_hours for a in save(team, coordinator, activities=edges).activities] == [
        0,
        500,
    ]
    most = [ActivityInput(ActivityKind.OTHER, f"Activiteit {n}", "", 1) for n in range(30)]
    plan = save(team, coordinator, activities=most)
    assert [a.position for a in plan.activities] == list(range(30))
    with pytest.raises(InvalidRequest, match="at most 30 activities") as refused:
        save(team, coordinator, activities=[*most, most[0]])
    assert refused.value.field == "activities"
    with pytest.raises(InvalidRequest, match="required") as empty:
        save(team, coordinator, activities=[ActivityInput(ActivityKind.OTHER, " \n ", "Anna", 2)])
    assert empty.value.field == "activities"


# --- milestones ------------------------------------------------------------------------------


def test_milestones_are_added_changed_and_removed_with_an_audit_trail(team, coordinator, member):
    milestone = services.add_milestone(
        team,
        title="  Eerste   les getest ",
        due_on=TODAY + timedelta(days=14),
        actor=member,
        now=NOW,
    )
    assert milestone.title == "Eerste les getest"
    assert milestone.plan.team_id == team.id and milestone.plan.status is PlanStatus.DRAFT
    [added] = events("milestone.added")
    assert added.details == {"milestone": milestone.id, "title": "Eerste les getest"}

    with pytest.raises(InvalidRequest, match="has not come yet") as future:
        services.change_milestone(
            milestone,
            title=milestone.title,
            due_on=milestone.due_on,
            done_on=TODAY + timedelta(days=1),
            evidence="",
            actor=member,
            now=NOW,
        )
    assert future.value.field == "done_on"

    # Saving it unchanged records nothing.
    services.change_milestone(
        milestone,
        title="Eerste les getest",
        due_on=milestone.due_on,
        done_on=None,
        evidence="",
        actor=member,
        now=NOW,
    )
    assert events("milestone.changed") == []
    services.change_milestone(
        milestone,
        title="Eerste les getest",
        due_on=milestone.due_on,
        done_on=TODAY,
        evidence="https://wiki.example/les1",
        actor=coordinator,
        now=NOW,
    )
    [changed] = events("milestone.changed")
    assert changed.actor_id == coordinator.id
    assert changed.details["changes"] == {
        "done_on": [None, TODAY.isoformat()],
        "evidence": ["", "https://wiki.example/les1"],
    }
    with pytest.raises(Conflict, match="stays in the plan as evidence"):
        services.remove_milestone(milestone, actor=coordinator, now=NOW)

    open_one = services.add_milestone(
        team, title="Tweede les", due_on=TODAY, actor=coordinator, now=NOW
    )
    services.remove_milestone(open_one, actor=coordinator, now=NOW)
    db.session.flush()
    assert db.session.get(Milestone, open_one.id) is None
    [removed] = events("milestone.removed")
    assert removed.details["title"] == "Tweede les"


def test_a_milestone_needs_a_title_and_a_done_date_that_has_come(team, coordinator):
    with pytest.raises(InvalidRequest, match="required") as untitled:
        services.add_milestone(team, title="  ", due_on=TODAY, actor=coordinator, now=NOW)
    assert untitled.value.field == "title"
    with pytest.raises(InvalidRequest) as too_long:
        services.add_milestone(team, title="x" * 201, due_on=TODAY, actor=coordinator, now=NOW)
    assert too_long.value.field == "title"
    with pytest.raises(InvalidRequest, match="has not come yet"):
        services.add_milestone(
            team,
            title="M",
            due_on=TODAY,
            done_on=TODAY + timedelta(days=1),
            actor=coordinator,
            now=NOW,
        )
    with pytest.raises(NotAllowed):
        services.add_milestone(team, title="M", due_on=TODAY, actor=make_user(), now=NOW)


# --- progress log ----------------------------------------------------------------------------


def test_progress_entries_are_dated_up_to_today_and_changed_only_by_their_author(
    team, coordinator, member, staff
):
    with pytest.raises(InvalidRequest, match="has not come yet") as future:
        services.add_progress(
            team, written_on=TODAY + timedelta(days=1), text="Morgen.", actor=member, now=NOW
        )
    assert future.value.field == "written_on"
    with pytest.raises(InvalidRequest, match="required") as empty:
        services.add_progress(team, written_on=TODAY, text=" \r\n ", actor=member, now=NOW)
    assert empty.value.field == "text"

    entry = services.add_progress(
        team, written_on=TODAY, text="Les 1 getest.\r\nGoed ontvangen.", actor=member, now=NOW
    )
    assert entry.text == "Les 1 getest.\nGoed ontvangen."
    assert (
        services.add_progress(
            team, written_on=TODAY - timedelta(days=3), text="Door het lab.", actor=staff, now=NOW
        ).author_id
        == staff.id
    )

    for other in (coordinator, staff):
        with pytest.raises(NotAllowed, match="Only the author"):
            services.change_progress(
                entry, written_on=TODAY, text="Overschreven.", actor=other, now=NOW
            )
    with pytest.raises(InvalidRequest, match="has not come yet"):
        services.change_progress(
            entry, written_on=TODAY + timedelta(days=1), text="x", actor=member, now=NOW
        )
    later = NOW + timedelta(hours=2)
    services.change_progress(
        entry,
        written_on=TODAY - timedelta(days=1),
        text="Les 1 getest (gisteren).",
        actor=member,
        now=later,
    )
    assert (entry.written_on, entry.text, entry.updated_at) == (
        TODAY - timedelta(days=1),
        "Les 1 getest (gisteren).",
        later,
    )
    assert [e.details for e in events("progress.changed")] == [{"entry": entry.id}]
    assert len(events("progress.added")) == 2
    assert db.session.scalar(sa.select(sa.func.count(ProgressEntry.id))) == 2


# --- lesson scenarios ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [
        "ftp://files.example/les.pdf",
        "https://",
        "wiki.example/les",
        "javascript:alert(1)",
        "https://wiki.example/een les",
        "https://" + "x" * 500 + ".example",
        "http://[::1/x",
        "https://wiki.example/a\nb",
        "https://wiki.example/a\tb",
    ],
)
def test_a_scenario_link_is_a_full_web_address(team, coordinator, link):
    with pytest.raises(InvalidRequest) as refused:
        services.add_scenario(team, ScenarioInput("Les", link=link), actor=coordinator, now=NOW)
    assert refused.value.field == "link"


def test_scenarios_are_delivered_up_to_today_and_changes_are_audited(team, coordinator, member):
    with pytest.raises(InvalidRequest, match="has not come yet") as future:
        services.add_scenario(
            team,
            ScenarioInput("Tillen met VR", delivered_on=TODAY + timedelta(days=1)),
            actor=coordinator,
            now=NOW,
        )
    assert future.value.field == "delivered_on"
    scenario = services.add_scenario(
        team,
        ScenarioInput("  Tillen  met VR ", course="Verpleegkunde", link=" http://wiki.example/vr "),
        actor=coordinator,
        now=NOW,
    )
    assert (scenario.title, scenario.link, scenario.delivered_on) == (
        "Tillen met VR",
        "http://wiki.example/vr",
        None,
    )
    assert [e.details for e in events("scenario.added")] == [
        {"scenario": scenario.id, "title": "Tillen met VR"}
    ]
    services.change_scenario(
        scenario,
        ScenarioInput(
            "Tillen met VR",
            course="Verpleegkunde",
            cohort="VP2A",
            link="http://wiki.example/vr",
            delivered_on=TODAY,
        ),
        actor=member,
        now=NOW,
    )
    [changed] = events("scenario.changed")
    assert changed.actor_id == member.id
    assert changed.details["changes"] == {
        "cohort": ["", "VP2A"],
        "delivered_on": [None, TODAY.isoformat()],
    }
    with pytest.raises(NotAllowed):
        services.change_scenario(scenario, ScenarioInput("Weg"), actor=make_user(), now=NOW)


# --- snapshots -------------------------------------------------------------------------------


def snapshots():
    return list(
        db.session.scalars(
            sa.select(ComplianceSnapshot).order_by(
                ComplianceSnapshot.iso_year, ComplianceSnapshot.iso_week, ComplianceSnapshot.team_id
            )
        )
    )


def test_one_snapshot_per_team_per_iso_week(team, coordinator, member):
    other = make_team(make_user(), [make_user()], name="Drones")
    assert services.take_snapshots(NOW) == 2
    stored = snapshots()
    assert [(s.team_id, s.iso_year, s.iso_week) for s in stored] == [
        (team.id, 2026, 49),
        (other.id, 2026, 49),
    ]
    assert all(s.status is Severity.GREEN and s.assessed_on == TODAY for s in stored)
    assert all(s.computed_at == NOW for s in stored)
    before = [(s.status, s.findings) for s in stored]
    assert before[0][1][0] == {
        "rule": "members",
        "severity": "green",
        "message": "members.ok",
        "params": {"count": 2, "minimum": 2},
    }

    # The facts change later that week (the team drops to one member); the week's first run
    # stands.
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == member.id))
    thursday = lab(2026, 12, 3, 9)
    teams.end_membership(membership, actor=coordinator, now=thursday)
    assert services.take_snapshots(thursday) == 0
    db.session.expire_all()
    assert [(s.status, s.findings, s.computed_at) for s in snapshots()] == [
        (*b, NOW) for b in before
    ]

    next_monday = lab(2026, 12, 7, 7)
    assert services.take_snapshots(next_monday) == 2
    week_50 = [s for s in snapshots() if s.iso_week == 50]
    assert [(s.team_id, s.status) for s in week_50] == [
        (team.id, Severity.RED),
        (other.id, Severity.GREEN),
    ]
    assert week_50[0].findings[0]["message"] == "members.too_few"
    assert len(snapshots()) == 4


def test_the_week_turns_at_midnight_in_the_lab_not_in_utc(team):
    sunday_late = lab(2026, 12, 6, 23, 30)
    monday_early = lab(2026, 12, 7, 0, 30)
    # Half past midnight on Monday in the lab is still Sunday in UTC.
    assert monday_early.date() == date(2026, 12, 6)
    assert services.take_snapshots(sunday_late) == 1
    assert services.take_snapshots(monday_early) == 1
    assert [(s.iso_week, s.assessed_on) for s in snapshots()] == [
        (49, date(2026, 12, 6)),
        (50, date(2026, 12, 7)),
    ]


def test_no_teams_no_snapshots():
    assert services.take_snapshots(NOW) == 0
    assert snapshots() == []


def test_a_snapshot_at_the_turn_of_the_year_belongs_to_the_iso_year(team):
    assert services.take_snapshots(lab(2027, 1, 1, 9)) == 1
    assert services.take_snapshots(lab(2026, 12, 28, 9)) == 0
    [snapshot] = snapshots()
    assert (snapshot.iso_year, snapshot.iso_week, snapshot.assessed_on) == (
        2026,
        53,
        date(2027, 1, 1),
    )


# --- attendance retention --------------------------------------------------------------------


def test_attendance_details_are_erased_after_the_retention_period(staff):
    """Retention 12 months, run on Thursday 3 December 2026: the cutoff is 3 December 2025."""
    settings.put(RETENTION_MONTHS.key, 12, actor_id=staff.id, now=NOW)
    with clock.frozen(lab(2025, 11, 17, 9)):
        old = make_team(make_user(), [make_user()], name="Oud")
        recent = make_team(make_user(), [make_user()], name="Recent")
        # Tuesdays 25 Nov and 2 Dec 2025; Wednesdays 26 Nov and 3 Dec 2025.
        make_programme(old, first_day=date(2025, 11, 25), day_count=2, approve_by=staff)
        make_programme(recent, first_day=date(2025, 11, 26), day_count=2, approve_by=staff)
    rows = []
    for design_day in db.session.scalars(sa.select(DesignDay).order_by(DesignDay.day)):
        for position, membership in enumerate(
            teams.active_members(design_day.team_id, design_day.day)
        ):
            if position == 0:
                rows.append(
                    teams.check_in(
                        design_day,
                        user=membership.user,
                        now=design_day.starts_at + timedelta(minutes=5),
                    )
                )
            else:
                teams.record_attendance(
                    design_day,
                    user=membership.user,
                    present=False,
                    reason="",
                    actor=staff,
                    now=design_day.ends_at,
                )
                rows.append(
                    teams.record_attendance(
                        design_day,
                        user=membership.user,
                        present=True,
                        reason="Stond op de lijst.",
                        actor=staff,
                        now=design_day.ends_at + timedelta(days=1),
                    )
                )
    db.session.flush()
    assert all(row.checked_in_at is not None for row in rows)

    def details(team_name):
        return sorted(
            (a.present, a.checked_in_at is None, a.reason, a.recorded_by_id)
            for a in db.session.scalars(
                sa.select(Attendance)
                .join(DesignDay, DesignDay.id == Attendance.design_day_id)
                .join(DesignTeam, DesignTeam.id == DesignDay.team_id)
                .where(DesignTeam.name == team_name)
            )
        )

    recent_before = details("Recent")
    assert services.erase_attendance_details(lab(2026, 12, 3, 2)) == 4
    db.session.expire_all()
    # Present stays; who checked in when, who corrected it and why are gone.
    assert details("Oud") == [(True, True, "", None)] * 4
    # The last day on exactly the cutoff: ended twelve months ago, not more.
    assert details("Recent") == recent_before
    assert services.erase_attendance_details(lab(2026, 12, 3, 23)) == 0
    assert services.erase_attendance_details(lab(2026, 12, 4, 2)) == 4
    db.session.expire_all()
    assert details("Recent") == [(True, True, "", None)] * 4
    assert services.erase_attendance_details(lab(2026, 12, 4, 3)) == 0


def test_a_running_programme_keeps_its_attendance_details(staff):
    settings.put(RETENTION_MONTHS.key, 1, actor_id=staff.id, now=NOW)
    with clock.frozen(lab(2026, 9, 28, 9)):
        coordinator = make_user()
        team = make_team(coordinator, [make_user()])
        make_programme(team, first_day=date(2026, 9, 29), day_count=20, approve_by=staff)
    first = db.session.scalars(sa.select(DesignDay).order_by(DesignDay.day)).first()
    teams.check_in(first, user=coordinator, now=first.starts_at)
    assert services.erase_attendance_details(NOW) == 0


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2027, 3, 31), 1, date(2027, 2, 28)),
        (date(2028, 3, 31), 1, date(2028, 2, 29)),
        (date(2028, 2, 29), 12, date(2027, 2, 28)),
        (date(2028, 2, 29), 48, date(2024, 2, 29)),
        (date(2026, 7, 31), 1, date(2026, 6, 30)),
        (date(2026, 5, 31), 3, date(2026, 2, 28)),
        (date(2026, 1, 15), 1, date(2025, 12, 15)),
        (date(2026, 12, 31), 12, date(2025, 12, 31)),
        (date(2026, 11, 30), 24, date(2024, 11, 30)),
        (date(2026, 3, 1), 0, date(2026, 3, 1)),
    ],
)
def test_months_before(day, months, expected):
    assert services.months_before(day, months) == expected


def test_a_snapshot_of_a_past_week_leaves_out_teams_formed_after_it(team):
    """Filling in past weeks (the demo does) must not show a team red before it existed."""
    formed_later = make_team(make_user(), [make_user()], name="Later")
    formed_later.created_at = NOW + timedelta(days=3)
    db.session.flush()
    assert services.take_snapshots(lab(2026, 11, 23, 7)) == 0
    assert services.take_snapshots(NOW) == 1
    assert services.take_snapshots(lab(2026, 12, 7, 7)) == 2
    assert [(s.team_id, s.iso_week) for s in snapshots()] == [
        (team.id, 49),
        (team.id, 50),
        (formed_later.id, 50),
    ]
