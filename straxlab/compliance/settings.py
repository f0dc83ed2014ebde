"""Run-time settings of the compliance check: the thresholds and the attendance retention."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from straxlab.compliance.rules import Thresholds
from straxlab.core import settings
from straxlab.core.settings import SettingSpec

PLAN_WEEKS = settings.define(
    SettingSpec(
        "compliance.plan_weeks",
        int,
        Thresholds.plan_weeks,
        _l("Plan approved within (weeks)"),
        _l("Weeks after the first lab day within which the team's plan must be approved."),
        minimum=1,
        maximum=26,
        group="compliance",
    )
)
ATTENDANCE_PERCENT = settings.define(
    SettingSpec(
        "compliance.attendance_percent",
        int,
        Thresholds.attendance_percent,
        _l("Minimum attendance per member (%)"),
        _l("Share of the design days held so far that each member must have attended."),
        minimum=0,
        maximum=100,
        group="compliance",
    )
)
MILESTONE_GRACE_DAYS = settings.define(
    SettingSpec(
        "compliance.milestone_grace_days",
        int,
        Thresholds.milestone_grace_days,
        _l("Milestone overdue at most (days)"),
        _l("A milestone overdue for longer than this turns the team red."),
        minimum=0,
        maximum=180,
        group="compliance",
    )
)
PROGRESS_WEEKS = settings.define(
    SettingSpec(
        "compliance.progress_weeks",
        int,
        Thresholds.progress_weeks,
        _l("Progress entry at least every (weeks)"),
        _l("The longest a team may go without writing in its progress log."),
        minimum=1,
        maximum=26,
        group="compliance",
    )
)
RETENTION_MONTHS = settings.define(
    SettingSpec(
        "compliance.attendance_retention_months",
        int,
        24,
        _l("Keep attendance details for (months)"),
        _l(
            "After a programme ends, check-in times and correction reasons are erased after "
            "this many months; only present or absent per day stays, for the reports."
        ),
        minimum=1,
        maximum=120,
        group="compliance",
    )
)


def thresholds() -> Thresholds:
    """The thresholds as a manager has set them now."""
    return Thresholds(
        plan_weeks=int(settings.get(PLAN_WEEKS.key)),
        attendance_percent=int(settings.get(ATTENDANCE_PERCENT.key)),
        milestone_grace_days=int(settings.get(MILESTONE_GRACE_DAYS.key)),
        progress_weeks=int(settings.get(PROGRESS_WEEKS.key)),
    )


def retention_months() -> int:
    return int(settings.get(RETENTION_MONTHS.key))
