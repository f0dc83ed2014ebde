"""Compliance use cases: the plan's lifecycle, milestones, the progress log, lesson scenarios,
weekly snapshots and the attendance retention.

Like every service: takes the acting user and ``now``, locks and writes through
``db.session``, raises domain errors, never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite

from straxlab.auth.models import User
from straxlab.auth.rules import Permission
from straxlab.compliance import assessment, notifications
from straxlab.compliance.models import (
    ComplianceSnapshot,
    LessonScenario,
    Milestone,
    PlanActivity,
    PlanVersion,
    ProfessionalisationPlan,
    ProgressEntry,
)
from straxlab.compliance.rules import ActivityKind, Finding, PlanOutcome, PlanStatus, iso_week
from straxlab.compliance.settings import retention_months
from straxlab.core import audit
from straxlab.core.db import lock_row
from straxlab.core.errors import Conflict, InvalidRequest, NotAllowed
from straxlab.core.text import printable
from straxlab.design_teams import services as teams
from straxlab.design_teams.models import Attendance, DesignDay, DesignTeam, Programme
from straxlab.design_teams.rules import ProgrammeStatus
from straxlab.extensions import db

TEXT_LENGTH = 5000
TITLE_LENGTH = 200
ACTIVITY_LENGTH = 300
WHO_LENGTH = 200
COURSE_LENGTH = 200
COHORT_LENGTH = 120
LINK_LENGTH = 500
COMMENT_LENGTH = 2000
MAX_ACTIVITIES = 30
MAX_PLANNED_HOURS = 500


# --- who may do what --------------------------------------------------------------------


def may_contribute(team: DesignTeam, actor: User, on: date) -> bool:
    """Active members, the coordinator and lab staff write the plan, the log and scenarios."""
    return actor.is_active and (teams.may_run(team, actor) or teams.is_member(team, actor, on))


def may_decide_plans(actor: User) -> bool:
    return actor.is_active and actor.can(Permission.APPROVE_PLANS)


def _require_contributor(team: DesignTeam, actor: User, now: datetime) -> None:
    if not may_contribute(team, actor, teams.today(now)):
        raise NotAllowed(_l("Only the team's members and lab staff can do this."))


def _require_decider(actor: User, team: DesignTeam, now: datetime) -> None:
    if not may_decide_plans(actor):
        raise NotAllowed(_l("Only a manager can approve or return a plan."))
    if team.coordinator_id == actor.id or teams.is_member(team, actor, teams.today(now)):
        # The check is independent: nobody judges the plan of their own team.
        raise NotAllowed(_l("Another manager decides on the plan of a team you are in."))


def may_decide_on(team: DesignTeam, actor: User, now: datetime) -> bool:
    """Whether ``actor`` may approve or return ``team``'s plan (the page shows the form)."""
    try:
        _require_decider(actor, team, now)
    except NotAllowed:
        return False
    return True


# --- input checks -----------------------------------------------------------------------


def _text(value: str, length: int, field: str, *, required: bool = False) -> str:
    """Multi-line text: trimmed, line endings made one kind, paragraphs kept."""
    lines = printable(value.replace("\r\n", "\n").replace("\r", "\n")).split("\n")
    text = "\n".join(line.rstrip() for line in lines).strip()
    if required and not text:
        raise InvalidRequest(_l("This field is required."), field=field)
    if len(text) > length:
        raise InvalidRequest(_l("Keep this under %(n)s characters.", n=length), field=field)
    return text


def _line(value: str, length: int, field: str, *, required: bool = False) -> str:
    return _text(" ".join(value.split()), length, field, required=required)


def web_link(text: str) -> str | None:
    """``text`` as a whole web address (http or https, with a host, no white space), or None.

    The one test for a link: what the services accept as a scenario's link and what the
    milestones page turns into a link from a milestone's evidence.
    """
    link = text.strip()
    if not link or any(character.isspace() for character in link):
        return None
    try:
        parts = urlsplit(link)
    except ValueError:
        return None
    return link if parts.scheme in {"http", "https"} and parts.netloc else None


def _link(value: str, field: str) -> str:
    if not value.strip():
        return ""
    link = web_link(value)
    if link is None:
        raise InvalidRequest(
            _l("Give a full web address starting with https://, or leave it empty."),
            field=field,
        )
    if len(link) > LINK_LENGTH:
        raise InvalidRequest(_l("Keep this under %(n)s characters.", n=LINK_LENGTH), field=field)
    return link


def _not_future(day: date | None, now: datetime, field: str) -> None:
    if day is not None and day > teams.today(now):
        raise InvalidRequest(_l("This date has not come yet."), field=field)


# --- the plan ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityInput:
    kind: ActivityKind
    description: str
    who: str
    planned_hours: int


def plan_of(team: DesignTeam) -> ProfessionalisationPlan | None:
    return db.session.scalar(
        sa.select(ProfessionalisationPlan).where(ProfessionalisationPlan.team_id == team.id)
    )


def _plan_for_writing(team: DesignTeam, actor: User, now: datetime) -> ProfessionalisationPlan:
    """The team's plan, locked; created as an empty draft the first time it is needed.

    The team's row is locked first, so two members writing the first plan at once take
    turns instead of both inserting one.
    """
    lock_row(team)
    plan = plan_of(team)
    if plan is None:
        plan = ProfessionalisationPlan(
            team_id=team.id,
            status=PlanStatus.DRAFT,
            updated_at=now,
            updated_by_id=actor.id,
        )
        db.session.add(plan)
        db.session.flush()
    else:
        lock_row(plan)
    return plan


def save_plan(
    team: DesignTeam,
    *,
    goals: str,
    collaboration: str,
    intended_scenarios: str,
    activities: Sequence[ActivityInput],
    actor: User,
    now: datetime,
) -> ProfessionalisationPlan:
    """Change the working copy. Changing an approved plan makes a new draft to submit."""
    _require_contributor(team, actor, now)
    plan = _plan_for_writing(team, actor, now)
    if plan.status is PlanStatus.SUBMITTED:
        raise Conflict(
            _l("The plan is waiting for a manager's decision; you can change it afterwards.")
        )
    if len(activities) > MAX_ACTIVITIES:
        raise InvalidRequest(
            _l("A plan has at most %(n)s activities.", n=MAX_ACTIVITIES), field="activities"
        )
    plan.goals = _text(goals, TEXT_LENGTH, "goals")
    plan.collaboration = _text(collaboration, TEXT_LENGTH, "collaboration")
    plan.intended_scenarios = _text(intended_scenarios, TEXT_LENGTH, "intended_scenarios")
    cleaned: list[PlanActivity] = []
    for activity in activities:
        if not 0 <= activity.planned_hours <= MAX_PLANNED_HOURS:
            raise InvalidRequest(
                _l("Planned hours are between 0 and %(n)s.", n=MAX_PLANNED_HOURS),
                field="activities",
            )
        cleaned.append(
            PlanActivity(
                position=len(cleaned),
                kind=activity.kind,
                description=_line(
                    activity.description, ACTIVITY_LENGTH, "activities", required=True
                ),
                who=_line(activity.who, WHO_LENGTH, "activities"),
                planned_hours=activity.planned_hours,
            )
        )
    plan.activities = cleaned
    was_approved = plan.status is PlanStatus.APPROVED
    if was_approved:
        plan.status = PlanStatus.DRAFT
    plan.updated_at = now
    plan.updated_by_id = actor.id
    _audit(
        "plan.revised" if was_approved else "plan.saved",
        team.id,
        actor,
        now,
    )
    return plan


def plan_content(plan: ProfessionalisationPlan) -> dict[str, Any]:
    """The plan's working copy as a version stores it."""
    return {
        "goals": plan.goals,
        "collaboration": plan.collaboration,
        "intended_scenarios": plan.intended_scenarios,
        "activities": [
            {
                "kind": activity.kind.value,
                "description": activity.description,
                "who": activity.who,
                "planned_hours": activity.planned_hours,
            }
            for activity in plan.activities
        ],
    }


def versions(plan: ProfessionalisationPlan) -> list[PlanVersion]:
    """Every submitted version, newest first."""
    return list(
        db.session.scalars(
            sa.select(PlanVersion)
            .where(PlanVersion.plan_id == plan.id)
            .order_by(PlanVersion.number.desc())
        )
    )


def submit_plan(team: DesignTeam, *, actor: User, now: datetime) -> PlanVersion:
    """Freeze the working copy as the next version and ask a manager to decide on it."""
    _require_contributor(team, actor, now)
    plan = _plan_for_writing(team, actor, now)
    if plan.status is PlanStatus.SUBMITTED:
        raise Conflict(_l("The plan has already been submitted."))
    if plan.status is PlanStatus.APPROVED:
        raise Conflict(_l("The plan is approved; change it first to submit a new version."))
    missing = [
        (field, label)
        for field, label, value in (
            ("goals", _l("goals"), plan.goals),
            ("collaboration", _l("collaboration agreements"), plan.collaboration),
            ("intended_scenarios", _l("intended lesson scenarios"), plan.intended_scenarios),
        )
        if not value
    ]
    if missing:
        raise InvalidRequest(
            _l(
                "Fill in the %(parts)s before you submit the plan.",
                parts=", ".join(str(label) for _, label in missing),
            ),
            field=missing[0][0],
        )
    if not plan.activities:
        raise InvalidRequest(
            _l("Add at least one professionalisation activity before you submit the plan."),
            field="activities",
        )
    number = (
        db.session.scalar(
            sa.select(sa.func.max(PlanVersion.number)).where(PlanVersion.plan_id == plan.id)
        )
        or 0
    ) + 1
    version = PlanVersion(
        plan_id=plan.id,
        number=number,
        content=plan_content(plan),
        submitted_at=now,
        submitted_by_id=actor.id,
        outcome=PlanOutcome.PENDING,
    )
    db.session.add(version)
    plan.status = PlanStatus.SUBMITTED
    plan.updated_at = now
    _audit(
        "plan.submitted",
        team.id,
        actor,
        now,
        version=number,
    )
    return version


def not_waiting(plan: ProfessionalisationPlan) -> Conflict:
    """Why a decision on ``plan`` does not apply: never submitted, or decided already."""
    if plan.status is PlanStatus.DRAFT:
        return Conflict(_l("This plan has not been submitted yet."))
    return Conflict(_l("This plan has already been decided on."))


def _pending_version(plan: ProfessionalisationPlan) -> PlanVersion:
    lock_row(plan)
    if plan.status is not PlanStatus.SUBMITTED:
        raise not_waiting(plan)
    version = db.session.scalar(
        sa.select(PlanVersion)
        .where(PlanVersion.plan_id == plan.id, PlanVersion.outcome == PlanOutcome.PENDING)
        .order_by(PlanVersion.number.desc())
        .limit(1)
    )
    if version is None:
        raise Conflict(_l("This plan has already been decided on."))
    return version


def approve_plan(
    plan: ProfessionalisationPlan, *, comment: str = "", actor: User, now: datetime
) -> PlanVersion:
    _require_decider(actor, plan.team, now)
    comment = _text(comment, COMMENT_LENGTH, "comment")
    version = _pending_version(plan)
    version.outcome = PlanOutcome.APPROVED
    version.decided_at = now
    version.decided_by_id = actor.id
    version.comment = comment
    plan.status = PlanStatus.APPROVED
    if plan.first_approved_at is None:
        plan.first_approved_at = now
    plan.updated_at = now
    _audit(
        "plan.approved",
        plan.team_id,
        actor,
        now,
        version=version.number,
    )
    notifications.plan_decided(plan, version, actor=actor, now=now)
    return version


def return_plan(
    plan: ProfessionalisationPlan, *, comment: str, actor: User, now: datetime
) -> PlanVersion:
    """Send the plan back to the team with what to change (the comment is required)."""
    _require_decider(actor, plan.team, now)
    comment = _text(comment, COMMENT_LENGTH, "comment")
    if not comment:
        raise InvalidRequest(
            _l("Say what the team should change before you return the plan."), field="comment"
        )
    version = _pending_version(plan)
    version.outcome = PlanOutcome.RETURNED
    version.decided_at = now
    version.decided_by_id = actor.id
    version.comment = comment
    plan.status = PlanStatus.RETURNED
    plan.updated_at = now
    _audit(
        "plan.returned",
        plan.team_id,
        actor,
        now,
        version=version.number,
    )
    notifications.plan_decided(plan, version, actor=actor, now=now)
    return version


# --- milestones -------------------------------------------------------------------------


def _check_milestone(title: str, done_on: date | None, now: datetime) -> str:
    _not_future(done_on, now, "done_on")
    return _line(title, TITLE_LENGTH, "title", required=True)


def add_milestone(
    team: DesignTeam,
    *,
    title: str,
    due_on: date,
    done_on: date | None = None,
    evidence: str = "",
    actor: User,
    now: datetime,
) -> Milestone:
    _require_contributor(team, actor, now)
    title = _check_milestone(title, done_on, now)
    plan = _plan_for_writing(team, actor, now)
    milestone = Milestone(
        plan_id=plan.id,
        title=title,
        due_on=due_on,
        done_on=done_on,
        evidence=_text(evidence, TEXT_LENGTH, "evidence"),
        created_at=now,
        updated_at=now,
    )
    db.session.add(milestone)
    db.session.flush()
    _audit(
        "milestone.added",
        team.id,
        actor,
        now,
        milestone=milestone.id,
        title=title,
    )
    return milestone


def change_milestone(
    milestone: Milestone,
    *,
    title: str,
    due_on: date,
    done_on: date | None,
    evidence: str,
    actor: User,
    now: datetime,
) -> Milestone:
    team = milestone.plan.team
    _require_contributor(team, actor, now)
    title = _check_milestone(title, done_on, now)
    changes = _apply(
        milestone,
        {
            "title": title,
            "due_on": due_on,
            "done_on": done_on,
            "evidence": _text(evidence, TEXT_LENGTH, "evidence"),
        },
    )
    if changes:
        milestone.updated_at = now
        _audit(
            "milestone.changed",
            team.id,
            actor,
            now,
            milestone=milestone.id,
            changes=changes,
        )
    return milestone


def remove_milestone(milestone: Milestone, *, actor: User, now: datetime) -> None:
    """A milestone that is done is evidence: it stays. An open one may be taken out."""
    team = milestone.plan.team
    _require_contributor(team, actor, now)
    if milestone.done_on is not None:
        raise Conflict(_l("A milestone that is done stays in the plan as evidence."))
    _audit(
        "milestone.removed",
        team.id,
        actor,
        now,
        milestone=milestone.id,
        title=milestone.title,
        due_on=milestone.due_on.isoformat(),
    )
    db.session.delete(milestone)


def _apply(target: object, values: dict[str, Any]) -> dict[str, list[object]]:
    """Set the values that differ; returns them as {name: [old, new]} for the audit trail."""
    changes: dict[str, list[object]] = {}
    for name, value in values.items():
        old = getattr(target, name)
        if old != value:
            changes[name] = [_json(old), _json(value)]
            setattr(target, name, value)
    return changes


def _audit(action: str, team_id: int, actor: User, now: datetime, **details: Any) -> None:
    """Everything about a team's plan, log and scenarios goes into the team's history."""
    audit.record(
        action, actor_id=actor.id, object_type="team", object_id=team_id, now=now, **details
    )


def _json(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


# --- the progress log -------------------------------------------------------------------


def add_progress(
    team: DesignTeam, *, written_on: date, text: str, actor: User, now: datetime
) -> ProgressEntry:
    _require_contributor(team, actor, now)
    _not_future(written_on, now, "written_on")
    entry = ProgressEntry(
        team_id=team.id,
        author_id=actor.id,
        written_on=written_on,
        text=_text(text, TEXT_LENGTH, "text", required=True),
        created_at=now,
        updated_at=now,
    )
    db.session.add(entry)
    db.session.flush()
    _audit(
        "progress.added",
        team.id,
        actor,
        now,
        entry=entry.id,
    )
    return entry


def change_progress(
    entry: ProgressEntry, *, written_on: date, text: str, actor: User, now: datetime
) -> ProgressEntry:
    """Only the author changes an entry: the log says who wrote what."""
    if entry.author_id != actor.id or not actor.is_active:
        raise NotAllowed(_l("Only the author can change this entry."))
    # A former member may no longer rewrite (or re-date) the team's log.
    _require_contributor(db.session.get_one(DesignTeam, entry.team_id), actor, now)
    _not_future(written_on, now, "written_on")
    entry.text = _text(text, TEXT_LENGTH, "text", required=True)
    entry.written_on = written_on
    entry.updated_at = now
    _audit(
        "progress.changed",
        entry.team_id,
        actor,
        now,
        entry=entry.id,
    )
    return entry


# --- lesson scenarios -------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioInput:
    title: str
    summary: str = ""
    course: str = ""
    cohort: str = ""
    link: str = ""
    delivered_on: date | None = None


def _scenario_fields(data: ScenarioInput, now: datetime) -> dict[str, Any]:
    _not_future(data.delivered_on, now, "delivered_on")
    return {
        "title": _line(data.title, TITLE_LENGTH, "title", required=True),
        "summary": _text(data.summary, TEXT_LENGTH, "summary"),
        "course": _line(data.course, COURSE_LENGTH, "course"),
        "cohort": _line(data.cohort, COHORT_LENGTH, "cohort"),
        "link": _link(data.link, "link"),
        "delivered_on": data.delivered_on,
    }


def add_scenario(
    team: DesignTeam, data: ScenarioInput, *, actor: User, now: datetime
) -> LessonScenario:
    _require_contributor(team, actor, now)
    scenario = LessonScenario(
        team_id=team.id,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
        **_scenario_fields(data, now),
    )
    db.session.add(scenario)
    db.session.flush()
    _audit(
        "scenario.added",
        team.id,
        actor,
        now,
        scenario=scenario.id,
        title=scenario.title,
    )
    return scenario


def change_scenario(
    scenario: LessonScenario, data: ScenarioInput, *, actor: User, now: datetime
) -> LessonScenario:
    team = db.session.get_one(DesignTeam, scenario.team_id)
    _require_contributor(team, actor, now)
    changes = _apply(scenario, _scenario_fields(data, now))
    if changes:
        scenario.updated_at = now
        _audit(
            "scenario.changed",
            team.id,
            actor,
            now,
            scenario=scenario.id,
            changes=changes,
        )
    return scenario


# --- snapshots and retention ------------------------------------------------------------


def take_snapshots(now: datetime) -> int:
    """Store this ISO week's status of every team; returns how many snapshots were new.

    Running it again in the same week adds nothing and changes nothing (the week's first
    run stands), also when two runs race: the insert skips a (team, week) that exists.
    """
    on = teams.today(now)
    year, week = iso_week(on)
    # A past week (filled in later) leaves out teams formed after it: they did not exist yet.
    all_teams = list(
        db.session.scalars(
            sa.select(DesignTeam).where(DesignTeam.created_at <= now).order_by(DesignTeam.id)
        )
    )
    if not all_teams:
        return 0
    assessed = assessment.assess_teams(all_teams, on=on, now=now)
    rows = [
        {
            "team_id": item.team.id,
            "iso_year": year,
            "iso_week": week,
            "assessed_on": on,
            "computed_at": now,
            "status": item.status,
            "findings": [_kept(finding) for finding in item.findings],
        }
        for item in assessed
    ]
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stored = db.session.execute(
        insert(ComplianceSnapshot)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["team_id", "iso_year", "iso_week"])
        .returning(ComplianceSnapshot.id)
    ).all()
    return len(stored)


def _kept(finding: Finding) -> dict[str, Any]:
    """A finding as a snapshot keeps it: names left out, so kept history names no colleague
    beyond the retention period; the user id stays for a reader with access to the team."""
    data = finding.to_json()
    data["params"] = {key: value for key, value in data["params"].items() if key != "name"}
    return data


def erase_attendance_details(now: datetime) -> int:
    """Erase check-in times and correction reasons of programmes that ended long enough ago.

    Present or absent per day stays: reports depend on it (DESIGN.md, invariant 3). Returns
    how many attendance rows were erased; a second run finds nothing left to erase.
    """
    cutoff = months_before(teams.today(now), retention_months())
    ended = (
        sa.select(DesignDay.programme_id)
        .join(Programme, Programme.id == DesignDay.programme_id)
        .where(Programme.status.in_([ProgrammeStatus.APPROVED, ProgrammeStatus.FINISHED]))
        .group_by(DesignDay.programme_id)
        .having(sa.func.max(DesignDay.day) < cutoff)
    )
    result = db.session.execute(
        sa.update(Attendance)
        .where(
            Attendance.design_day_id.in_(
                sa.select(DesignDay.id).where(DesignDay.programme_id.in_(ended))
            ),
            sa.or_(
                Attendance.checked_in_at.is_not(None),
                Attendance.reason != "",
                Attendance.recorded_by_id.is_not(None),
            ),
        )
        .values(checked_in_at=None, reason="", recorded_by_id=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def months_before(day: date, months: int) -> date:
    """The same day of the month ``months`` earlier (the month's last day if it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")
