"""Calendar feed use cases: the feed token, who may read which feed, and the feeds themselves.

A feed is rendered in its owner's language (the token's user, not whoever fetches it: a
calendar server has no session) and holds only what that owner may see on the pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from straxlab.auth.models import User
from straxlab.auth.rules import Permission
from straxlab.config import LANGUAGES
from straxlab.core import audit
from straxlab.core.errors import NotAllowed
from straxlab.core.web import MAX_ID
from straxlab.design_teams import services as design_teams
from straxlab.design_teams.labels import DESIGN_DAY_STATUS_LABELS
from straxlab.design_teams.models import DesignTeam
from straxlab.equipment.labels import RESERVATION_STATUS_LABELS
from straxlab.equipment.models import EquipmentType
from straxlab.extensions import db
from straxlab.feeds import ical, queries, rules
from straxlab.feeds.ical import FeedEvent
from straxlab.feeds.rules import DESIGN_DAY_EVENT_STATUS, RESERVATION_EVENT_STATUS, EventStatus
from straxlab.mail.services import external_url

# --- the token ---------------------------------------------------------------------------


def issue_token(user: User, *, now: datetime) -> str:
    """Give ``user`` a new feed token and return it (to be shown once; only its hash is kept).

    An earlier token stops working at once: every link made with it then gives 404.
    """
    if not user.is_active:
        raise NotAllowed(_l("This account is not active."))
    token = rules.new_token()
    action = "user.feed_token_regenerated" if user.feed_token_hash else "user.feed_token_created"
    user.feed_token_hash = rules.token_hash(token)
    audit.record(action, actor_id=user.id, object_type="user", object_id=user.id, now=now)
    return token


def user_for_token(token: str) -> User | None:
    """The active user whose feed token this is; None for anything else."""
    if not rules.looks_like_token(token):
        return None
    return db.session.scalar(
        sa.select(User).where(
            User.feed_token_hash == rules.token_hash(token), User.is_active.is_(True)
        )
    )


# --- who may read which feed -------------------------------------------------------------


def may_read_mine(user: User) -> bool:
    return bool(user.is_active)


def may_read_team(user: User, team: DesignTeam) -> bool:
    """Whoever may read the team page: members (also former ones), its coordinator, staff
    and managers (``design_teams.services.may_read``)."""
    return user.can(Permission.TAKE_PART) and design_teams.may_read(team, user)


def may_read_lab(user: User) -> bool:
    """Every reservation and every team's lab days: lab staff and managers."""
    return user.can(Permission.VIEW_ALL_RESERVATIONS) and user.can(Permission.VIEW_ALL_TEAMS)


def may_read_type(user: User) -> bool:
    """An equipment type's reservations, with the borrowers' names: the lending desk."""
    return user.can(Permission.LEND)


@dataclass(frozen=True)
class FeedChoice:
    """A feed a user may use, in the words of the page (the reader's language)."""

    feed: rules.Feed
    subject_id: int | None
    title: str
    about: str


def feed_choices(
    user: User, *, now: datetime, team_id: int | None = None, type_id: int | None = None
) -> list[FeedChoice]:
    """The feeds ``user`` may use: their agenda, their current teams, the lab (staff and
    managers), and the team or equipment type the page was opened for, if they may read it."""
    choices = [
        FeedChoice(
            rules.Feed.MINE,
            None,
            _("My agenda"),
            _("Your reservations and the lab days of your design teams."),
        )
    ]
    teams = queries.current_teams(user.id, design_teams.today(now))
    if team_id is not None and all(t.id != team_id for t in teams):
        asked = db.session.get(DesignTeam, team_id)
        if asked is not None and may_read_team(user, asked):
            teams.append(asked)
    choices.extend(
        FeedChoice(
            rules.Feed.TEAM,
            t.id,
            _("Design team %(name)s", name=t.name),
            _("The team's lab days and milestones."),
        )
        for t in teams
    )
    if may_read_lab(user):
        choices.append(
            FeedChoice(
                rules.Feed.LAB,
                None,
                _("Lab schedule"),
                _("All lab days and all reservations, with the borrowers' names."),
            )
        )
    if type_id is not None and may_read_type(user):
        kind = db.session.get(EquipmentType, type_id)
        if kind is not None:
            choices.append(
                FeedChoice(
                    rules.Feed.EQUIPMENT_TYPE,
                    kind.id,
                    _("Reservations of %(name)s", name=kind.name),
                    _("Every reservation of this equipment, kits included, with borrowers."),
                )
            )
    return choices


# --- the feeds ---------------------------------------------------------------------------


def mine(owner: User, *, now: datetime) -> bytes:
    """The owner's reservations (any status) and the lab days of their current teams."""
    span = _Span.of(now)
    reservations = queries.my_reservations(owner.id, span.start, span.end)
    days = queries.my_design_days(
        owner.id, design_teams.today(now), span.start, span.end, span.first, span.last
    )
    with _language(owner):
        words = _Words(with_borrower=False)
        events = [*words.reservations(reservations), *words.design_days(days)]
        return _serialise(_("STRAX-lab – my agenda"), events)


def team(owner: User, design_team: DesignTeam, *, now: datetime) -> bytes:
    """A team's lab days and its milestones (all-day); no attendance, no other people."""
    if not may_read_team(owner, design_team):
        raise NotAllowed(_l("You cannot read this team."))
    span = _Span.of(now)
    days = queries.team_design_days(design_team.id, span.start, span.end, span.first, span.last)
    milestones = queries.team_milestones(design_team.id, span.first, span.last)
    with _language(owner):
        words = _Words(with_borrower=False)
        events = [
            *words.design_days(days),
            *words.milestones(milestones, design_team.id, design_team.name),
        ]
        name = _("STRAX-lab – design team %(name)s", name=design_team.name)
        return _serialise(name, events)


def lab(owner: User, *, now: datetime) -> bytes:
    """Every lab day and every reservation, with the borrowers' names (staff, managers)."""
    if not may_read_lab(owner):
        raise NotAllowed(_l("Only lab staff and managers can see the whole lab."))
    span = _Span.of(now)
    reservations = queries.all_reservations(span.start, span.end)
    days = queries.all_design_days(span.start, span.end, span.first, span.last)
    with _language(owner):
        words = _Words(with_borrower=True)
        events = [*words.reservations(reservations), *words.design_days(days)]
        return _serialise(_("STRAX-lab – lab schedule"), events)


def equipment_type(owner: User, kind: EquipmentType, *, now: datetime) -> bytes:
    """The reservations of one equipment type (and of kits holding it), with borrowers."""
    if not may_read_type(owner):
        raise NotAllowed(_l("Only lab staff can do this."))
    span = _Span.of(now)
    reservations = queries.type_reservations(kind.id, span.start, span.end)
    with _language(owner):
        words = _Words(with_borrower=True)
        events = list(words.reservations(reservations))
        return _serialise(_("STRAX-lab – reservations of %(name)s", name=kind.name), events)


# --- building blocks ---------------------------------------------------------------------


class _Span:
    """The window of a feed as instants and as local dates of the lab."""

    def __init__(self, start: datetime, end: datetime, first: date, last: date) -> None:
        self.start, self.end, self.first, self.last = start, end, first, last

    @classmethod
    def of(cls, now: datetime) -> _Span:
        start, end = rules.window(now)
        first, last = rules.window_days(start, end, design_teams.lab_zone())
        return cls(start, end, first, last)


def _language(owner: User) -> Any:
    return force_locale(owner.locale if owner.locale in LANGUAGES else LANGUAGES[0])


def _serialise(name: str, events: Iterable[FeedEvent]) -> bytes:
    return ical.to_bytes(ical.build_calendar(name, events))


def uid_host() -> str:
    """The host part of every UID: the site's host from BASE_URL (stable across renders)."""
    return urlsplit(current_app.config["BASE_URL"]).hostname or "straxlab"


def _link_maker(endpoint: str, key: str) -> Callable[[int], str]:
    """Absolute links to one kind of page, built once per feed rather than once per event.

    Building a URL costs about as much as building the event; the link is the same but for
    the id, so it is built once with a stand-in id that is then replaced.
    """
    head, _sep, tail = external_url(endpoint, **{key: MAX_ID}).rpartition(str(MAX_ID))
    return lambda value: f"{head}{value}{tail}"


class _Words:
    """The texts of a feed's events in the current (forced) language, looked up once."""

    def __init__(self, *, with_borrower: bool) -> None:
        self.host = uid_host()
        self.with_borrower = with_borrower
        self.reservation_status = {s: str(label) for s, label in RESERVATION_STATUS_LABELS.items()}
        self.day_status = {s: str(label) for s, label in DESIGN_DAY_STATUS_LABELS.items()}
        # Templates translated once; filled in per event with %.
        self.reservation_title = _("Reservation: %(what)s")
        self.reservation_for = _("Reservation: %(what)s for %(name)s")
        self.with_status = _("%(summary)s (%(status)s)")
        self.status_line = _("Status: %(status)s")
        self.purpose_line = _("Purpose: %(purpose)s")
        self.borrower_line = _("Borrower: %(name)s")
        self.desk = _("STRAX-lab, lending desk")
        self.lab = _("STRAX-lab")
        self.day_title = _("Design day: %(team)s")
        self.team_line = _("Design team: %(team)s")
        self.theme_line = _("Theme: %(theme)s")
        self.reason_line = _("Reason: %(reason)s")
        self.milestone_title = _("Milestone: %(title)s")
        self.milestone_done = _("Milestone: %(title)s (done)")
        self.done_line = _("Done on %(date)s")
        self.reservation_link = _link_maker("equipment.reservation", "reservation_id")
        self.day_link = _link_maker("days.day", "design_day_id")
        self.milestones_link = _link_maker("teamwork.milestones", "team_id")

    def reservations(self, rows: Sequence[Any]) -> Iterable[FeedEvent]:
        """One event per reservation; cancelled, rejected and expired ones stay, CANCELLED."""
        for row in rows:
            name = row.kit_name or row.type_name or ""
            what = f"{row.quantity} × {name}" if row.quantity > 1 else name
            if self.with_borrower:
                summary = self.reservation_for % {"what": what, "name": row.requester_name}
            else:
                summary = self.reservation_title % {"what": what}
            status = RESERVATION_EVENT_STATUS[row.status]
            label = self.reservation_status[row.status]
            if status is not EventStatus.CONFIRMED:
                summary = self.with_status % {"summary": summary, "status": label.lower()}
            link = self.reservation_link(row.id)
            lines = [self.status_line % {"status": label}]
            if row.purpose:
                lines.append(self.purpose_line % {"purpose": row.purpose})
            if self.with_borrower:
                lines.append(self.borrower_line % {"name": row.requester_name})
            lines.append(link)
            yield FeedEvent(
                uid=f"reservation-{row.id}@{self.host}",
                sequence=row.sequence,
                stamp=row.updated_at,
                start=row.starts_at,
                end=row.ends_at,
                status=status,
                summary=summary,
                description="\n".join(lines),
                url=link,
                location=self.desk,
            )

    def design_days(self, rows: Sequence[Any]) -> Iterable[FeedEvent]:
        """One event per design day; cancelled days stay, CANCELLED, with their reason."""
        for row in rows:
            status = DESIGN_DAY_EVENT_STATUS[row.status]
            label = self.day_status[row.status]
            summary = self.day_title % {"team": row.team_name}
            if status is EventStatus.CANCELLED:
                summary = self.with_status % {"summary": summary, "status": label.lower()}
            link = self.day_link(row.id)
            lines = [
                self.team_line % {"team": row.team_name},
                self.theme_line % {"theme": row.team_theme},
                self.status_line % {"status": label},
            ]
            if status is EventStatus.CANCELLED and row.cancel_reason:
                lines.append(self.reason_line % {"reason": row.cancel_reason})
            lines.append(link)
            yield FeedEvent(
                uid=f"designday-{row.id}@{self.host}",
                sequence=row.sequence,
                stamp=row.updated_at,
                start=row.starts_at,
                end=row.ends_at,
                status=status,
                summary=summary,
                description="\n".join(lines),
                url=link,
                location=self.lab,
            )

    def milestones(self, rows: Sequence[Any], team_id: int, team_name: str) -> Iterable[FeedEvent]:
        """One all-day event per milestone on its due date; it does not make anyone busy."""
        link = self.milestones_link(team_id)
        for row in rows:
            template = self.milestone_done if row.done_on else self.milestone_title
            lines = [self.team_line % {"team": team_name}]
            if row.done_on:
                lines.append(self.done_line % {"date": format_date(row.done_on, "long")})
            lines.append(link)
            yield FeedEvent(
                uid=f"milestone-{row.id}@{self.host}",
                sequence=rules.milestone_sequence(row.created_at, row.updated_at),
                stamp=row.updated_at,
                start=row.due_on,
                end=row.due_on + timedelta(days=1),
                status=EventStatus.CONFIRMED,
                summary=template % {"title": row.title},
                description="\n".join(lines),
                url=link,
                transparent=True,
            )
