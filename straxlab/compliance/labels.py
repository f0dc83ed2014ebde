"""The words for compliance findings, statuses and plan states, in the user's language.

Findings are stored as codes and numbers (snapshots keep them for years); they are worded
here, when shown, so a Dutch and an English reader each read their own language.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask
from flask_babel import format_date, gettext, ngettext
from flask_babel import lazy_gettext as _l

from straxlab.compliance.rules import (
    ActivityKind,
    Finding,
    PlanOutcome,
    PlanStatus,
    Rule,
    Severity,
)

SEVERITY_LABELS = {
    Severity.GREEN: _l("On track"),
    Severity.AMBER: _l("Needs attention"),
    Severity.RED: _l("Not on track"),
}
# The badge kind of the shared status_badge macro (colour plus word, never colour alone).
SEVERITY_KINDS = {Severity.GREEN: "ok", Severity.AMBER: "warn", Severity.RED: "bad"}

RULE_LABELS = {
    Rule.MEMBERS: _l("Collaboration"),
    Rule.PLAN: _l("Plan approved"),
    Rule.ATTENDANCE: _l("Attendance"),
    Rule.MILESTONES: _l("Milestones"),
    Rule.PROGRESS: _l("Progress log"),
    Rule.SCENARIO: _l("Lesson scenario"),
}

PLAN_STATUS_LABELS = {
    PlanStatus.DRAFT: _l("Draft"),
    PlanStatus.SUBMITTED: _l("Submitted"),
    PlanStatus.RETURNED: _l("Sent back"),
    PlanStatus.APPROVED: _l("Approved"),
}
PLAN_STATUS_KINDS = {
    PlanStatus.DRAFT: "off",
    PlanStatus.SUBMITTED: "warn",
    PlanStatus.RETURNED: "bad",
    PlanStatus.APPROVED: "ok",
}
OUTCOME_LABELS = {
    PlanOutcome.PENDING: _l("Waiting for a decision"),
    PlanOutcome.APPROVED: _l("Approved"),
    PlanOutcome.RETURNED: _l("Sent back"),
}
ACTIVITY_LABELS = {
    ActivityKind.WORKSHOP: _l("Workshop"),
    ActivityKind.PEER_OBSERVATION: _l("Peer observation"),
    ActivityKind.TOOL_TRIAL: _l("Trying out tools"),
    ActivityKind.OTHER: _l("Other"),
}

# Per message: what the finding means, and what the team can do about it ("" for nothing).
MESSAGES: dict[str, tuple[Any, Any]] = {
    "members.ok": (_l("%(count)s active members work together."), ""),
    "members.too_few": (
        _l("The team has %(count)s active member(s); at least %(minimum)s are needed."),
        _l("Add a colleague to the team on the team page."),
    ),
    "plan.approved": (_l("The plan was approved on %(approved_on)s."), ""),
    "plan.not_started": (
        _l("The team has no lab days yet."),
        _l("Write the plan now, so that it is approved in time."),
    ),
    "plan.due": (
        _l(
            "The plan is not approved yet (%(status)s); it must be approved by "
            "%(deadline)s, in %(days_left)s days."
        ),
        _l("Complete the plan and submit it, so that a manager can approve it in time."),
    ),
    "plan.late": (
        _l(
            "The plan should have been approved by %(deadline)s (%(weeks)s weeks after the "
            "first lab day); it is %(days_late)s days late (%(status)s)."
        ),
        _l("Submit the plan now, or ask a manager to decide on it."),
    ),
    "attendance.none_yet": (_l("No design days have been held yet."), ""),
    "attendance.ok": (
        _l(
            "Every member attended at least %(threshold)s%% of the design days held in this "
            "programme (lowest: %(lowest)s%%)."
        ),
        "",
    ),
    "attendance.low": (
        _l(
            "%(name)s attended %(present)s of the %(held)s design days held in this programme "
            "(%(percent)s%%); at least %(threshold)s%% is required."
        ),
        _l(
            "Talk with %(name)s about the lab days; ask lab staff to correct attendance that "
            "was not recorded."
        ),
    ),
    "milestones.not_started": (
        _l("No milestones yet."),
        _l("Add the plan's milestones with their due dates."),
    ),
    "milestones.none": (
        _l("The plan has no milestones, so its progress cannot be checked."),
        _l("Add the plan's milestones with their due dates."),
    ),
    "milestones.ok": (_l("%(done)s of %(total)s milestones done; none overdue."), ""),
    "milestones.overdue": (
        _l("Milestone “%(title)s” was due on %(due_on)s, %(days)s days ago."),
        _l(
            "Finish it and record it as done within %(grace)s days of its due date, or agree "
            "a new due date."
        ),
    ),
    "milestones.late": (
        _l(
            "Milestone “%(title)s” is %(days)s days overdue (due on %(due_on)s); at most "
            "%(grace)s days are allowed."
        ),
        _l("Finish it and record the evidence, or agree a new due date with the manager."),
    ),
    "progress.not_started": (_l("The progress log starts with the first lab day."), ""),
    "progress.ok": (_l("The next progress entry is due by %(due_on)s."), ""),
    "progress.ended": (
        _l("The programme has ended; the progress log was kept up to date until its last lab day."),
        "",
    ),
    "progress.due": (
        _l("A progress entry is due by %(due_on)s."),
        _l("Write in the log what the team did and learned."),
    ),
    "progress.late": (
        _l(
            "No progress entry for more than %(weeks)s weeks; one was due on %(due_on)s, "
            "%(days_late)s days ago."
        ),
        _l("Write in the log what the team did and learned."),
    ),
    "scenario.delivered": (
        _l("%(count)s lesson scenario(s) delivered and used in a course."),
        "",
    ),
    "scenario.not_started": (
        _l("No lesson scenario delivered yet; the team has no lab days yet."),
        "",
    ),
    "scenario.planned": (
        _l("No lesson scenario delivered yet; the programme runs until %(end)s."),
        _l("Deliver at least one lesson scenario in a regular course by then."),
    ),
    "scenario.due": (
        _l(
            "The programme ends on %(end)s and no lesson scenario has been delivered in a "
            "course yet."
        ),
        _l("Deliver a lesson scenario in a regular course and record it with its course."),
    ),
    "scenario.missing": (
        _l("The programme ended on %(end)s without a lesson scenario delivered in a course."),
        _l("Record the lesson scenario the team delivered, with its course."),
    ),
}

_DATE_PARAMS = frozenset({"approved_on", "deadline", "due_on", "next_due", "last_on", "end"})


def _params(finding: Finding) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in finding.params.items():
        if key in _DATE_PARAMS and isinstance(value, str):
            values[key] = format_date(date.fromisoformat(value), "d MMM y")
        elif key == "status":
            try:
                values[key] = str(PLAN_STATUS_LABELS[PlanStatus(value)]).lower()
            except ValueError:
                values[key] = str(_l("no plan yet"))
        else:
            values[key] = value
    return values


def _worded(template: Any, finding: Finding) -> str:
    if not template:
        return ""
    try:
        return str(template) % _Params(_params(finding))
    except (TypeError, ValueError):
        return str(template)


class _Params(dict[str, Any]):
    """A stored finding may lack a value (a snapshot keeps no names): show an ellipsis."""

    def __missing__(self, key: str) -> str:
        return "…"


def explain(finding: Finding) -> str:
    """What the finding means, with the numbers behind it."""
    template = MESSAGES.get(finding.message, (finding.message, ""))[0]
    return _worded(template, finding)


def advice(finding: Finding) -> str:
    """What the team can do about it ("" when nothing is needed)."""
    if finding.severity is Severity.GREEN:
        return ""
    template = MESSAGES.get(finding.message, ("", ""))[1]
    return _worded(template, finding)


def milestone_badge(
    due_on: date, done_on: date | None, on: date, grace_days: int
) -> tuple[str, str]:
    """A milestone's badge (kind, words): done, overdue (red once past the grace the rule
    allows, as the rule turns red), or due."""
    if done_on is not None:
        return "ok", gettext("Done")
    if due_on < on:
        days = (on - due_on).days
        label = ngettext("Overdue %(num)s day", "Overdue %(num)s days", days)
        return ("bad" if days > grace_days else "warn"), label
    return "off", gettext("Due")


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        severity_label=lambda severity: SEVERITY_LABELS[Severity(severity)],
        severity_kind=lambda severity: SEVERITY_KINDS[Severity(severity)],
        rule_label=lambda rule: RULE_LABELS[Rule(rule)],
        plan_status_label=lambda status: PLAN_STATUS_LABELS[PlanStatus(status)],
        plan_status_kind=lambda status: PLAN_STATUS_KINDS[PlanStatus(status)],
        plan_outcome_label=lambda outcome: OUTCOME_LABELS[PlanOutcome(outcome)],
        activity_label=lambda kind: ACTIVITY_LABELS[ActivityKind(kind)],
        explain_finding=explain,
        finding_advice=advice,
    )
