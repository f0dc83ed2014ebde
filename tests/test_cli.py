from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from straxlab.auth.models import User
from straxlab.auth.rules import Role
from straxlab.cli.demo import DEMO_PASSWORD, DEMO_USERS
from straxlab.core.audit import AuditEvent
from straxlab.extensions import db
from tests.factories import make_user


def test_users_create_with_password_on_stdin(app, runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Nieuw@School.example",
            "--name",
            "Nieuwe Docent",
            "--role",
            "staff",
            "--password-stdin",
        ],
        input="paarse fiets op het dak 42\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "nieuw@school.example"))
        assert user.role is Role.STAFF and not user.must_change_password


def test_users_create_prompts_for_the_password(app, runner):
    result = runner.invoke(
        args=["users", "create", "--email", "p@school.example", "--name", "P"],
        input="paarse fiets op het dak 42\npaarse fiets op het dak 42\n",
    )
    assert result.exit_code == 0, result.output


def test_users_create_refuses_a_weak_password_with_a_message(runner):
    result = runner.invoke(
        args=["users", "create", "--email", "z@school.example", "--name", "Z", "--password-stdin"],
        input="kort\n",
    )
    assert result.exit_code != 0
    assert "12" in result.output


def test_users_create_temporary(runner):
    result = runner.invoke(
        args=["users", "create", "--email", "t@school.example", "--name", "T", "--temporary"]
    )
    assert result.exit_code == 0 and "Temporary password" in result.output


def test_users_list_and_deactivate(app, runner):
    with app.app_context():
        make_user(email="a@school.example", name="Anna")
        make_user(email="b@school.example", name="Bram")
        db.session.commit()
    result = runner.invoke(args=["users", "deactivate", "b@school.example"])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(args=["users", "list"]).output
    assert "a@school.example" in listed and "b@school.example" not in listed
    assert (
        "b@school.example\tteacher\tdeactivated"
        in runner.invoke(args=["users", "list", "--all"]).output
    )
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent))
        assert event.action == "user.deactivated"
        assert event.details["via"].startswith("cli")
    assert runner.invoke(args=["users", "deactivate", "niemand@school.example"]).exit_code != 0


def test_demo_is_idempotent_and_prints_the_logins(app, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert DEMO_PASSWORD in first.output and "docent@straxlab.example" in first.output
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == len(DEMO_USERS)
        roles = set(db.session.scalars(sa.select(User.role)))
    assert roles == {Role.TEACHER, Role.STAFF, Role.MANAGER}


def test_demo_logins_work(app, client, runner):
    runner.invoke(args=["demo"])
    for email, _name, _role in DEMO_USERS[:3]:
        fresh = app.test_client()
        assert (
            fresh.post("/login", data={"email": email, "password": DEMO_PASSWORD}).status_code
            == 302
        )


def test_demo_refuses_a_database_with_real_data(app, runner):
    with app.app_context():
        make_user(email="echt@college.nl")
        db.session.commit()
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0
    assert "not demo" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_demo_if_empty_skips_a_database_with_data(app, runner):
    with app.app_context():
        make_user(email="echt@college.nl")
        db.session.commit()
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0 and "not loaded" in result.output


def test_users_create_refuses_both_password_options(runner):
    result = runner.invoke(
        args=[
            *("users", "create", "--email", "x@school.example", "--name", "X"),
            *("--temporary", "--password-stdin"),
        ],
        input="paarse fiets op het dak 42\n",
    )
    assert result.exit_code != 0 and "not both" in result.output


# --------------------------------------------------------------------------------------------
# flask lab close-days


def test_lab_close_days_marks_past_design_days_held_and_finishes_programmes(app, runner):
    from datetime import UTC, datetime, timedelta

    from straxlab.core import clock
    from straxlab.design_teams.models import DesignDay, Programme
    from straxlab.design_teams.rules import DesignDayStatus, ProgrammeStatus
    from tests.factories import make_programme, make_team, next_lab_day

    with app.app_context():
        staff = make_user(role="staff")
        team = make_team(make_user(), [make_user()])
        first = next_lab_day(7)
        programme = make_programme(team, first_day=first, day_count=3, approve_by=staff)
        db.session.commit()
        programme_id = programme.id

    nothing = runner.invoke(args=["lab", "close-days"])
    assert nothing.exit_code == 0, nothing.output
    assert nothing.output.startswith("0 design day(s)")

    # Between the second and the third design day: two held, the programme goes on.
    middle = datetime.combine(first + timedelta(days=8), datetime.min.time(), UTC)
    with clock.frozen(middle):
        result = runner.invoke(args=["lab", "close-days"])
    assert result.exit_code == 0, result.output
    assert result.output == "2 design day(s) marked held or programme(s) finished.\n"

    # After the last one: the third is held and the programme finished; then idempotent.
    later = datetime.combine(first + timedelta(days=30), datetime.min.time(), UTC)
    with clock.frozen(later):
        result = runner.invoke(args=["lab", "close-days"])
        again = runner.invoke(args=["lab", "close-days"])
    assert result.output.startswith("2 design day(s)"), result.output
    assert again.output.startswith("0 design day(s)"), again.output
    with app.app_context():
        statuses = set(
            db.session.scalars(
                sa.select(DesignDay.status).where(DesignDay.programme_id == programme_id)
            )
        )
        assert statuses == {DesignDayStatus.HELD}
        assert db.session.get(Programme, programme_id).status is ProgrammeStatus.FINISHED


# --------------------------------------------------------------------------------------------
# flask demo: the design teams


def _lab(*args: int):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo("Europe/Amsterdam")).astimezone(UTC)


# The story counts back twelve weeks from today; it must hold in term time, in a holiday,
# at the weekend, at the turn of the year and on a lab day itself.
TEAM_DEMO_MOMENTS = {
    "real clock": None,
    "tuesday, a lab day": (2026, 12, 1, 10, 0),
    "saturday": (2026, 12, 5, 10, 0),
    "new year's eve": (2026, 12, 31, 15, 0),
    "summer holiday": (2027, 8, 4, 11, 0),
    "after the spring dst change": (2027, 3, 29, 8, 0),
}


def _run_demo(runner, moment):
    from straxlab.core import clock

    if moment is None:
        return runner.invoke(args=["demo"])
    with clock.frozen(_lab(*moment)):
        return runner.invoke(args=["demo"])


def _team_demo_state():
    from straxlab.design_teams.models import Attendance, DesignDay, DesignTeam, Programme

    return {
        "teams": db.session.execute(
            sa.select(DesignTeam.id, DesignTeam.name).order_by(DesignTeam.id)
        ).all(),
        "programmes": db.session.execute(
            sa.select(Programme.id, Programme.status).order_by(Programme.id)
        ).all(),
        "days": db.session.execute(
            sa.select(DesignDay.id, DesignDay.day, DesignDay.status).order_by(DesignDay.id)
        ).all(),
        "attendance": db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)),
    }


@pytest.mark.parametrize("moment", TEAM_DEMO_MOMENTS.values(), ids=TEAM_DEMO_MOMENTS.keys())
def test_demo_builds_design_teams_with_days_attendance_and_a_competing_request(app, runner, moment):
    from straxlab.cli.demo_teams import DEMO_CAPACITY, ESCAPE, STUDY_DAY
    from straxlab.core import clock
    from straxlab.design_teams import services
    from straxlab.design_teams.models import (
        Attendance,
        DesignDay,
        DesignTeam,
        Membership,
        Programme,
    )
    from straxlab.design_teams.rules import TAKING_PLACE, DesignDayStatus, ProgrammeStatus
    from straxlab.lab_calendar.models import Closure
    from straxlab.lab_calendar.settings import capacity

    result = _run_demo(runner, moment)
    assert result.exit_code == 0, result.output
    assert "Design-team demo: 4 teams" in result.output, result.output
    now = clock.now() if moment is None else _lab(*moment)
    with app.app_context():
        today = services.today(now)
        teams = db.session.scalars(sa.select(DesignTeam)).all()
        assert {t.name for t in teams} == {
            "VR in de zorgopleiding",
            "Drones bij bouw en infra",
            "Podcasts in Nederlands",
            "Escape rooms in de techniek",
        }
        assert all(len(services.active_members(t.id, today)) >= 2 for t in teams)
        docent = db.session.scalar(sa.select(User).where(User.email == "docent@straxlab.example"))
        assert any(t.coordinator_id == docent.id for t in teams)

        programmes = db.session.scalars(sa.select(Programme)).all()
        by_status = sorted(p.status.value for p in programmes)
        assert by_status == ["approved", "approved", "approved", "requested"]
        assert len({p.weekday for p in programmes if p.status is ProgrammeStatus.APPROVED}) == 2
        assert all(p.first_day < today for p in programmes if p.status != "requested")

        days = db.session.scalars(sa.select(DesignDay)).all()
        statuses = {d.status for d in days}
        assert statuses == set(DesignDayStatus)
        assert all(d.ends_at <= now for d in days if d.status is DesignDayStatus.HELD)
        assert all(d.ends_at > now for d in days if d.status is DesignDayStatus.SCHEDULED)
        cancelled = [d for d in days if d.status is DesignDayStatus.CANCELLED]
        assert [d.cancel_reason for d in cancelled] == [STUDY_DAY]

        # Never over capacity, never one person in two design days on one day.
        assert capacity() == DEMO_CAPACITY
        per_day = db.session.execute(
            sa.select(DesignDay.day, sa.func.count(sa.distinct(DesignDay.team_id)))
            .where(DesignDay.status.in_(TAKING_PLACE))
            .group_by(DesignDay.day)
        ).all()
        assert max(count for _, count in per_day) == DEMO_CAPACITY
        doubled = db.session.execute(
            sa.select(Membership.user_id, DesignDay.day)
            .join(DesignDay, DesignDay.team_id == Membership.team_id)
            .where(DesignDay.status.in_(TAKING_PLACE))
            .group_by(Membership.user_id, DesignDay.day)
            .having(sa.func.count() > 1)
        ).all()
        assert doubled == []

        # Attendance on every past design day: mostly present, some absent, some scanned in.
        attendance = db.session.scalars(sa.select(Attendance)).all()
        held = {d.id for d in days if d.status is DesignDayStatus.HELD and d.day < today}
        assert held and held == {a.design_day_id for a in attendance}
        present = [a for a in attendance if a.present]
        assert len(present) > 5 * (len(attendance) - len(present)) > 0
        scanned = [a for a in present if a.recorded_by_id is None]
        assert scanned and all(a.checked_in_at for a in scanned)
        assert any(a.reason for a in attendance)

        # The waiting request asks for a weekday that is full on some of its dates.
        request = next(p for p in programmes if p.status is ProgrammeStatus.REQUESTED)
        assert request.team.name == ESCAPE.name and request.first_day >= today
        plan = services.plan(
            request.team,
            weekday=request.weekday,
            starts=request.starts_at,
            ends=request.ends_at,
            first_day=request.first_day,
            day_count=request.day_count,
        )
        assert any(check.free == 0 for check in plan.checks)
        assert not any(check.busy_members for check in plan.checks)

        sources = Counter(db.session.scalars(sa.select(Closure.source)))
        assert sources["manual"] == 1 and sources["holidays"] > 5


def test_demo_user_checks_in_on_her_design_day(app, runner):
    from straxlab.design_teams import services
    from straxlab.design_teams.models import DesignDay

    moment = _lab(2026, 12, 1, 10, 0)  # a Tuesday, the Drones team's day
    result = _run_demo(runner, (2026, 12, 1, 10, 0))
    assert result.exit_code == 0, result.output
    with app.app_context():
        docent = db.session.scalar(sa.select(User).where(User.email == "docent@straxlab.example"))
        todays = db.session.scalars(
            sa.select(DesignDay).where(DesignDay.day == services.today(moment))
        ).all()
        mine = [d for d in todays if services.is_member(d.team, docent, d.day)]
        assert len(mine) == 1
        attendance = services.check_in(mine[0], user=docent, now=moment)
        assert attendance.present and attendance.checked_in_at == moment


def test_running_the_demo_again_leaves_the_design_teams_as_they_are(app, runner):
    first = _run_demo(runner, None)
    assert first.exit_code == 0, first.output
    with app.app_context():
        before = _team_demo_state()
    assert before["teams"] and before["days"] and before["attendance"]
    second = _run_demo(runner, None)
    assert second.exit_code == 0, second.output
    assert "Design-team demo: teams already present, left as it is." in second.output
    with app.app_context():
        assert _team_demo_state() == before


def test_demo_without_tuesdays_in_the_lab_skips_the_design_teams_but_loads(app, runner):
    from straxlab.core import clock, settings
    from straxlab.design_teams.models import DesignTeam
    from straxlab.lab_calendar.models import Closure
    from straxlab.lab_calendar.settings import LAB_WEEKDAYS

    with app.app_context():
        settings.put(LAB_WEEKDAYS.key, "135", actor_id=None, now=clock.now())
        db.session.commit()
    result = _run_demo(runner, None)
    assert result.exit_code == 0, result.output
    assert "Design-team demo: not built, because:" in result.output
    assert "Lending demo:" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DesignTeam)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Closure)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == len(DEMO_USERS)
