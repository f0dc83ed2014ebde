"""The compliance part of ``flask demo``: every plan state, true reasons for each colour."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from straxlab.cli.demo_teams import DRONES, ESCAPE, PODCASTS, VR
from straxlab.compliance import services
from straxlab.compliance.assessment import assess_teams
from straxlab.compliance.models import (
    ComplianceSnapshot,
    LessonScenario,
    Milestone,
    ProfessionalisationPlan,
    ProgressEntry,
)
from straxlab.compliance.rules import PlanOutcome, PlanStatus, Rule, Severity
from straxlab.core import clock
from straxlab.design_teams import services as teams
from straxlab.design_teams.models import DesignTeam
from straxlab.extensions import db

AMS = ZoneInfo("Europe/Amsterdam")

# The story counts back from today, so it must tell the same at any time of year.
MOMENTS = {
    "real clock": None,
    "tuesday, a lab day": (2026, 12, 1, 10, 0),
    "new year's eve": (2026, 12, 31, 15, 0),
    "after the spring dst change": (2027, 3, 29, 8, 0),
    "summer holiday": (2027, 8, 4, 11, 0),
}


def at(moment):
    if moment is None:
        return clock.now()
    return datetime(*moment, tzinfo=AMS).astimezone(UTC)


def run_demo(runner, moment, *args):
    if moment is None:
        return runner.invoke(args=["demo", *args])
    with clock.frozen(at(moment)):
        return runner.invoke(args=["demo", *args])


def counts():
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (
            ProfessionalisationPlan,
            Milestone,
            ProgressEntry,
            LessonScenario,
            ComplianceSnapshot,
        )
    }


@pytest.mark.parametrize("moment", MOMENTS.values(), ids=MOMENTS.keys())
def test_the_demo_shows_green_amber_and_red_teams_for_true_reasons(app, runner, moment):
    now = at(moment)
    result = run_demo(runner, moment)
    assert result.exit_code == 0, result.output
    assert "Compliance demo: plans 1 draft, 1 submitted, 1 returned, 1 approved." in result.output
    assert "Snapshots for 9 weeks; teams today:" in result.output

    with app.app_context():
        team_list = db.session.scalars(sa.select(DesignTeam).order_by(DesignTeam.id)).all()
        assessed = {
            item.team.name: item for item in assess_teams(team_list, on=teams.today(now), now=now)
        }
        assert {item.status for item in assessed.values()} == set(Severity)

        green = assessed[VR.name]
        assert green.status is Severity.GREEN
        assert {f.message for f in green.findings} == {
            "members.ok",
            "plan.approved",
            "attendance.ok",
            "milestones.ok",
            "progress.ok",
            "scenario.delivered",
        }

        amber = assessed[ESCAPE.name]
        assert amber.facts.first_lab_day is None
        assert amber.status is Severity.AMBER
        assert [(f.message, f.params["title"]) for f in amber.problems] == [
            ("milestones.overdue", "Plan klaar en ingediend")
        ]

        # The podcasts team's own troubles are amber; the design-team demo's attendance
        # makes it red in the weeks when a member has missed too many of its few lab days.
        podcasts = assessed[PODCASTS.name]
        reasons = [(f.rule, f.message) for f in podcasts.problems if f.rule != Rule.ATTENDANCE]
        assert reasons == [
            (Rule.MILESTONES, "milestones.overdue"),
            (Rule.PROGRESS, "progress.due"),
        ]
        overdue = next(f for f in podcasts.problems if f.message == "milestones.overdue").params
        assert overdue["title"] == "Eerste aflevering opgenomen en gemonteerd"
        assert overdue["days"] <= overdue["grace"]
        low = [f for f in podcasts.findings if f.message == "attendance.low"]
        assert podcasts.status is (Severity.RED if low else Severity.AMBER)

        red = assessed[DRONES.name]
        assert red.status is Severity.RED
        reasons = {f.message: f.params for f in red.problems}
        late = reasons["milestones.late"]
        assert late["title"] == "Eerste inspectievlucht met studenten"
        assert late["days"] > late["grace"]
        # The returned plan is late once three weeks of lab days have passed; the log is
        # silent for six weeks (late once the lab days began four weeks before that).
        plan_finding = next(f for f in red.findings if f.rule is Rule.PLAN)
        assert plan_finding.params["status"] == "returned"
        assert plan_finding.severity is not Severity.GREEN

        # Every state of a plan, each with the history that led to it.
        plans = {
            plan.team.name: plan for plan in db.session.scalars(sa.select(ProfessionalisationPlan))
        }
        assert {p.status for p in plans.values()} == set(PlanStatus)
        history = {
            name: [(v.number, v.outcome, bool(v.comment)) for v in services.versions(plan)]
            for name, plan in plans.items()
        }
        assert history == {
            VR.name: [(2, PlanOutcome.APPROVED, True), (1, PlanOutcome.RETURNED, True)],
            PODCASTS.name: [(2, PlanOutcome.PENDING, False), (1, PlanOutcome.APPROVED, True)],
            DRONES.name: [(1, PlanOutcome.RETURNED, True)],
            ESCAPE.name: [],
        }
        assert plans[PODCASTS.name].status is PlanStatus.SUBMITTED
        assert plans[PODCASTS.name].first_approved_at is not None
        # The plan was approved within its deadline: three weeks from the first lab day.
        vr_approved = plans[VR.name].first_approved_at.astimezone(AMS).date()
        assert (vr_approved - green.facts.first_lab_day).days <= 21

        done = db.session.scalars(sa.select(Milestone).where(Milestone.done_on.is_not(None))).all()
        assert done and all(m.evidence for m in done)
        assert any(m.evidence.startswith("https://") for m in done)
        delivered = db.session.scalars(
            sa.select(LessonScenario).where(LessonScenario.delivered_on.is_not(None))
        ).all()
        assert [(s.team_id, bool(s.course)) for s in delivered] == [(green.team.id, True)]
        assert db.session.scalar(
            sa.select(sa.func.count(LessonScenario.id)).where(LessonScenario.delivered_on.is_(None))
        )

        # Nine weeks of snapshots, one per team per week, none before a team existed; the
        # trend moves (the red team was amber before its plan deadline passed).
        weeks = db.session.execute(
            sa.select(ComplianceSnapshot.iso_year, ComplianceSnapshot.iso_week).distinct()
        ).all()
        assert len(weeks) == 9
        per_team = db.session.execute(
            sa.select(ComplianceSnapshot.team_id, sa.func.count()).group_by(
                ComplianceSnapshot.team_id
            )
        ).all()
        by_id = {item.team.id: name for name, item in assessed.items()}
        assert {by_id[team_id]: n for team_id, n in per_team}[VR.name] == 9
        for snapshot in db.session.scalars(sa.select(ComplianceSnapshot)):
            team = db.session.get(DesignTeam, snapshot.team_id)
            assert snapshot.computed_at >= team.created_at
        # The trend moves: the week's snapshot matches today, earlier weeks differ.
        trends = {
            name: db.session.scalars(
                sa.select(ComplianceSnapshot.status)
                .where(ComplianceSnapshot.team_id == item.team.id)
                .order_by(ComplianceSnapshot.iso_year, ComplianceSnapshot.iso_week)
            ).all()
            for name, item in assessed.items()
        }
        assert all(trend[-1] is assessed[name].status for name, trend in trends.items())
        assert len(trends[ESCAPE.name]) < 9
        assert len(set(trends[DRONES.name])) > 1


def test_running_the_demo_again_changes_nothing(app, runner):
    first = run_demo(runner, None)
    assert first.exit_code == 0, first.output
    with app.app_context():
        before = counts()
    assert all(before.values()), before

    again = run_demo(runner, None, "--if-empty")
    assert again.exit_code == 0, again.output
    assert "demo data not loaded" in again.output
    twice = run_demo(runner, None)
    assert twice.exit_code == 0, twice.output
    assert "Compliance demo: plans already present, left as it is." in twice.output
    with app.app_context():
        assert counts() == before


def test_the_compliance_demo_needs_the_demo_teams(app, runner):
    from straxlab.core import settings
    from straxlab.lab_calendar.settings import LAB_WEEKDAYS

    with app.app_context():
        # No Tuesdays in the lab: the design-team demo cannot be built, nor this one.
        settings.put(LAB_WEEKDAYS.key, "135", actor_id=None, now=clock.now())
        db.session.commit()
    result = run_demo(runner, None)
    assert result.exit_code == 0, result.output
    assert "Compliance demo: not built, because: the demo team" in result.output
    with app.app_context():
        assert counts() == dict.fromkeys(counts(), 0)
