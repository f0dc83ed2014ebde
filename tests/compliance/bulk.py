"""A fast builder of many design teams with their lab days, attendance, plans and snapshots.

Direct inserts (one executemany per table), because building 200 teams through the services
takes minutes. Used by the statement-count tests and by benchmarks/compliance_report.py, so it
imports no pytest.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from straxlab.auth.models import User
from straxlab.auth.rules import Role
from straxlab.compliance.models import (
    ComplianceSnapshot,
    LessonScenario,
    Milestone,
    ProfessionalisationPlan,
    ProgressEntry,
)
from straxlab.compliance.rules import PlanStatus, Severity, iso_week
from straxlab.design_teams.models import (
    Attendance,
    DesignDay,
    DesignTeam,
    Membership,
    Programme,
)
from straxlab.design_teams.rules import DesignDayStatus, ProgrammeStatus
from straxlab.extensions import db
from straxlab.lab_calendar.models import LabDay

AMS = ZoneInfo("Europe/Amsterdam")
DEPARTMENTS = ("Zorg en Welzijn", "Techniek", "Economie")
PLAN_STATES = (PlanStatus.APPROVED, PlanStatus.SUBMITTED, PlanStatus.DRAFT, PlanStatus.RETURNED)


def _local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), AMS).astimezone(UTC)


def _insert(model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` in one executemany; the new ids in the order of ``rows``."""
    if not rows:
        return []
    return list(
        db.session.scalars(sa.insert(model).returning(model.id, sort_by_parameter_order=True), rows)
    )


def bulk_teams(
    count: int,
    *,
    now: datetime,
    prefix: str = "Bulk",
    days: int = 6,
    members: int = 3,
    snapshot_weeks: int = 12,
    weeks_back: int | None = None,
) -> list[int]:
    """``count`` complete teams, inserted directly: members, an approved programme of
    ``days`` weekly design days starting ``weeks_back`` weeks before ``now`` (default: half
    of them held by ``now``; every fifth team has one cancelled), attendance,
    a plan in one of four states, two milestones, progress entries, a lesson scenario and
    ``snapshot_weeks`` weekly snapshots. The mix gives green, amber and red teams.

    Call inside an app context; commits. Returns the team ids in order.
    """
    today = now.astimezone(AMS).date()
    monday = today - timedelta(days=today.isoweekday() - 1)
    user_ids = _insert(
        User,
        [
            {
                "email": f"{prefix.lower()}-{n}-{k}@bulk.example",
                "name": f"{prefix} {n} member {k}",
                "role": Role.TEACHER,
                "locale": "en",
                "password_hash": "not a usable hash",
                "created_at": now - timedelta(days=200),
            }
            for n in range(count)
            for k in range(members)
        ],
    )
    people = [user_ids[n * members : (n + 1) * members] for n in range(count)]
    team_ids = _insert(
        DesignTeam,
        [
            {
                "name": f"{prefix} team {n:04d}",
                "theme": "Lessons with VR",
                "department": DEPARTMENTS[n % len(DEPARTMENTS)],
                "coordinator_id": people[n][0],
                "created_at": now - timedelta(days=150),
            }
            for n in range(count)
        ],
    )
    back = days // 2 if weeks_back is None else weeks_back
    # Each team keeps its own weekday.
    firsts = [monday - timedelta(weeks=back) + timedelta(days=n % 5) for n in range(count)]
    _insert(
        Membership,
        [
            {"team_id": team_ids[n], "user_id": user_id, "joined_on": firsts[n] - timedelta(14)}
            for n in range(count)
            for user_id in people[n]
        ],
    )
    programme_ids = _insert(
        Programme,
        [
            {
                "team_id": team_ids[n],
                "weekday": firsts[n].isoweekday(),
                "starts_at": time(9),
                "ends_at": time(16),
                "first_day": firsts[n],
                "day_count": days,
                "status": ProgrammeStatus.APPROVED,
                "requested_by_id": people[n][0],
                "requested_at": now - timedelta(days=120),
            }
            for n in range(count)
        ],
    )
    day_rows = []
    for n in range(count):
        for i in range(days):
            day = firsts[n] + timedelta(weeks=i)
            ends_at = _local(day, 16)
            status = DesignDayStatus.HELD if ends_at <= now else DesignDayStatus.SCHEDULED
            if i == 1 and n % 5 == 4:
                status = DesignDayStatus.CANCELLED
            day_rows.append(
                {
                    "programme_id": programme_ids[n],
                    "team_id": team_ids[n],
                    "day": day,
                    "starts_at": _local(day, 9),
                    "ends_at": ends_at,
                    "status": status,
                    "updated_at": now - timedelta(days=120),
                }
            )
    wanted = {row["day"] for row in day_rows}
    known = set(db.session.scalars(sa.select(LabDay.day).where(LabDay.day.in_(wanted))))
    if wanted - known:
        db.session.execute(sa.insert(LabDay), [{"day": day} for day in sorted(wanted - known)])
    day_ids = _insert(DesignDay, day_rows)
    position = {team_id: n for n, team_id in enumerate(team_ids)}
    attendance = []
    for day_id, row in zip(day_ids, day_rows, strict=True):
        if row["status"] is not DesignDayStatus.HELD:
            continue
        n = position[row["team_id"]]
        week = (row["day"] - firsts[n]).days // 7
        for k, user_id in enumerate(people[n]):
            # Every fourth team has a member who misses every other day: below 75 %.
            present = not (n % 4 == 3 and k == members - 1 and week % 2 == 0)
            attendance.append(
                {
                    "design_day_id": day_id,
                    "user_id": user_id,
                    "present": present,
                    "checked_in_at": row["starts_at"] if present else None,
                    "reason": "",
                    "updated_at": row["ends_at"],
                }
            )
    _insert(Attendance, attendance)
    plan_rows = []
    for n in range(count):
        status = PLAN_STATES[n % len(PLAN_STATES)]
        approved = status is PlanStatus.APPROVED
        plan_rows.append(
            {
                "team_id": team_ids[n],
                "status": status,
                "goals": "Design lessons with VR headsets.",
                "first_approved_at": _local(firsts[n] + timedelta(days=7), 12)
                if approved
                else None,
                "updated_at": now - timedelta(days=60),
                "updated_by_id": people[n][0],
            }
        )
    plan_ids = _insert(ProfessionalisationPlan, plan_rows)
    milestone_rows = []
    for n, plan_id in enumerate(plan_ids):
        made = now - timedelta(days=90)
        milestone_rows.append(
            {
                "plan_id": plan_id,
                "title": "First lesson tried out",
                "due_on": firsts[n] + timedelta(days=14),
                "done_on": firsts[n] + timedelta(days=13),
                "evidence": "",
                "created_at": made,
                "updated_at": made,
            }
        )
        # Every third team is more than the grace period late with its second milestone.
        due = today - timedelta(days=20) if n % 3 == 0 else today + timedelta(days=20)
        milestone_rows.append(
            {
                "plan_id": plan_id,
                "title": "Lesson scenario written",
                "due_on": due,
                "done_on": None,
                "evidence": "",
                "created_at": made,
                "updated_at": made,
            }
        )
    _insert(Milestone, milestone_rows)
    _insert(
        ProgressEntry,
        [
            {
                "team_id": team_ids[n],
                "author_id": people[n][k % members],
                "written_on": today - timedelta(weeks=k * 2 + n % 3),
                "text": "We tried the lesson in class.",
                "created_at": now - timedelta(days=10),
                "updated_at": now - timedelta(days=10),
            }
            for n in range(count)
            for k in range(2)
        ],
    )
    _insert(
        LessonScenario,
        [
            {
                "team_id": team_ids[n],
                "title": "Lifting with VR",
                "summary": "",
                "course": "Nursing" if n % 2 == 0 else "",
                "cohort": "",
                "link": "",
                "delivered_on": today - timedelta(days=3) if n % 2 == 0 else None,
                "created_by_id": people[n][0],
                "created_at": now - timedelta(days=20),
                "updated_at": now - timedelta(days=20),
            }
            for n in range(count)
        ],
    )
    snapshots = []
    for back in range(snapshot_weeks - 1, -1, -1):
        assessed_on = monday - timedelta(weeks=back)
        year, week = iso_week(assessed_on)
        for n in range(count):
            snapshots.append(
                {
                    "team_id": team_ids[n],
                    "iso_year": year,
                    "iso_week": week,
                    "assessed_on": assessed_on,
                    "computed_at": _local(assessed_on, 6),
                    "status": (Severity.GREEN, Severity.AMBER, Severity.RED)[(n + back) % 3],
                    "findings": [],
                }
            )
    _insert(ComplianceSnapshot, snapshots)
    db.session.commit()
    return team_ids
