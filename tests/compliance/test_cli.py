"""``flask compliance snapshot`` and ``flask compliance erase-details``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from straxlab.compliance.models import ComplianceSnapshot
from straxlab.compliance.settings import RETENTION_MONTHS
from straxlab.core import clock, settings
from straxlab.design_teams import services as teams
from straxlab.design_teams.models import Attendance, DesignDay
from straxlab.extensions import db
from tests.factories import make_programme, make_team, make_user

AMS = ZoneInfo("Europe/Amsterdam")
# Sunday 29 November 2026 in the lab: ISO week 2026-W48.
SUNDAY = datetime(2026, 11, 29, 20, 0, tzinfo=AMS).astimezone(UTC)


def stored():
    return db.session.execute(
        sa.select(
            ComplianceSnapshot.team_id, ComplianceSnapshot.iso_year, ComplianceSnapshot.iso_week
        ).order_by(ComplianceSnapshot.iso_week, ComplianceSnapshot.team_id)
    ).all()


def test_snapshot_stores_one_per_team_per_week_and_a_second_run_adds_nothing(app, runner):
    with app.app_context(), clock.frozen(SUNDAY - timedelta(days=7)):
        ids = [make_team(make_user(), [make_user()]).id for _ in range(4)]
        db.session.commit()

    with clock.frozen(SUNDAY):
        first = runner.invoke(args=["compliance", "snapshot"])
        second = runner.invoke(args=["compliance", "snapshot"])
    assert first.exit_code == 0, first.output
    assert first.output == "4 snapshots stored for week 2026-W48.\n"
    assert second.exit_code == 0, second.output
    assert second.output == (
        "Nothing to do: week 2026-W48 already has a snapshot for every team.\n"
    )
    with app.app_context():
        assert stored() == [(team_id, 2026, 48) for team_id in ids]

    # Monday, half past midnight in the lab: a new week.
    with clock.frozen(SUNDAY + timedelta(hours=4, minutes=30)):
        monday = runner.invoke(args=["compliance", "snapshot"])
    assert monday.output == "4 snapshots stored for week 2026-W49.\n"
    with app.app_context():
        assert len(stored()) == 8


def test_snapshot_says_so_when_there_is_one_team_or_none(app, runner):
    with clock.frozen(SUNDAY):
        assert runner.invoke(args=["compliance", "snapshot"]).output == (
            "Nothing to do: there are no design teams yet.\n"
        )
        with app.app_context():
            make_team(make_user(), [make_user()])
            db.session.commit()
        assert runner.invoke(args=["compliance", "snapshot"]).output == (
            "1 snapshot stored for week 2026-W48.\n"
        )


def test_erase_details_prints_how_many_records_it_erased(app, runner):
    with app.app_context():
        with clock.frozen(datetime(2024, 9, 2, 9, tzinfo=AMS)):
            staff = make_user(role="staff")
            coordinator, member = make_user(), make_user()
            team = make_team(coordinator, [member])
            make_programme(team, first_day=date(2024, 9, 3), day_count=2, approve_by=staff)
        for design_day in db.session.scalars(sa.select(DesignDay)):
            teams.check_in(design_day, user=coordinator, now=design_day.starts_at)
            teams.check_in(design_day, user=member, now=design_day.starts_at)
        settings.put(RETENTION_MONTHS.key, 24, actor_id=staff.id, now=SUNDAY)
        db.session.commit()

    with clock.frozen(SUNDAY):
        first = runner.invoke(args=["compliance", "erase-details"])
        second = runner.invoke(args=["compliance", "erase-details"])
    assert first.exit_code == 0, first.output
    assert first.output == "Attendance details erased from 4 record(s).\n"
    assert second.output == "Attendance details erased from 0 record(s).\n"
    with app.app_context():
        rows = db.session.scalars(sa.select(Attendance)).all()
        assert [(a.present, a.checked_in_at) for a in rows] == [(True, None)] * 4
