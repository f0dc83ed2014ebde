"""The check stays honest: who may decide, whose log counts, which scenario counts for which
programme, what a snapshot keeps, and text that would break a report."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from straxlab.compliance import assessment, reports, services
from straxlab.compliance.models import ComplianceSnapshot
from straxlab.compliance.rules import Rule
from straxlab.compliance.services import ScenarioInput
from straxlab.core import clock
from straxlab.core.errors import NotAllowed
from straxlab.core.text import printable
from straxlab.design_teams import services as teams
from straxlab.design_teams.models import DesignTeam
from straxlab.extensions import db
from tests.factories import make_plan, make_programme, make_team, make_user, next_lab_day

AMS = ZoneInfo("Europe/Amsterdam")


def lab(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=AMS).astimezone(UTC)


NOW = lab(2026, 11, 30)


@pytest.fixture(autouse=True)
def frozen(app_ctx):
    with app_ctx.test_request_context(), force_locale("en"), clock.frozen(NOW):
        yield


def test_printable_drops_control_and_format_characters_but_keeps_lines_and_tabs():
    assert printable("Vlucht\x01 test\u200b\n\tklaar\x1b[0m") == "Vlucht test\n\tklaar[0m"


def test_control_characters_never_reach_the_stored_text():
    coordinator = make_user()
    team = make_team(coordinator, [make_user()], name="Drones\x07 bij bouw")
    assert team.name == "Drones bij bouw"
    milestone = services.add_milestone(
        team, title="Vlucht\x01 test", due_on=date(2026, 12, 10), actor=coordinator, now=NOW
    )
    assert milestone.title == "Vlucht test"


def test_the_workbook_is_written_even_when_an_old_name_holds_a_control_character():
    staff = make_user(role="staff")
    with clock.frozen(lab(2026, 9, 1)):
        team = make_team(make_user(), [make_user()])
        make_programme(team, first_day=next_lab_day(7), day_count=4, approve_by=staff)
    # Stored before input was cleaned: straight into the table.
    db.session.execute(
        sa.update(DesignTeam).where(DesignTeam.id == team.id).values(name="Oud\x01 team")
    )
    report = reports.build_report(date(2026, 8, 1), date(2027, 1, 31), "", NOW)
    workbook = openpyxl.load_workbook(io.BytesIO(reports.to_xlsx(report)))
    assert workbook.worksheets[0].cell(row=2, column=1).value == "Oud team"


def test_a_manager_in_the_team_does_not_decide_on_its_plan():
    manager = make_user(role="manager")
    team = make_team(make_user(), [manager])
    plan = make_plan(team, submit=True)
    assert not services.may_decide_on(team, manager, NOW)
    with pytest.raises(NotAllowed, match="Another manager decides"):
        services.approve_plan(plan, actor=manager, now=NOW)
    with pytest.raises(NotAllowed, match="Another manager decides"):
        services.return_plan(plan, comment="Mijn eigen plan", actor=manager, now=NOW)
    other = make_user(role="manager")
    assert services.may_decide_on(team, other, NOW)
    services.approve_plan(plan, actor=other, now=NOW)


def test_a_former_member_no_longer_changes_their_log_entries():
    coordinator, leaver = make_user(), make_user()
    team = make_team(coordinator, [leaver])
    entry = services.add_progress(
        team, written_on=teams.today(NOW), text="Les 1.", actor=leaver, now=NOW
    )
    membership = teams.active_members(team.id, teams.today(NOW))[-1]
    assert membership.user_id == leaver.id
    later = NOW + timedelta(days=1)
    teams.end_membership(membership, actor=leaver, now=later)
    with pytest.raises(NotAllowed):
        services.change_progress(
            entry, written_on=teams.today(later), text="Herschreven.", actor=leaver, now=later
        )


def test_only_members_entries_keep_the_log_up_to_date():
    staff = make_user(role="staff")
    with clock.frozen(lab(2026, 9, 1)):
        team = make_team(make_user(), [make_user()])
        make_programme(team, first_day=date(2026, 9, 8), day_count=20, approve_by=staff)
    services.add_progress(
        team, written_on=teams.today(NOW), text="Namens het team.", actor=staff, now=NOW
    )
    facts = assessment.assess_team(team, now=NOW).facts
    assert facts.last_progress_on is None
    services.add_progress(
        team,
        written_on=date(2026, 11, 20),
        text="Zelf geschreven.",
        actor=db.session.get_one(type(staff), team.coordinator_id),
        now=NOW,
    )
    assert assessment.assess_team(team, now=NOW).facts.last_progress_on == date(2026, 11, 20)


def test_a_scenario_counts_for_the_programme_it_was_delivered_in():
    staff = make_user(role="staff")
    with clock.frozen(lab(2026, 1, 5)):
        coordinator = make_user()
        team = make_team(coordinator, [make_user()])
        make_programme(team, first_day=date(2026, 1, 13), day_count=4, approve_by=staff)
    # A first programme: a scenario delivered before its first lab day counts.
    services.add_scenario(
        team,
        ScenarioInput("Eerste les", course="Verpleegkunde", delivered_on=date(2026, 1, 2)),
        actor=coordinator,
        now=lab(2026, 1, 5),
    )
    on = date(2026, 3, 1)
    assert assessment.assess_teams([team], on=on, now=NOW)[0].facts.scenarios_delivered == 1
    # The next programme starts from nothing: the old scenario was the first one's.
    with clock.frozen(lab(2026, 8, 24)):
        make_programme(team, first_day=date(2026, 9, 1), day_count=20, approve_by=staff)
    now = assessment.assess_team(team, now=NOW)
    assert now.facts.scenarios_delivered == 0
    services.add_scenario(
        team,
        ScenarioInput("Tweede les", course="Verpleegkunde", delivered_on=date(2026, 11, 2)),
        actor=coordinator,
        now=NOW,
    )
    assert assessment.assess_team(team, now=NOW).facts.scenarios_delivered == 1


def test_a_snapshot_keeps_no_colleague_names():
    staff = make_user(role="staff")
    with clock.frozen(lab(2026, 9, 1)):
        team = make_team(make_user(), [make_user(name="Bram Afwezig")])
        make_programme(team, first_day=date(2026, 9, 8), day_count=20, approve_by=staff)
    teams.close_past_days(NOW)
    assessed = assessment.assess_team(team, now=NOW)
    low = [f for f in assessed.findings if f.message == "attendance.low"]
    assert low and all(f.params["name"] for f in low)
    assert services.take_snapshots(NOW) == 1
    stored = db.session.scalars(sa.select(ComplianceSnapshot)).one()
    attendance = [f for f in stored.findings if f["rule"] == Rule.ATTENDANCE.value]
    assert attendance and all("name" not in f["params"] for f in attendance)
    assert all("user_id" in f["params"] for f in attendance if f["message"] == "attendance.low")
    assert "Bram Afwezig" not in str(stored.findings)
