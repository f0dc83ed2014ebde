"""Lab-day reminders and the weekly compliance snapshot and digest, at chosen instants."""

from __future__ import annotations

from datetime import date, time, timedelta

import sqlalchemy as sa

from straxlab.compliance.models import ComplianceSnapshot
from straxlab.core import clock
from straxlab.design_teams import services as teams
from straxlab.design_teams.models import DesignDay
from straxlab.extensions import db
from straxlab.jobs import compliance as compliance_jobs
from straxlab.jobs import teams as team_jobs
from straxlab.mail.rules import Notice
from tests.factories import make_programme, make_team, make_user
from tests.jobs.conftest import BASE_URL, keys, lab, opt_out, outbox

SETUP = lab(2026, 11, 23)  # Monday, a week before
WEDNESDAY = date(2026, 12, 2)


def team_with_days(
    people, *, first_day=WEDNESDAY, starts="10:00", name="VR in de zorg", setup=SETUP
):
    """A team (coordinator + two members, one of them English) with weekly design days."""
    with clock.frozen(setup):
        coordinator = make_user(email="trekker@school.example", name="Tom")
        member = make_user(email="mila@school.example", name="Mila", locale="en")
        team = make_team(coordinator, [member, people.borrower], name=name)
        programme = make_programme(
            team, first_day=first_day, starts=starts, approve_by=people.staff
        )
        db.session.commit()
    days = list(
        db.session.scalars(
            sa.select(DesignDay)
            .where(DesignDay.programme_id == programme.id)
            .order_by(DesignDay.day)
        )
    )
    return team, days, coordinator, member


# --- lab days -------------------------------------------------------------------------------


def test_lab_day_reminder_to_every_member_from_15_00_the_day_before(people):
    _team, days, coordinator, member = team_with_days(people)
    first = days[0]
    assert first.day == WEDNESDAY

    assert team_jobs.lab_day_reminders(lab(2026, 12, 1, 14, 59)) == 0
    assert team_jobs.lab_day_reminders(lab(2026, 12, 1, 15, 0)) == 3
    assert team_jobs.lab_day_reminders(lab(2026, 12, 1, 15, 0)) == 0
    assert team_jobs.lab_day_reminders(lab(2026, 12, 2, 9, 59)) == 0

    rows = outbox(Notice.LAB_DAY_REMINDER)
    assert sorted(row.dedupe_key for row in rows) == sorted(
        f"labday:{first.id}:{user.id}:2026-12-02" for user in (coordinator, member, people.borrower)
    )
    mila = next(row for row in rows if row.recipient_id == member.id)
    assert mila.subject == "Design day Wed 2 Dec, 10:00: VR in de zorg"
    assert "When: Wednesday 2 December, 10:00–16:00" in mila.body_text
    assert "scan the QR code at the lab door" in mila.body_text
    assert f"{BASE_URL}/lab/days/{first.id}/check-in" in mila.body_text
    assert f'href="{BASE_URL}/lab/days/{first.id}/check-in"' in mila.body_html


def test_lab_day_reminder_skips_cancelled_days_former_members_and_opt_outs(people):
    team, days, coordinator, member = team_with_days(people)
    opt_out(member, Notice.LAB_DAY_REMINDER)
    membership = next(
        m for m in teams.active_members(team.id, WEDNESDAY) if m.user_id == people.borrower.id
    )
    teams.end_membership(membership, actor=coordinator, now=lab(2026, 11, 30))
    teams.cancel_day(days[1], reason="Studiedag", actor=people.staff, now=lab(2026, 11, 30))
    db.session.commit()

    assert team_jobs.lab_day_reminders(lab(2026, 12, 1, 15)) == 1
    assert keys(Notice.LAB_DAY_REMINDER) == [f"labday:{days[0].id}:{coordinator.id}:2026-12-02"]
    # The second Wednesday was cancelled: nobody is reminded of it.
    assert team_jobs.lab_day_reminders(lab(2026, 12, 8, 15)) == 0


def test_a_day_moved_to_another_date_is_reminded_again(people):
    _team, days, _coordinator, _member = team_with_days(people)
    assert team_jobs.lab_day_reminders(lab(2026, 12, 1, 15)) == 3
    second = days[1]
    teams.move_day(
        second,
        day=date(2026, 12, 10),
        starts=time(10),
        ends=time(16),
        actor=people.staff,
        now=lab(2026, 12, 2, 12),
    )
    db.session.commit()
    assert team_jobs.lab_day_reminders(lab(2026, 12, 9, 15)) == 3
    assert {key.rsplit(":", 1)[1] for key in keys(Notice.LAB_DAY_REMINDER)} == {
        "2026-12-02",
        "2026-12-10",
    }


def test_lab_day_reminder_after_the_spring_change(people):
    # Monday 30 March 2026, the day after the clocks went forward: 15:00 CEST is 13:00 UTC.
    team_with_days(people, first_day=date(2026, 3, 30), starts="09:00", setup=lab(2026, 3, 16))
    assert team_jobs.lab_day_reminders(lab(2026, 3, 29, 14, 59)) == 0
    assert team_jobs.lab_day_reminders(lab(2026, 3, 29, 15, 0)) == 3


# --- weekly compliance ----------------------------------------------------------------------

MONDAY_7 = lab(2026, 11, 30, 7, 0)


def compliance_world(people, setup=SETUP, first_day=WEDNESDAY):
    """Three teams: one alone (red: too few members), one whose lab days start soon and has
    no plan yet (amber: plan due), one of two people without a programme (green)."""
    with clock.frozen(setup):
        alone = make_team(make_user(email="alleen@school.example"), name="Alleen op de wereld")
        db.session.commit()
    planned, *_ = team_with_days(people, first_day=first_day, name="Drones bij bouw", setup=setup)
    with clock.frozen(setup):
        green = make_team(make_user(), [make_user()], name="Groene vingers")
        db.session.commit()
    return alone, planned, green


def snapshot_weeks():
    return db.session.execute(
        sa.select(ComplianceSnapshot.iso_year, ComplianceSnapshot.iso_week, sa.func.count())
        .group_by(ComplianceSnapshot.iso_year, ComplianceSnapshot.iso_week)
        .order_by(ComplianceSnapshot.iso_year, ComplianceSnapshot.iso_week)
    ).all()


def test_weekly_compliance_from_monday_07_00_snapshots_and_one_digest_per_manager(people):
    alone, planned, _green = compliance_world(people)
    second_manager = make_user(role="manager", email="teamleider@school.example", locale="en")
    inactive_manager = make_user(role="manager", email="weg@school.example", is_active=False)
    db.session.commit()

    assert compliance_jobs.weekly_compliance(MONDAY_7 - timedelta(minutes=1)) == 0
    assert snapshot_weeks() == []
    # Three snapshots and two digests (the inactive manager gets none, staff get none).
    assert compliance_jobs.weekly_compliance(MONDAY_7) == 5
    assert compliance_jobs.weekly_compliance(MONDAY_7) == 0
    assert compliance_jobs.weekly_compliance(MONDAY_7 + timedelta(days=2)) == 0
    assert snapshot_weeks() == [(2026, 49, 3)]

    rows = outbox(Notice.COMPLIANCE_DIGEST)
    assert sorted(row.dedupe_key for row in rows) == sorted(
        [f"digest:2026-W49:{people.manager.id}", f"digest:2026-W49:{second_manager.id}"]
    )
    assert inactive_manager.id not in {row.recipient_id for row in rows}
    digest = rows[0]
    assert digest.subject == "Compliance week 2026-W49: 1 not on track, 1 needing attention"
    text = digest.body_text
    assert "The status of the 3 design teams this week:" in text
    assert "On track: 1\nNeeds attention: 1\nNot on track: 1" in text
    # Worst first: the red team, then the amber one, each with its main reason in words.
    red_at = text.index("- Alleen op de wereld (Not on track): Collaboration.")
    amber_at = text.index("- Drones bij bouw (Needs attention): Plan approved.")
    assert red_at < amber_at
    assert "at least 2 are needed" in text
    assert "Groene vingers" not in text
    assert f"{BASE_URL}/teams/{alone.id}" in text
    assert f"{BASE_URL}/compliance" in text
    assert f'href="{BASE_URL}/teams/{planned.id}"' in digest.body_html


def test_a_missed_monday_is_caught_up_later_in_the_week_once(people):
    compliance_world(people)
    wednesday = lab(2026, 12, 2, 11)
    assert compliance_jobs.weekly_compliance(wednesday) == 4
    assert compliance_jobs.weekly_compliance(wednesday + timedelta(hours=1)) == 0
    assert keys(Notice.COMPLIANCE_DIGEST) == [f"digest:2026-W49:{people.manager.id}"]
    # The next Monday 07:00 is a new week.
    assert compliance_jobs.weekly_compliance(lab(2026, 12, 7, 7)) == 4
    assert snapshot_weeks() == [(2026, 49, 3), (2026, 50, 3)]


def test_digest_respects_the_opt_out_and_sends_nothing_without_teams(people):
    assert compliance_jobs.weekly_compliance(MONDAY_7) == 0
    assert outbox(Notice.COMPLIANCE_DIGEST) == []
    compliance_world(people)
    opt_out(people.manager, Notice.COMPLIANCE_DIGEST)
    # Snapshots still stored; no digest for the only manager, who turned it off.
    assert compliance_jobs.weekly_compliance(MONDAY_7 + timedelta(hours=1)) == 3
    assert outbox(Notice.COMPLIANCE_DIGEST) == []


def test_digest_in_the_autumn_dst_week(people):
    compliance_world(people, setup=lab(2026, 10, 12), first_day=date(2026, 10, 28))
    # Monday 26 October 2026 07:00 CET is 06:00 UTC (the clocks went back on Sunday).
    monday = lab(2026, 10, 26, 7)
    assert monday.hour == 6
    assert compliance_jobs.weekly_compliance(monday - timedelta(minutes=1)) == 0
    assert compliance_jobs.weekly_compliance(monday) == 4
    assert keys(Notice.COMPLIANCE_DIGEST) == [f"digest:2026-W44:{people.manager.id}"]
