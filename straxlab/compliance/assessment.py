"""Gather teams' facts and assess them, in a fixed number of statements for any number of teams.

The dashboard, the team page, the weekly snapshot and every report call :func:`assess_teams`,
so they all show the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from straxlab.compliance import rules
from straxlab.compliance.models import (
    LessonScenario,
    Milestone,
    PlanVersion,
    ProfessionalisationPlan,
    ProgressEntry,
)
from straxlab.compliance.rules import (
    Finding,
    MemberAttendance,
    MilestoneFact,
    PlanOutcome,
    PlanStatus,
    Severity,
    TeamFacts,
    Thresholds,
)
from straxlab.compliance.settings import thresholds as current_thresholds
from straxlab.design_teams import services as teams
from straxlab.design_teams.models import Attendance, DesignDay, DesignTeam, Membership, Programme
from straxlab.design_teams.rules import TAKING_PLACE, ProgrammeStatus, is_member_on
from straxlab.extensions import db

# Programmes that give a team lab days.
RUNNING = (ProgrammeStatus.APPROVED, ProgrammeStatus.FINISHED)


@dataclass
class TeamAssessment:
    team: DesignTeam
    facts: TeamFacts
    findings: list[Finding]
    status: Severity
    programme: Programme | None = None
    # Every active member's attendance in the current programme, by name.
    attendance: list[MemberAttendance] = field(default_factory=list)

    @property
    def worst_first(self) -> list[Finding]:
        """Every finding, worst first; within a severity, the rules' own order."""
        return sorted(self.findings, key=lambda f: -f.severity.rank)

    @property
    def problems(self) -> list[Finding]:
        """The findings that are not green, worst first: the reasons for the status."""
        return [f for f in self.worst_first if f.severity is not Severity.GREEN]

    @property
    def lowest_attendance(self) -> int | None:
        """The attendance of the member who attended least: what the rule's minimum is about."""
        shares = [m.percent for m in self.attendance if m.percent is not None]
        return min(shares, default=None)

    @property
    def attendance_percent(self) -> int | None:
        """The team's attendance: present over held, summed over its active members."""
        held = sum(member.held for member in self.attendance)
        if held == 0:
            return None
        return sum(member.present for member in self.attendance) * 100 // held


def status_counts(assessed: Iterable[TeamAssessment]) -> dict[Severity, int]:
    """How many of these teams have each status, green to red (zero included)."""
    counts = dict.fromkeys(Severity, 0)
    for item in assessed:
        counts[item.status] += 1
    return counts


def end_of(on: date, now: datetime) -> datetime:
    """The instant the facts are taken at: now for today, the end of the day for a past day."""
    if on >= teams.today(now):
        return now
    return datetime.combine(on + timedelta(days=1), time(0), teams.lab_zone())


def current_programmes(team_ids: Sequence[int], on: date) -> dict[int, Programme]:
    """Per team, the programme whose lab days count on ``on``.

    The latest approved (or finished) programme that has begun by then; before the first one
    begins, the first one to come.
    """
    return {team_id: current for team_id, (current, _) in _programmes(team_ids, on).items()}


def _programmes(team_ids: Sequence[int], on: date) -> dict[int, tuple[Programme, Programme | None]]:
    """Per team, its current programme and the one before it (None for a first programme)."""
    programmes = db.session.scalars(
        sa.select(Programme)
        .where(Programme.team_id.in_(team_ids), Programme.status.in_(RUNNING))
        .order_by(Programme.team_id, Programme.first_day, Programme.id)
    ).unique()
    chosen: dict[int, tuple[Programme, Programme | None]] = {}
    for programme in programmes:
        known = chosen.get(programme.team_id)
        if known is None:
            chosen[programme.team_id] = (programme, None)
        elif programme.first_day <= on:
            chosen[programme.team_id] = (programme, known[0])
    return chosen


def assess_teams(
    team_list: Sequence[DesignTeam],
    *,
    on: date,
    now: datetime,
    thresholds: Thresholds | None = None,
) -> list[TeamAssessment]:
    """Each team's findings and status as they stood at the end of ``on`` (today: now)."""
    if not team_list:
        return []
    thresholds = thresholds or current_thresholds()
    at = end_of(on, now)
    ids = [team.id for team in team_list]
    pairs = _programmes(ids, on)
    programmes = {team_id: current for team_id, (current, _) in pairs.items()}
    previous = {team_id: before for team_id, (_, before) in pairs.items() if before is not None}
    # The previous programme's span tells which lesson scenarios belong to it, not this one.
    current_ids = [p.id for p in programmes.values()]
    programme_ids = current_ids + [p.id for p in previous.values()]

    # No guards for an empty id list: the statement count must not depend on the data.
    spans: dict[int, tuple[date, date]] = {}
    for programme_id, first_day, last_day in db.session.execute(
        sa.select(DesignDay.programme_id, sa.func.min(DesignDay.day), sa.func.max(DesignDay.day))
        .where(DesignDay.programme_id.in_(programme_ids), DesignDay.status.in_(TAKING_PLACE))
        .group_by(DesignDay.programme_id)
    ).all():
        spans[programme_id] = (first_day, last_day)

    members: dict[int, list[Membership]] = defaultdict(list)
    for membership in db.session.scalars(
        sa.select(Membership)
        .where(Membership.team_id.in_(ids), Membership.counts_on(on))
        .order_by(Membership.joined_on, Membership.id)
    ):
        members[membership.team_id].append(membership)

    held: dict[tuple[int, int], int] = {}
    present: dict[tuple[int, int], int] = {}
    held_day = sa.and_(
        DesignDay.programme_id.in_(current_ids),
        DesignDay.status.in_(TAKING_PLACE),
        DesignDay.ends_at <= at,
    )
    for team_id, user_id, count in db.session.execute(
        sa.select(Membership.team_id, Membership.user_id, sa.func.count(sa.distinct(DesignDay.id)))
        .join(DesignDay, DesignDay.team_id == Membership.team_id)
        .where(Membership.team_id.in_(ids), Membership.counts_on(DesignDay.day), held_day)
        .group_by(Membership.team_id, Membership.user_id)
    ).all():
        held[(team_id, user_id)] = count
    for team_id, user_id, count in db.session.execute(
        sa.select(DesignDay.team_id, Attendance.user_id, sa.func.count(sa.distinct(DesignDay.id)))
        .join(DesignDay, DesignDay.id == Attendance.design_day_id)
        .where(held_day, Attendance.present.is_(True))
        .group_by(DesignDay.team_id, Attendance.user_id)
    ).all():
        present[(team_id, user_id)] = count

    plans = {
        plan.team_id: plan
        for plan in db.session.scalars(
            sa.select(ProfessionalisationPlan).where(ProfessionalisationPlan.team_id.in_(ids))
        ).unique()
    }
    # A plan's status on a past day comes from its versions (submitted and decided by then).
    statuses_then = _plan_statuses_at([plan.id for plan in plans.values()], at)
    past = on < teams.today(now)
    milestones: dict[int, list[MilestoneFact]] = defaultdict(list)
    for team_id, title, due_on, done_on, created_at in db.session.execute(
        sa.select(
            ProfessionalisationPlan.team_id,
            Milestone.title,
            Milestone.due_on,
            Milestone.done_on,
            Milestone.created_at,
        )
        .join(ProfessionalisationPlan, ProfessionalisationPlan.id == Milestone.plan_id)
        .where(ProfessionalisationPlan.team_id.in_(ids))
    ).all():
        if created_at <= at:
            milestones[team_id].append(MilestoneFact(title, due_on, done_on))
    # Entries count when their author was a member on the entry's date: the log is the team's.
    last_progress = dict(
        db.session.execute(
            sa.select(ProgressEntry.team_id, sa.func.max(ProgressEntry.written_on))
            .join(
                Membership,
                sa.and_(
                    Membership.team_id == ProgressEntry.team_id,
                    Membership.user_id == ProgressEntry.author_id,
                    Membership.counts_on(ProgressEntry.written_on),
                ),
            )
            .where(ProgressEntry.team_id.in_(ids), ProgressEntry.written_on <= on)
            .group_by(ProgressEntry.team_id)
        ).all()
    )
    # Delivered scenarios, to be counted per team from its current programme's first lab day.
    delivered_on: dict[int, list[date]] = defaultdict(list)
    for team_id, day in db.session.execute(
        sa.select(LessonScenario.team_id, LessonScenario.delivered_on).where(
            LessonScenario.team_id.in_(ids),
            LessonScenario.delivered_on <= on,
            LessonScenario.course != "",
        )
    ).all():
        if day is not None:
            delivered_on[team_id].append(day)

    zone = teams.lab_zone()
    results = []
    for team in team_list:
        programme = programmes.get(team.id)
        first: date | None = None
        last: date | None = None
        if programme is not None and programme.id in spans:
            first, last = spans[programme.id]
        # A scenario delivered by the end of the previous programme counted for that one.
        before = previous.get(team.id)
        since = spans[before.id][1] if before is not None and before.id in spans else None
        plan = plans.get(team.id)
        approved_on = None
        if plan is not None and plan.first_approved_at is not None:
            approved_local = plan.first_approved_at.astimezone(zone).date()
            approved_on = approved_local if approved_local <= on else None
        active = [m for m in members.get(team.id, []) if is_member_on(m.joined_on, m.left_on, on)]
        attendance = [
            MemberAttendance(
                m.user_id,
                m.user.name,
                held.get((team.id, m.user_id), 0),
                present.get((team.id, m.user_id), 0),
            )
            for m in active
        ]
        facts = TeamFacts(
            today=on,
            active_members=len(active),
            first_lab_day=first,
            last_lab_day=last,
            plan_status=(
                None
                if plan is None
                else statuses_then.get(plan.id, PlanStatus.DRAFT)
                if past
                else plan.status
            ),
            plan_approved_on=approved_on,
            attendance=attendance,
            milestones=milestones.get(team.id, []),
            last_progress_on=last_progress.get(team.id),
            scenarios_delivered=sum(
                1 for day in delivered_on.get(team.id, []) if since is None or day > since
            ),
        )
        findings = rules.assess(facts, thresholds)
        results.append(
            TeamAssessment(
                team=team,
                facts=facts,
                findings=findings,
                status=rules.worst(f.severity for f in findings),
                programme=programme,
                attendance=attendance,
            )
        )
    return results


def _plan_statuses_at(plan_ids: Sequence[int], at: datetime) -> dict[int, PlanStatus]:
    """Per plan, its status at instant ``at``: its latest version submitted by then, and the
    decision on it if that was taken by then (no version yet: absent, i.e. a draft)."""
    statuses: dict[int, PlanStatus] = {}
    for plan_id, outcome, decided_at in db.session.execute(
        sa.select(PlanVersion.plan_id, PlanVersion.outcome, PlanVersion.decided_at)
        .where(PlanVersion.plan_id.in_(plan_ids), PlanVersion.submitted_at <= at)
        .order_by(PlanVersion.plan_id, PlanVersion.number)
    ).all():
        if decided_at is None or decided_at > at or outcome is PlanOutcome.PENDING:
            statuses[plan_id] = PlanStatus.SUBMITTED
        elif outcome is PlanOutcome.APPROVED:
            statuses[plan_id] = PlanStatus.APPROVED
        else:
            statuses[plan_id] = PlanStatus.RETURNED
    return statuses


def assess_team(team: DesignTeam, *, now: datetime) -> TeamAssessment:
    """One team as it stands now (the team page)."""
    return assess_teams([team], on=teams.today(now), now=now)[0]
