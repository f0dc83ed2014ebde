"""Compliance rules: does a design team carry out its professionalisation plan?

Pure: no database, no Flask. Services gather a team's facts as they stood on one day
(``TeamFacts``) and the manager's thresholds; ``assess`` returns one or more findings per
rule. A finding names its rule, a severity and the numbers behind it; the words are chosen
when it is shown (``labels.py``), so a stored snapshot reads in any language.

Severity means the same for every rule: green, the rule holds; amber, it still holds but a
deadline is near or has just passed within the allowed grace; red, the rule is broken.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

# A team without at least this many active members does not collaborate (DESIGN.md).
MIN_ACTIVE_MEMBERS = 2
# How long before the programme's last lab day a team without a delivered scenario is warned.
SCENARIO_WARNING = timedelta(weeks=4)
# A progress entry becomes due (amber) this long before the interval runs out.
PROGRESS_WARNING = timedelta(weeks=1)


class Severity(enum.StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.GREEN: 0, Severity.AMBER: 1, Severity.RED: 2}


class Rule(enum.StrEnum):
    """The rules, in the order a team page lists them."""

    MEMBERS = "members"
    PLAN = "plan"
    ATTENDANCE = "attendance"
    MILESTONES = "milestones"
    PROGRESS = "progress"
    SCENARIO = "scenario"


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"


class PlanOutcome(enum.StrEnum):
    """What became of one submitted version of a plan."""

    PENDING = "pending"
    APPROVED = "approved"
    RETURNED = "returned"


class ActivityKind(enum.StrEnum):
    WORKSHOP = "workshop"
    PEER_OBSERVATION = "peer_observation"
    TOOL_TRIAL = "tool_trial"
    OTHER = "other"


@dataclass(frozen=True)
class Thresholds:
    """The numbers a manager may change on the settings page (DESIGN.md's first set)."""

    plan_weeks: int = 3
    attendance_percent: int = 75
    milestone_grace_days: int = 14
    progress_weeks: int = 4


@dataclass(frozen=True)
class MemberAttendance:
    user_id: int
    name: str
    # Design days of the programme held so far while this person was a member.
    held: int
    present: int

    @property
    def percent(self) -> int | None:
        """Whole percent present, rounded down (75.9 % is not yet 76 %); None before any day."""
        if self.held == 0:
            return None
        return self.present * 100 // self.held


@dataclass(frozen=True)
class MilestoneFact:
    title: str
    due_on: date
    done_on: date | None


@dataclass(frozen=True)
class TeamFacts:
    """What the rules look at, as it stood at the end of ``today``."""

    today: date
    active_members: int
    # The first and last lab days of the team's current programme (None: no lab days yet).
    first_lab_day: date | None = None
    last_lab_day: date | None = None
    plan_status: PlanStatus | None = None
    plan_approved_on: date | None = None
    # Active members only: people who left do not hold the team back.
    attendance: Sequence[MemberAttendance] = ()
    milestones: Sequence[MilestoneFact] = ()
    last_progress_on: date | None = None
    # Lesson scenarios delivered (by today) and linked to a course.
    scenarios_delivered: int = 0


@dataclass(frozen=True)
class Finding:
    rule: Rule
    severity: Severity
    # Which explanation applies, e.g. "plan.late"; labels.py words it.
    message: str
    # The numbers behind it; dates as ISO strings so that a finding stores as JSON.
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule.value,
            "severity": self.severity.value,
            "message": self.message,
            "params": dict(self.params),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            Rule(data["rule"]),
            Severity(data["severity"]),
            str(data["message"]),
            dict(data.get("params") or {}),
        )


def worst(severities: Iterable[Severity]) -> Severity:
    """A team's status is its worst finding; no findings at all is green."""
    return max(severities, key=lambda severity: severity.rank, default=Severity.GREEN)


# --- the rules ---------------------------------------------------------------------------


def members_rule(facts: TeamFacts) -> list[Finding]:
    params = {"count": facts.active_members, "minimum": MIN_ACTIVE_MEMBERS}
    if facts.active_members < MIN_ACTIVE_MEMBERS:
        return [Finding(Rule.MEMBERS, Severity.RED, "members.too_few", params)]
    return [Finding(Rule.MEMBERS, Severity.GREEN, "members.ok", params)]


def plan_deadline(first_lab_day: date, thresholds: Thresholds) -> date:
    """The last day on which the plan may be approved."""
    return first_lab_day + timedelta(weeks=thresholds.plan_weeks)


def plan_rule(facts: TeamFacts, thresholds: Thresholds) -> list[Finding]:
    status = facts.plan_status.value if facts.plan_status else "none"
    if facts.plan_approved_on is not None:
        return [
            Finding(
                Rule.PLAN,
                Severity.GREEN,
                "plan.approved",
                {"approved_on": facts.plan_approved_on.isoformat()},
            )
        ]
    if facts.first_lab_day is None:
        return [Finding(Rule.PLAN, Severity.GREEN, "plan.not_started", {"status": status})]
    deadline = plan_deadline(facts.first_lab_day, thresholds)
    params: dict[str, Any] = {
        "status": status,
        "deadline": deadline.isoformat(),
        "weeks": thresholds.plan_weeks,
    }
    if facts.today <= deadline:
        params["days_left"] = (deadline - facts.today).days
        return [Finding(Rule.PLAN, Severity.AMBER, "plan.due", params)]
    params["days_late"] = (facts.today - deadline).days
    return [Finding(Rule.PLAN, Severity.RED, "plan.late", params)]


def attendance_rule(facts: TeamFacts, thresholds: Thresholds) -> list[Finding]:
    counted = [member for member in facts.attendance if member.held > 0]
    if not counted:
        return [Finding(Rule.ATTENDANCE, Severity.GREEN, "attendance.none_yet", {})]
    low = sorted(
        (
            member
            for member in counted
            if member.present * 100 < thresholds.attendance_percent * member.held
        ),
        key=lambda member: (member.present * 100 // member.held, member.name),
    )
    if not low:
        lowest = min(member.percent or 0 for member in counted)
        return [
            Finding(
                Rule.ATTENDANCE,
                Severity.GREEN,
                "attendance.ok",
                {"lowest": lowest, "threshold": thresholds.attendance_percent},
            )
        ]
    return [
        Finding(
            Rule.ATTENDANCE,
            Severity.RED,
            "attendance.low",
            {
                "user_id": member.user_id,
                "name": member.name,
                "present": member.present,
                "held": member.held,
                "percent": member.percent,
                "threshold": thresholds.attendance_percent,
            },
        )
        for member in low
    ]


def milestones_rule(facts: TeamFacts, thresholds: Thresholds) -> list[Finding]:
    today = facts.today
    if not facts.milestones:
        if facts.first_lab_day is None:
            return [Finding(Rule.MILESTONES, Severity.GREEN, "milestones.not_started", {})]
        return [Finding(Rule.MILESTONES, Severity.AMBER, "milestones.none", {})]
    open_ones = [m for m in facts.milestones if m.done_on is None or m.done_on > today]
    overdue = sorted((m for m in open_ones if m.due_on < today), key=lambda m: (m.due_on, m.title))
    if not overdue:
        upcoming = sorted(m.due_on for m in open_ones)
        params: dict[str, Any] = {
            "done": len(facts.milestones) - len(open_ones),
            "total": len(facts.milestones),
        }
        if upcoming:
            params["next_due"] = upcoming[0].isoformat()
        return [Finding(Rule.MILESTONES, Severity.GREEN, "milestones.ok", params)]
    findings = []
    for milestone in overdue:
        days = (today - milestone.due_on).days
        late = days > thresholds.milestone_grace_days
        findings.append(
            Finding(
                Rule.MILESTONES,
                Severity.RED if late else Severity.AMBER,
                "milestones.late" if late else "milestones.overdue",
                {
                    "title": milestone.title,
                    "due_on": milestone.due_on.isoformat(),
                    "days": days,
                    "grace": thresholds.milestone_grace_days,
                },
            )
        )
    findings.sort(key=lambda finding: -finding.severity.rank)
    return findings


def progress_rule(facts: TeamFacts, thresholds: Thresholds) -> list[Finding]:
    first = facts.first_lab_day
    if first is None or facts.today < first:
        return [Finding(Rule.PROGRESS, Severity.GREEN, "progress.not_started", {})]
    # The interval runs from the last entry, or from the first lab day for a team without one.
    since = max(facts.last_progress_on or first, first)
    due_on = since + timedelta(weeks=thresholds.progress_weeks)
    params: dict[str, Any] = {
        "due_on": due_on.isoformat(),
        "weeks": thresholds.progress_weeks,
    }
    if facts.last_progress_on is not None:
        params["last_on"] = facts.last_progress_on.isoformat()
    end = facts.last_lab_day
    if end is not None and facts.today > end:
        # The log is kept while the programme runs: judged as it stood on its last lab day.
        if end > due_on:
            params["days_late"] = (end - due_on).days
            return [Finding(Rule.PROGRESS, Severity.RED, "progress.late", params)]
        return [Finding(Rule.PROGRESS, Severity.GREEN, "progress.ended", params)]
    if facts.today > due_on:
        params["days_late"] = (facts.today - due_on).days
        return [Finding(Rule.PROGRESS, Severity.RED, "progress.late", params)]
    if facts.today > due_on - PROGRESS_WARNING:
        return [Finding(Rule.PROGRESS, Severity.AMBER, "progress.due", params)]
    return [Finding(Rule.PROGRESS, Severity.GREEN, "progress.ok", params)]


def scenario_rule(facts: TeamFacts) -> list[Finding]:
    end = facts.last_lab_day
    if facts.scenarios_delivered > 0:
        return [
            Finding(
                Rule.SCENARIO,
                Severity.GREEN,
                "scenario.delivered",
                {"count": facts.scenarios_delivered},
            )
        ]
    if end is None:
        return [Finding(Rule.SCENARIO, Severity.GREEN, "scenario.not_started", {})]
    params = {"end": end.isoformat()}
    if facts.today > end:
        return [Finding(Rule.SCENARIO, Severity.RED, "scenario.missing", params)]
    if facts.today >= end - SCENARIO_WARNING:
        return [Finding(Rule.SCENARIO, Severity.AMBER, "scenario.due", params)]
    return [Finding(Rule.SCENARIO, Severity.GREEN, "scenario.planned", params)]


def assess(facts: TeamFacts, thresholds: Thresholds) -> list[Finding]:
    """Every rule's findings, in the order of :class:`Rule`."""
    return [
        *members_rule(facts),
        *plan_rule(facts, thresholds),
        *attendance_rule(facts, thresholds),
        *milestones_rule(facts, thresholds),
        *progress_rule(facts, thresholds),
        *scenario_rule(facts),
    ]


def iso_week(day: date) -> tuple[int, int]:
    """(ISO year, ISO week): the key of a weekly snapshot."""
    year, week, _ = day.isocalendar()
    return year, week
