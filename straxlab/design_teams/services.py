"""Design-team use cases: teams and members, programme requests and approval, design days,
attendance, and closing the lab.

Every function takes the acting user and ``now``, locks and writes through ``db.session``,
raises domain errors and never commits (the caller does). Capacity and member clashes are
checked in one place, ``place_days``, after the lab days' locks are taken (invariant 2).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from straxlab.auth.models import User
from straxlab.auth.rules import Permission
from straxlab.core import audit
from straxlab.core.db import lock_row
from straxlab.core.errors import Conflict, InvalidRequest, NotAllowed
from straxlab.core.text import printable
from straxlab.design_teams import notifications, rules
from straxlab.design_teams.models import Attendance, DesignDay, DesignTeam, Membership, Programme
from straxlab.design_teams.rules import (
    TAKING_PLACE,
    DayCheck,
    DesignDayStatus,
    Problem,
    ProgrammeStatus,
)
from straxlab.extensions import db
from straxlab.lab_calendar import services as lab_calendar
from straxlab.lab_calendar.models import Closure
from straxlab.lab_calendar.rules import (
    MAX_SERIES_SPAN,
    ClosedPeriod,
    Series,
    closure_on,
    day_window,
    weekly_series,
)
from straxlab.lab_calendar.settings import capacity, lab_hours

NAME_LENGTH = 120
THEME_LENGTH = 200
NOTE_LENGTH = 2000

PROBLEM_MESSAGES: dict[Problem, tuple[Any, str | None]] = {
    Problem.TOO_FEW_MEMBERS: (
        _l(
            "A team needs at least %(n)s active members to ask for lab days: "
            "collaboration is part of the programme."
        ),
        None,
    ),
    Problem.END_NOT_AFTER_START: (_l("The end time must be after the start time."), "ends_at"),
    Problem.OUTSIDE_LAB_HOURS: (_l("The lab is open from %(opens)s to %(closes)s."), "starts_at"),
    Problem.LAB_CLOSED_WEEKDAY: (_l("The lab has no design days on this weekday."), "weekday"),
    Problem.SECOND_CHOICE_CLOSED_WEEKDAY: (
        _l("The lab has no design days on this weekday."),
        "second_weekday",
    ),
    Problem.SECOND_CHOICE_SAME: (
        _l("Choose a different weekday as second choice, or none."),
        "second_weekday",
    ),
    Problem.FIRST_DAY_IN_PAST: (_l("The first day has already passed."), "first_day"),
    Problem.FIRST_DAY_TOO_FAR: (_l("The first day is too far ahead."), "first_day"),
    Problem.DAY_COUNT_OUT_OF_RANGE: (
        _l("A programme has between 1 and %(max)s lab days."),
        "day_count",
    ),
    Problem.NOT_ENOUGH_OPEN_DAYS: (
        _l("The lab is not open on enough of these weekdays in the next two years."),
        "day_count",
    ),
}


lab_zone = lab_calendar.lab_zone
today = lab_calendar.lab_today


def problem_error(problem: Problem) -> InvalidRequest:
    """The refusal a problem stands for, worded, with the form field it belongs to."""
    message, field = PROBLEM_MESSAGES[problem]
    hours = lab_hours()
    text = message % {
        "n": rules.MIN_ACTIVE_MEMBERS,
        "max": rules.MAX_DAY_COUNT,
        "opens": f"{hours.opens:%H:%M}",
        "closes": f"{hours.closes:%H:%M}",
    }
    return InvalidRequest(text, field=field)


def days_text(days: Iterable[date]) -> str:
    return ", ".join(format_date(day, "d MMM yyyy") for day in sorted(days))


# --- who may do what to a team ---------------------------------------------------------


def may_run(team: DesignTeam, actor: User) -> bool:
    """The coordinator and lab staff run a team (edit it, its members, its lab days)."""
    return actor.is_active and (
        team.coordinator_id == actor.id or actor.can(Permission.MANAGE_TEAMS)
    )


def is_member(team: DesignTeam, user: User, on: date) -> bool:
    return (
        db.session.scalar(
            sa.select(sa.func.count(Membership.id)).where(
                Membership.team_id == team.id,
                Membership.user_id == user.id,
                Membership.counts_on(on),
            )
        )
        or 0
    ) > 0


def readable_team_ids(actor: User) -> set[int] | None:
    """The teams ``actor`` may read, in one query; None means every team.

    Members (also former ones) and the coordinator read their team; staff and managers read
    every team.
    """
    if actor.can(Permission.VIEW_ALL_TEAMS):
        return None
    rows = db.session.execute(
        sa.select(DesignTeam.id)
        .where(DesignTeam.coordinator_id == actor.id)
        .union(sa.select(Membership.team_id).where(Membership.user_id == actor.id))
    )
    return {row[0] for row in rows}


def may_read(team: DesignTeam, actor: User) -> bool:
    readable = readable_team_ids(actor)
    return readable is None or team.id in readable


def _require(actor: User, permission: Permission) -> None:
    if not actor.can(permission):
        raise NotAllowed(_l("Only lab staff can do this."))


def _require_run(team: DesignTeam, actor: User) -> None:
    if not may_run(team, actor):
        raise NotAllowed(_l("Only the team's coordinator or lab staff can do this."))


# --- teams and members -----------------------------------------------------------------


def active_members(team_id: int, on: date) -> list[Membership]:
    return list(
        db.session.scalars(
            sa.select(Membership)
            .where(
                Membership.team_id == team_id,
                Membership.counts_on(on),
            )
            .order_by(Membership.joined_on, Membership.id)
        )
    )


def _open_membership(team_id: int, user_id: int) -> Membership | None:
    return db.session.scalar(
        sa.select(Membership).where(
            Membership.team_id == team_id,
            Membership.user_id == user_id,
            Membership.left_on.is_(None),
        )
    )


def _clean(text: str, length: int, field: str, *, required: bool = True) -> str:
    text = " ".join(printable(text).split())
    if required and not text:
        raise InvalidRequest(_l("This field is required."), field=field)
    if len(text) > length:
        raise InvalidRequest(_l("Keep this under %(n)s characters.", n=length), field=field)
    return text


def _name_taken(name: str, except_id: int | None = None) -> bool:
    query = sa.select(DesignTeam.id).where(sa.func.lower(DesignTeam.name) == name.lower())
    if except_id is not None:
        query = query.where(DesignTeam.id != except_id)
    return db.session.scalar(query.limit(1)) is not None


def create_team(
    *,
    name: str,
    theme: str,
    department: str,
    coordinator: User,
    actor: User,
    now: datetime,
) -> DesignTeam:
    """A new team; its coordinator is its first member."""
    if not actor.can(Permission.TAKE_PART):
        raise NotAllowed(_l("You cannot create design teams."))
    if coordinator.id != actor.id and not actor.can(Permission.MANAGE_TEAMS):
        raise NotAllowed(_l("You can only create a team that you coordinate yourself."))
    if not coordinator.is_active:
        raise InvalidRequest(_l("This account is not active."), field="coordinator")
    name = _clean(name, NAME_LENGTH, "name")
    if _name_taken(name):
        raise Conflict(_l("There is already a team with this name."), field="name")
    team = DesignTeam(
        name=name,
        theme=_clean(theme, THEME_LENGTH, "theme"),
        department=_clean(department, NAME_LENGTH, "department", required=False),
        coordinator_id=coordinator.id,
        created_at=now,
    )
    db.session.add(team)
    db.session.flush()
    db.session.add(Membership(team_id=team.id, user_id=coordinator.id, joined_on=today(now)))
    audit.record(
        "team.created",
        actor_id=actor.id,
        object_type="design_team",
        object_id=team.id,
        now=now,
        name=team.name,
        coordinator_id=coordinator.id,
    )
    return team


def change_team(
    team: DesignTeam,
    *,
    name: str,
    theme: str,
    department: str,
    coordinator: User,
    actor: User,
    now: datetime,
) -> None:
    """Rename a team or hand the coordination to another active member."""
    _require_run(team, actor)
    name = _clean(name, NAME_LENGTH, "name")
    if _name_taken(name, except_id=team.id):
        raise Conflict(_l("There is already a team with this name."), field="name")
    if coordinator.id != team.coordinator_id and not is_member(team, coordinator, today(now)):
        raise InvalidRequest(
            _l("The coordinator must be an active member of the team."), field="coordinator"
        )
    before = {
        "name": team.name,
        "theme": team.theme,
        "department": team.department,
        "coordinator_id": team.coordinator_id,
    }
    team.name = name
    team.theme = _clean(theme, THEME_LENGTH, "theme")
    team.department = _clean(department, NAME_LENGTH, "department", required=False)
    team.coordinator_id = coordinator.id
    after = {
        "name": team.name,
        "theme": team.theme,
        "department": team.department,
        "coordinator_id": team.coordinator_id,
    }
    changed = {key: after[key] for key in after if after[key] != before[key]}
    if changed:
        audit.record(
            "team.changed",
            actor_id=actor.id,
            object_type="design_team",
            object_id=team.id,
            now=now,
            **changed,
        )


def add_member(team: DesignTeam, user: User, *, actor: User, now: datetime) -> Membership:
    """Add someone from today; refused if they are in another team's lab day at the same time."""
    _require_run(team, actor)
    if not user.is_active:
        raise InvalidRequest(_l("This account is not active."), field="user")
    if _open_membership(team.id, user.id) is not None:
        raise Conflict(_l("%(name)s is already a member.", name=user.name), field="user")
    first = today(now)
    upcoming = _team_days(team.id, first)
    lab_calendar.lock_lab_days(day.day for day in upcoming)
    clashes = _busy_windows([user.id], {day.day for day in upcoming}, exclude_team_id=team.id)
    clash_days = [
        day.day
        for day in upcoming
        if any(
            rules.overlaps((day.starts_at, day.ends_at), window)
            for window in clashes.get(user.id, [])
        )
    ]
    if clash_days:
        raise Conflict(
            _l(
                "%(name)s is already in another team's design day on %(days)s.",
                name=user.name,
                days=days_text(clash_days),
            ),
            field="user",
        )
    membership = Membership(team_id=team.id, user_id=user.id, joined_on=first)
    db.session.add(membership)
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict(_l("%(name)s is already a member.", name=user.name), field="user") from None
    audit.record(
        "team.member_added",
        actor_id=actor.id,
        object_type="design_team",
        object_id=team.id,
        now=now,
        user_id=user.id,
    )
    return membership


def end_membership(membership: Membership, *, actor: User, now: datetime) -> None:
    """The member leaves today (by their own choice, or the coordinator or staff end it)."""
    team = membership.team
    if membership.user_id != actor.id:
        _require_run(team, actor)
    if membership.left_on is not None:
        raise Conflict(_l("This membership has already ended."))
    if membership.user_id == team.coordinator_id:
        raise Conflict(_l("Hand the coordination to another member before the coordinator leaves."))
    left = today(now)
    # Joined today and leaving today: the membership never counted.
    membership.left_on = max(left, membership.joined_on)
    audit.record(
        "team.member_left",
        actor_id=actor.id,
        object_type="design_team",
        object_id=team.id,
        now=now,
        user_id=membership.user_id,
    )


# --- capacity and clashes: the one place that decides (invariant 2) ---------------------


def _team_days(team_id: int, first: date) -> list[DesignDay]:
    return list(
        db.session.scalars(
            sa.select(DesignDay)
            .where(
                DesignDay.team_id == team_id,
                DesignDay.day >= first,
                DesignDay.status.in_(TAKING_PLACE),
            )
            .order_by(DesignDay.day)
        )
    )


def used_places(days: Iterable[date], *, exclude_team_id: int | None = None) -> dict[date, int]:
    """How many teams are in the lab on each day (teams, not design days)."""
    wanted = sorted(set(days))
    if not wanted:
        return {}
    query = (
        sa.select(DesignDay.day, sa.func.count(sa.distinct(DesignDay.team_id)))
        .where(DesignDay.day.in_(wanted), DesignDay.status.in_(TAKING_PLACE))
        .group_by(DesignDay.day)
    )
    if exclude_team_id is not None:
        query = query.where(DesignDay.team_id != exclude_team_id)
    return {day: count for day, count in db.session.execute(query)}


def _busy_windows(
    user_ids: Sequence[int], days: Iterable[date], *, exclude_team_id: int | None
) -> dict[int, list[tuple[datetime, datetime]]]:
    """Each user's design-day windows in other teams they belong to on those days."""
    wanted = sorted(set(days))
    if not user_ids or not wanted:
        return {}
    query = (
        sa.select(Membership.user_id, DesignDay.starts_at, DesignDay.ends_at)
        .join(DesignDay, DesignDay.team_id == Membership.team_id)
        .where(
            Membership.user_id.in_(user_ids),
            DesignDay.day.in_(wanted),
            DesignDay.status.in_(TAKING_PLACE),
            Membership.counts_on(DesignDay.day),
        )
    )
    if exclude_team_id is not None:
        query = query.where(DesignDay.team_id != exclude_team_id)
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for user_id, starts_at, ends_at in db.session.execute(query):
        busy[user_id].append((starts_at, ends_at))
    return dict(busy)


def check_windows(
    team: DesignTeam,
    windows: Sequence[tuple[date, datetime, datetime]],
    *,
    member_ids: Sequence[int] | None = None,
) -> list[DayCheck]:
    """Places left, closures and busy members for each wanted window of ``team``.

    Reads only; ``place_days`` locks first and then calls this.
    """
    days = [day for day, _, _ in windows]
    if not days:
        return []
    if member_ids is None:
        member_ids = [m.user_id for m in active_members(team.id, min(days))]
    closures = lab_calendar.closures_between(min(days), max(days))
    closed = {day: found.reason for day in days if (found := closure_on(day, closures)) is not None}
    return rules.check_days(
        windows,
        capacity=capacity(),
        used=used_places(days, exclude_team_id=team.id),
        busy=_busy_windows(member_ids, days, exclude_team_id=team.id),
        closed=closed,
    )


def place_days(
    team: DesignTeam, windows: Sequence[tuple[date, datetime, datetime]]
) -> list[DayCheck]:
    """Lock the lab days, then check them; the caller inserts only if every check is ok."""
    lab_calendar.lock_lab_days(day for day, _, _ in windows)
    return check_windows(team, windows)


def refusal(checks: Sequence[DayCheck], names: dict[int, str] | None = None) -> Conflict:
    """One sentence per kind of trouble, naming the days."""
    full = [c.day for c in checks if c.closed is None and c.free == 0]
    closed = [c.day for c in checks if c.closed is not None]
    busy = [c for c in checks if c.busy_members]
    parts = []
    if full:
        parts.append(str(_l("The lab is full on %(days)s.", days=days_text(full))))
    if closed:
        parts.append(str(_l("The lab is closed on %(days)s.", days=days_text(closed))))
    if busy:
        names = names or {}
        who = sorted({names.get(uid, "?") for c in busy for uid in c.busy_members})
        parts.append(
            str(
                _l(
                    "Already in another team's design day on %(days)s: %(names)s.",
                    names=", ".join(who),
                    days=days_text(c.day for c in busy),
                )
            )
        )
    return Conflict(" ".join(parts))


def _windows(
    days: Iterable[date], starts: time, ends: time
) -> list[tuple[date, datetime, datetime]]:
    zone = lab_zone()
    try:
        return [(day, *day_window(day, starts, ends, zone)) for day in days]
    except ValueError:
        # Only a time inside the spring DST gap (02:00-03:00) gets here.
        raise InvalidRequest(
            _l("This time does not exist on one of the days (clock change)."), field="starts_at"
        ) from None


# --- programme requests ------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What a programme would look like: its days with their checks and the skipped days."""

    series: Series
    checks: list[DayCheck]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


def _series(first_day: date, weekday: int, count: int) -> Series:
    closures: list[ClosedPeriod] = lab_calendar.closures_between(
        first_day, first_day + MAX_SERIES_SPAN
    )
    return weekly_series(first_day, weekday, count, closures)


def plan(
    team: DesignTeam, *, weekday: int, starts: time, ends: time, first_day: date, day_count: int
) -> Plan:
    """Preview a programme: every generated date, the places left, busy members."""
    series = _series(first_day, weekday, day_count)
    return Plan(series, check_windows(team, _windows(series.days, starts, ends)))


def request_programme(
    team: DesignTeam,
    *,
    weekday: int,
    second_weekday: int | None,
    starts: time,
    ends: time,
    first_day: date,
    day_count: int,
    note: str,
    actor: User,
    now: datetime,
) -> Programme:
    _require_run(team, actor)
    problems = rules.request_problems(
        weekday=weekday,
        second_weekday=second_weekday,
        starts=starts,
        ends=ends,
        first_day=first_day,
        day_count=day_count,
        today=today(now),
        lab=lab_hours(),
        active_members=len(active_members(team.id, today(now))),
    )
    if problems:
        raise problem_error(problems[0])
    if len(_series(first_day, weekday, day_count).days) < day_count:
        raise problem_error(Problem.NOT_ENOUGH_OPEN_DAYS)
    waiting = db.session.scalar(
        sa.select(Programme.id).where(
            Programme.team_id == team.id, Programme.status == ProgrammeStatus.REQUESTED
        )
    )
    if waiting is not None:
        raise Conflict(
            _l("This team already has a request waiting. Withdraw it first to ask again.")
        )
    note = note.strip()
    if len(note) > NOTE_LENGTH:
        raise InvalidRequest(_l("Keep this under %(n)s characters.", n=NOTE_LENGTH), field="note")
    programme = Programme(
        team_id=team.id,
        weekday=weekday,
        second_weekday=second_weekday,
        starts_at=starts,
        ends_at=ends,
        first_day=first_day,
        day_count=day_count,
        note=note,
        requested_by_id=actor.id,
        requested_at=now,
    )
    db.session.add(programme)
    db.session.flush()
    _audit_programme("programme.requested", programme, actor, now, weekday=weekday)
    return programme


def starts_on(programme: Programme, now: datetime) -> date:
    """The day a waiting programme's series begins if approved now: a request approved after
    its first day starts from today and still gets all its days."""
    return max(programme.first_day, today(now))


def lock_programme(programme: Programme) -> None:
    """Row lock and a fresh read, so two staff deciding at once take turns."""
    lock_row(programme)


def _require_requested(programme: Programme) -> None:
    if programme.status != ProgrammeStatus.REQUESTED:
        raise Conflict(_l("This request has already been dealt with."))


def withdraw(programme: Programme, *, actor: User, now: datetime) -> None:
    _require_run(programme.team, actor)
    lock_programme(programme)
    _require_requested(programme)
    programme.status = ProgrammeStatus.WITHDRAWN
    _audit_programme("programme.withdrawn", programme, actor, now)


def approve(
    programme: Programme,
    *,
    actor: User,
    now: datetime,
    drop: Iterable[date] = (),
    moves: dict[date, date] | None = None,
    weekday: int | None = None,
) -> list[DesignDay]:
    """Create every design day in one transaction, within capacity, or refuse them all.

    ``drop`` leaves named dates out; ``moves`` puts a date on another day (approve with
    exceptions); ``weekday`` may name the team's second choice instead of the first.
    The lab days are locked before they are counted, so two staff members
    approving at the same moment can never fill a day beyond the capacity.
    """
    _require(actor, Permission.APPROVE_PROGRAMMES)
    lock_programme(programme)
    _require_requested(programme)
    on = today(now)
    if len(active_members(programme.team_id, on)) < rules.MIN_ACTIVE_MEMBERS:
        raise problem_error(Problem.TOO_FEW_MEMBERS)
    moves = dict(moves or {})
    dropped = set(drop)
    if weekday is not None and weekday != programme.weekday:
        if weekday != programme.second_weekday:
            raise InvalidRequest(
                _l("Approve the first or the second choice of weekday."), field="weekday"
            )
        # The second choice becomes the programme's weekday; the first stays on record.
        programme.weekday, programme.second_weekday = weekday, programme.weekday
    series = _series(starts_on(programme, now), programme.weekday, programme.day_count)
    unknown = (dropped | set(moves)) - set(series.days)
    if unknown:
        raise InvalidRequest(
            _l("%(days)s is not one of this programme's days.", days=days_text(unknown)),
            field="exceptions",
        )
    days = sorted({moves.get(day, day) for day in series.days if day not in dropped})
    if len(days) != len(series.days) - len(dropped):
        raise InvalidRequest(
            _l("Two dates would fall on the same day."),
            field="exceptions",
        )
    for day in moves.values():
        _check_new_day(day, on)
    if not days:
        raise InvalidRequest(_l("Leave at least one day in the programme."), field="exceptions")
    windows = _windows(days, programme.starts_at, programme.ends_at)
    checks = place_days(programme.team, windows)
    own = _team_days_on(programme.team_id, days)
    if own:
        raise Conflict(
            _l("The team already has a design day on %(days)s.", days=days_text(own)),
            field="exceptions",
        )
    if not all(check.ok for check in checks):
        raise refusal(checks, _member_names(checks))
    created = [
        DesignDay(
            programme_id=programme.id,
            team_id=programme.team_id,
            day=day,
            starts_at=starts_at,
            ends_at=ends_at,
            updated_at=now,
        )
        for day, starts_at, ends_at in windows
    ]
    db.session.add_all(created)
    programme.status = ProgrammeStatus.APPROVED
    programme.decided_by_id = actor.id
    programme.decided_at = now
    _audit_programme(
        "programme.approved",
        programme,
        actor,
        now,
        days=len(created),
        weekday=programme.weekday,
        dropped=[day.isoformat() for day in sorted(dropped)],
        moved={old.isoformat(): new.isoformat() for old, new in sorted(moves.items())},
    )
    notifications.programme_decided(programme, actor=actor, now=now, days=created)
    return created


def reject(programme: Programme, *, reason: str, actor: User, now: datetime) -> None:
    _require(actor, Permission.APPROVE_PROGRAMMES)
    reason = reason.strip()
    if not reason:
        raise InvalidRequest(_l("Say why, so the team knows what to change."), field="reason")
    if len(reason) > NOTE_LENGTH:
        raise InvalidRequest(_l("Keep this under %(n)s characters.", n=NOTE_LENGTH), field="reason")
    lock_programme(programme)
    _require_requested(programme)
    programme.status = ProgrammeStatus.REJECTED
    programme.decided_by_id = actor.id
    programme.decided_at = now
    programme.decision_note = reason
    _audit_programme("programme.rejected", programme, actor, now, reason=reason)
    notifications.programme_decided(programme, actor=actor, now=now)


def _audit_programme(
    action: str, programme: Programme, actor: User, now: datetime, **details: Any
) -> None:
    audit.record(
        action,
        actor_id=actor.id,
        object_type="programme",
        object_id=programme.id,
        now=now,
        team_id=programme.team_id,
        **details,
    )


def _member_names(checks: Sequence[DayCheck]) -> dict[int, str]:
    from straxlab.auth.queries import user_names

    return user_names(uid for check in checks for uid in check.busy_members)


# --- single design days ------------------------------------------------------------------


def _check_new_day(day: date, on: date) -> None:
    if day < on:
        raise InvalidRequest(_l("%(day)s has already passed.", day=days_text([day])), field="day")
    if day.isoweekday() not in lab_hours().weekdays:
        raise InvalidRequest(
            _l("The lab has no design days on %(day)s.", day=days_text([day])), field="day"
        )


def lock_design_day(design_day: DesignDay) -> None:
    lock_row(design_day)


def _changed(design_day: DesignDay, now: datetime) -> None:
    design_day.sequence += 1
    design_day.updated_at = now


def _audit_day(
    action: str, design_day: DesignDay, actor: User | None, now: datetime, **details: Any
) -> None:
    audit.record(
        action,
        actor_id=actor.id if actor else None,
        object_type="design_day",
        object_id=design_day.id,
        now=now,
        team_id=design_day.team_id,
        day=design_day.day.isoformat(),
        **details,
    )


def _single_day(
    team_id: int,
    day: date,
    starts: time,
    ends: time,
    now: datetime,
    *,
    except_id: int | None = None,
) -> list[tuple[date, datetime, datetime]]:
    """The window of one moved or extra design day, after the checks that need no lock."""
    problems = rules.hours_problems(starts, ends, lab_hours())
    if problems:
        raise problem_error(problems[0])
    _check_new_day(day, today(now))
    windows = _windows([day], starts, ends)
    if windows[0][1] <= now:
        raise InvalidRequest(_l("This time has already passed."), field="starts_at")
    if _team_days_on(team_id, [day], except_id=except_id):
        raise Conflict(_l("The team already has a design day on this date."), field="day")
    return windows


def _team_days_on(team_id: int, days: Iterable[date], *, except_id: int | None = None) -> set[date]:
    """Which of ``days`` the team already has a design day on (one statement)."""
    query = sa.select(DesignDay.day).where(
        DesignDay.team_id == team_id,
        DesignDay.day.in_(sorted(set(days))),
        DesignDay.status.in_(TAKING_PLACE),
    )
    if except_id is not None:
        query = query.where(DesignDay.id != except_id)
    return set(db.session.scalars(query))


def cancel_day(design_day: DesignDay, *, reason: str, actor: User, now: datetime) -> None:
    """Cancel one design day (kept, with its reason, for reports and calendars)."""
    _require_run(design_day.team, actor)
    lock_design_day(design_day)
    if design_day.status not in rules.CHANGEABLE or design_day.ends_at <= now:
        raise Conflict(_l("Only a design day that has not yet taken place can be cancelled."))
    reason = _clean(reason, THEME_LENGTH, "reason")
    design_day.status = DesignDayStatus.CANCELLED
    design_day.cancel_reason = reason
    _changed(design_day, now)
    _audit_day("design_day.cancelled", design_day, actor, now, reason=reason)
    notifications.lab_days_cancelled([design_day], actor=actor, now=now)


def move_day(
    design_day: DesignDay,
    *,
    day: date,
    starts: time,
    ends: time,
    actor: User,
    now: datetime,
) -> None:
    """Move one design day to another date or time, re-checked like a new one."""
    _require_run(design_day.team, actor)
    lock_design_day(design_day)
    if design_day.status not in rules.CHANGEABLE or design_day.ends_at <= now:
        raise Conflict(_l("Only a design day that has not yet taken place can be moved."))
    windows = _single_day(design_day.team_id, day, starts, ends, now, except_id=design_day.id)
    before = (design_day.day, design_day.starts_at, design_day.ends_at)
    # place_days counts the other teams only, so this day's own place never blocks it.
    checks = place_days(design_day.team, windows)
    if not checks[0].ok:
        raise refusal(checks, _member_names(checks))
    _, design_day.starts_at, design_day.ends_at = windows[0]
    design_day.day = day
    _changed(design_day, now)
    _audit_day(
        "design_day.moved",
        design_day,
        actor,
        now,
        before=[before[0].isoformat(), before[1].isoformat(), before[2].isoformat()],
    )
    notifications.lab_day_moved(
        design_day, old_starts_at=before[1], old_ends_at=before[2], actor=actor, now=now
    )


def add_day(
    programme: Programme,
    *,
    day: date,
    starts: time,
    ends: time,
    actor: User,
    now: datetime,
) -> DesignDay:
    """An extra design day for an approved programme."""
    _require_run(programme.team, actor)
    if programme.status != ProgrammeStatus.APPROVED:
        raise Conflict(_l("Extra days can only be added to an approved programme."))
    windows = _single_day(programme.team_id, day, starts, ends, now)
    checks = place_days(programme.team, windows)
    if not checks[0].ok:
        raise refusal(checks, _member_names(checks))
    _, starts_at, ends_at = windows[0]
    design_day = DesignDay(
        programme_id=programme.id,
        team_id=programme.team_id,
        day=day,
        starts_at=starts_at,
        ends_at=ends_at,
        updated_at=now,
    )
    db.session.add(design_day)
    db.session.flush()
    _audit_day("design_day.added", design_day, actor, now)
    return design_day


def close_lab(
    *, first_day: date, last_day: date, reason: str, actor: User, now: datetime
) -> list[DesignDay]:
    """Add a closure and cancel the design days it covers (they stay, marked cancelled)."""
    _require(actor, Permission.MANAGE_LAB_CALENDAR)
    closure = lab_calendar.add_closure(
        first_day=first_day, last_day=last_day, reason=reason, actor_id=actor.id, now=now
    )
    return _cancel_for_closure(closure.first_day, closure.last_day, closure.reason, actor, now)


def change_closure(
    closure: Closure, *, first_day: date, last_day: date, reason: str, actor: User, now: datetime
) -> list[DesignDay]:
    _require(actor, Permission.MANAGE_LAB_CALENDAR)
    lab_calendar.change_closure(
        closure,
        first_day=first_day,
        last_day=last_day,
        reason=reason,
        actor_id=actor.id,
        now=now,
    )
    return _cancel_for_closure(closure.first_day, closure.last_day, closure.reason, actor, now)


def days_in(first_day: date, last_day: date) -> list[DesignDay]:
    """Design days still to come between two dates (what a closure there would cancel)."""
    return list(
        db.session.scalars(
            sa.select(DesignDay)
            .where(
                DesignDay.day >= first_day,
                DesignDay.day <= last_day,
                DesignDay.status == DesignDayStatus.SCHEDULED,
            )
            .order_by(DesignDay.day, DesignDay.starts_at)
        )
    )


def _cancel_for_closure(
    first_day: date, last_day: date, reason: str, actor: User, now: datetime
) -> list[DesignDay]:
    cancelled = [day for day in days_in(first_day, last_day) if day.ends_at > now]
    for design_day in cancelled:
        design_day.status = DesignDayStatus.CANCELLED
        design_day.cancel_reason = reason
        _changed(design_day, now)
        _audit_day("design_day.cancelled", design_day, actor, now, reason=reason, closure=True)
    notifications.lab_days_cancelled(cancelled, actor=actor, now=now, closure=True)
    return cancelled


def import_holidays(
    periods: Sequence[ClosedPeriod], *, actor: User, now: datetime
) -> tuple[list[Closure], list[DesignDay]]:
    """Import the confirmed holidays as closures and cancel the design days they cover."""
    _require(actor, Permission.MANAGE_LAB_CALENDAR)
    added = lab_calendar.import_holidays(periods, actor_id=actor.id, now=now)
    cancelled: list[DesignDay] = []
    for closure in added:
        cancelled += _cancel_for_closure(
            closure.first_day, closure.last_day, closure.reason, actor, now
        )
    return added, cancelled


def close_past_days(now: datetime) -> int:
    """Scheduled design days that are over become held; programmes with none left finish.

    Idempotent: run it as often as you like (a job, the CLI).
    """
    past = list(
        db.session.scalars(
            sa.select(DesignDay).where(
                DesignDay.status == DesignDayStatus.SCHEDULED, DesignDay.ends_at <= now
            )
        )
    )
    for design_day in past:
        design_day.status = DesignDayStatus.HELD
        # A new SEQUENCE, so that calendars take the change ("held") from the feeds.
        _changed(design_day, now)
    db.session.flush()
    still_to_come = sa.select(DesignDay.id).where(
        DesignDay.programme_id == Programme.id, DesignDay.status == DesignDayStatus.SCHEDULED
    )
    finished = db.session.execute(
        sa.update(Programme)
        .where(Programme.status == ProgrammeStatus.APPROVED, ~still_to_come.exists())
        .values(status=ProgrammeStatus.FINISHED)
    )
    return len(past) + int(getattr(finished, "rowcount", 0) or 0)


# --- attendance --------------------------------------------------------------------------


def check_in(design_day: DesignDay, *, user: User, now: datetime) -> Attendance:
    """A member marks themself present by the door's code, on the day itself only."""
    if not rules.can_check_in(design_day.day, design_day.status, now, lab_zone()):
        raise Conflict(_l("Check-in for this design day is only open on the day itself."))
    if not is_member(design_day.team, user, design_day.day):
        raise NotAllowed(_l("Only members of this team can check in to its design day."))
    attendance = find_attendance(design_day.id, user.id)
    if attendance is not None and attendance.present:
        return attendance
    if attendance is None:
        attendance = Attendance(design_day_id=design_day.id, user_id=user.id, present=True)
        db.session.add(attendance)
    attendance.present = True
    attendance.checked_in_at = now
    attendance.recorded_by_id = None
    attendance.updated_at = now
    try:
        db.session.flush()
    except IntegrityError:
        # A second scan at the same moment: the first one counts.
        raise Conflict(_l("You are already checked in.")) from None
    return attendance


def record_attendance(
    design_day: DesignDay,
    *,
    user: User,
    present: bool,
    reason: str,
    actor: User,
    now: datetime,
) -> Attendance:
    """Staff record or correct anyone's attendance; a correction needs a reason."""
    _require(actor, Permission.RECORD_ATTENDANCE)
    if design_day.status == DesignDayStatus.CANCELLED:
        raise Conflict(_l("This design day was cancelled."))
    if design_day.starts_at - timedelta(hours=1) > now:
        raise Conflict(_l("Attendance can be recorded from the design day itself on."))
    if not is_member(design_day.team, user, design_day.day):
        raise InvalidRequest(
            _l("%(name)s was not a member on that day.", name=user.name), field="user"
        )
    reason = reason.strip()
    attendance = find_attendance(design_day.id, user.id)
    if attendance is not None and not reason:
        raise InvalidRequest(_l("Say why you correct this attendance."), field="reason")
    if len(reason) > THEME_LENGTH:
        raise InvalidRequest(
            _l("Keep this under %(n)s characters.", n=THEME_LENGTH), field="reason"
        )
    before = None if attendance is None else attendance.present
    if attendance is None:
        attendance = Attendance(design_day_id=design_day.id, user_id=user.id, present=present)
        db.session.add(attendance)
    attendance.present = present
    attendance.checked_in_at = (attendance.checked_in_at or now) if present else None
    attendance.recorded_by_id = actor.id
    attendance.reason = reason
    attendance.updated_at = now
    _audit_day(
        "attendance.recorded",
        design_day,
        actor,
        now,
        user_id=user.id,
        present=present,
        before=before,
        reason=reason,
    )
    return attendance


def find_attendance(design_day_id: int, user_id: int) -> Attendance | None:
    """A member's attendance record for one design day, if there is one."""
    return db.session.scalar(
        sa.select(Attendance).where(
            Attendance.design_day_id == design_day_id, Attendance.user_id == user_id
        )
    )
