"""The words and badge kinds of programme and design-day statuses, and weekday names.

A badge always shows its word; the kind (ok, warn, bad, off) only adds colour.
"""

from __future__ import annotations

from typing import Any

from babel.dates import get_day_names
from flask import Flask
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from straxlab.design_teams.rules import DesignDayStatus, ProgrammeStatus

PROGRAMME_STATUS_LABELS: dict[ProgrammeStatus, Any] = {
    ProgrammeStatus.REQUESTED: _l("Awaiting approval"),
    ProgrammeStatus.APPROVED: _l("Approved"),
    ProgrammeStatus.REJECTED: _l("Rejected"),
    ProgrammeStatus.WITHDRAWN: _l("Withdrawn"),
    ProgrammeStatus.FINISHED: _l("Finished"),
}
PROGRAMME_STATUS_KINDS: dict[ProgrammeStatus, str] = {
    ProgrammeStatus.REQUESTED: "warn",
    ProgrammeStatus.APPROVED: "ok",
    ProgrammeStatus.REJECTED: "bad",
    ProgrammeStatus.WITHDRAWN: "off",
    ProgrammeStatus.FINISHED: "off",
}
DESIGN_DAY_STATUS_LABELS: dict[DesignDayStatus, Any] = {
    DesignDayStatus.SCHEDULED: _l("Scheduled"),
    DesignDayStatus.HELD: _l("Held"),
    DesignDayStatus.CANCELLED: _l("Cancelled"),
}
DESIGN_DAY_STATUS_KINDS: dict[DesignDayStatus, str] = {
    DesignDayStatus.SCHEDULED: "ok",
    DesignDayStatus.HELD: "off",
    DesignDayStatus.CANCELLED: "bad",
}


def weekday_name(isoweekday: int, width: str = "wide") -> str:
    """``2`` -> "dinsdag" / "Tuesday" in the reader's language."""
    return str(get_day_names(width, locale=get_locale())[isoweekday - 1])


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        programme_status_label=PROGRAMME_STATUS_LABELS.__getitem__,
        programme_status_kind=PROGRAMME_STATUS_KINDS.__getitem__,
        design_day_status_label=DESIGN_DAY_STATUS_LABELS.__getitem__,
        design_day_status_kind=DESIGN_DAY_STATUS_KINDS.__getitem__,
        weekday_name=weekday_name,
    )
