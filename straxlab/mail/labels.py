"""The words for the kinds of mail, and which kinds can reach whom (the account page's choices).

Mail sits beside ``auth`` and does not import it: who can receive a kind of mail is named by
the permission's value (``auth.rules.Permission``), and a user is asked ``user.can(...)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l

from straxlab.mail.rules import Notice, may_opt_out


@dataclass(frozen=True)
class NoticeLabel:
    notice: Notice
    label: Any
    # One line under the checkbox: when this mail comes.
    explanation: Any
    # Mail of this kind reaches only users who hold this permission (by value).
    permission: str


# In the order of the account page: lending, then design teams, then managers' mail.
NOTICE_LABELS: tuple[NoticeLabel, ...] = (
    NoticeLabel(
        Notice.RESERVATION_DECIDED,
        _l("Reservation approved or rejected"),
        _l("When the lab staff decide on a reservation you requested."),
        "reserve",
    ),
    NoticeLabel(
        Notice.RESERVATION_CHANGED,
        _l("Reservation changed or cancelled by the lab staff"),
        _l(
            "When the lab staff change the time or the equipment of your reservation, or cancel it."
        ),
        "reserve",
    ),
    NoticeLabel(
        Notice.PICKUP_REMINDER,
        _l("Reminder to pick up equipment (the afternoon before)"),
        _l("The afternoon before your reservation starts, with the pickup time."),
        "reserve",
    ),
    NoticeLabel(
        Notice.RETURN_REMINDER,
        _l("Reminder to return equipment (the morning it is due)"),
        _l("The morning of the day you are due to bring equipment back."),
        "reserve",
    ),
    NoticeLabel(
        Notice.OVERDUE,
        _l("Overdue equipment"),
        _l("Once a day while equipment you borrowed is late."),
        "reserve",
    ),
    NoticeLabel(
        Notice.PROGRAMME_DECIDED,
        _l("Programme approved or rejected"),
        _l("When the lab staff decide on lab days you requested for your design team."),
        "take_part",
    ),
    NoticeLabel(
        Notice.LAB_DAY_CHANGED,
        _l("Lab day moved or cancelled"),
        _l("When a lab day of your design team moves to another date or is cancelled."),
        "take_part",
    ),
    NoticeLabel(
        Notice.LAB_DAY_REMINDER,
        _l("Lab day reminder (the day before)"),
        _l("The day before each lab day of your design team."),
        "take_part",
    ),
    NoticeLabel(
        Notice.PLAN_DECIDED,
        _l("Plan approved or returned"),
        _l("When a manager approves your team's professionalisation plan or sends it back."),
        "take_part",
    ),
    NoticeLabel(
        Notice.COMPLIANCE_DIGEST,
        _l("Weekly compliance digest (managers)"),
        _l("Every Monday morning: which design teams are on track and which need attention."),
        "view_compliance",
    ),
)

LABELS_BY_NOTICE: dict[Notice, NoticeLabel] = {item.notice: item for item in NOTICE_LABELS}


class _User(Protocol):
    def can(self, permission: Any) -> bool: ...


def notices_for(user: _User) -> list[NoticeLabel]:
    """The kinds of mail ``user`` may turn on or off: those that can reach them."""
    return [
        item for item in NOTICE_LABELS if may_opt_out(item.notice) and user.can(item.permission)
    ]


def notice_label(notice: Notice) -> Any:
    """The name of a kind of mail (security mail has no checkbox, but the outbox shows it)."""
    if notice in LABELS_BY_NOTICE:
        return LABELS_BY_NOTICE[notice].label
    return _l("Security (password reset)")
