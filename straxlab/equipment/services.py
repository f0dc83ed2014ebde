"""Lending use cases: reserve, change, cancel, approve, reject, check out, take back.

Every status change is one function here. They take the acting user and ``now``, lock and
write through ``db.session``, raise domain errors, and never commit (the caller does).
Catalogue upkeep (categories, types, assets, kits) lives in ``catalogue.py``.
"""

from __future__ import annotations

import time as _time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from babel.dates import get_day_names
from flask import current_app
from flask_babel import format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from straxlab.auth.models import User
from straxlab.auth.rules import Permission
from straxlab.core import audit, settings
from straxlab.core.db import lock_row
from straxlab.core.errors import Conflict, InvalidRequest, NotAllowed
from straxlab.core.text import printable
from straxlab.equipment import notifications, rules
from straxlab.equipment.labels import RESERVATION_STATUS_LABELS
from straxlab.equipment.models import (
    Asset,
    EquipmentType,
    Kit,
    Qualification,
    Reservation,
    ReservationItem,
)
from straxlab.equipment.rules import (
    ACTIVE_STATUSES,
    LOOKBACK,
    AssetStatus,
    ClosedPeriod,
    Interval,
    OpeningHours,
    Problem,
    ReservationStatus,
)
from straxlab.equipment.settings import MAX_ASSETS_PER_BORROWER, opening_hours
from straxlab.extensions import db
from straxlab.lab_calendar import services as lab_calendar

MAX_QUANTITY = 50
# How far ahead a conflict looks for the nearest period with enough free assets.
SUGGESTION_HORIZON_DAYS = 21


# Why a request is refused, and the form field the sentence belongs to.
PROBLEM_MESSAGES: dict[Problem, tuple[Any, str | None]] = {
    Problem.START_NOT_BEFORE_END: (_l("The return time must be after the pickup time."), "ends_at"),
    Problem.START_IN_PAST: (_l("The pickup time has already passed."), "starts_at"),
    Problem.BEYOND_LOAN_LIMIT: (
        _l("No loan lasts longer than %(limit)s days."),
        "ends_at",
    ),
    Problem.TOO_LONG: (
        _l("This is longer than the loan period of %(loan_days)s days for this equipment."),
        "ends_at",
    ),
    Problem.TOO_FAR_AHEAD: (
        _l("This equipment can be reserved at most %(advance_days)s days ahead."),
        "starts_at",
    ),
    Problem.PICKUP_DESK_CLOSED: (
        _l("The lending desk is closed at the pickup time (open %(hours)s)."),
        "starts_at",
    ),
    Problem.RETURN_DESK_CLOSED: (
        _l("The lending desk is closed at the return time (open %(hours)s)."),
        "ends_at",
    ),
    Problem.PICKUP_LAB_CLOSED: (
        _l("The lab is closed on the pickup day: %(reason)s."),
        "starts_at",
    ),
    Problem.RETURN_LAB_CLOSED: (_l("The lab is closed on the return day: %(reason)s."), "ends_at"),
    Problem.OVER_QUOTA: (
        _l("You would hold %(held)s items at once; the lending rules allow %(quota)s."),
        "quantity",
    ),
    Problem.QUALIFICATION_MISSING: (
        _l(
            "This equipment requires “%(qualification)s”. Show your certificate at the "
            "lending desk so that lab staff can record it."
        ),
        None,
    ),
}


class NoFreeAssets(Conflict):
    """Not enough free assets; carries the nearest period that would work, if any."""

    def __init__(self, message: object, *, suggestion: Interval | None = None) -> None:
        super().__init__(message, field="starts_at")
        self.suggestion = suggestion


lab_zone = lab_calendar.lab_zone


def closures_between(first: date, last: date) -> list[ClosedPeriod]:
    """The lab calendar's closures: the desk is closed whenever the lab is."""
    return lab_calendar.closures_between(first, last)


def race_guard_enabled() -> bool:
    """False only in the negative control of the concurrency test (TestConfig only)."""
    return bool(current_app.config.get("LENDING_RACE_GUARD", True))


@dataclass
class Findings:
    """What the checks found: refusals and limits staff could waive."""

    problems: list[Problem] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def hard(self) -> list[Problem]:
        return [p for p in self.problems if p not in rules.OVERRIDABLE]

    @property
    def waivable(self) -> list[Problem]:
        return [p for p in self.problems if p in rules.OVERRIDABLE]

    def error(self, problem: Problem) -> InvalidRequest:
        message, field_name = PROBLEM_MESSAGES[problem]
        return InvalidRequest(_format(message, self.params), field=field_name)

    def sentences(self, problems: Iterable[Problem]) -> list[str]:
        return [str(_format(PROBLEM_MESSAGES[p][0], self.params)) for p in problems]


def _format(message: Any, params: dict[str, Any]) -> Any:
    # Lazy strings take their placeholders when formatted; keep only the ones they use.
    text = str(message)
    return text % {k: v for k, v in params.items() if f"%({k})" in text} if "%(" in text else text


def components_of(
    equipment_type: EquipmentType | None, kit: Kit | None, quantity: int
) -> dict[int, int]:
    """Which types and how many of each a request for ``quantity`` of a type or kit needs."""
    if kit is not None:
        return {c.equipment_type_id: c.quantity * quantity for c in kit.components}
    if equipment_type is None:
        raise InvalidRequest(_l("Choose one equipment type or one kit."))
    return {equipment_type.id: quantity}


def reservation_components(
    reservation: Reservation, quantity: int
) -> tuple[dict[int, int], dict[int, EquipmentType]]:
    """What ``quantity`` of this reservation's type or kit needs, and the types involved.

    A kit is taken as it was when reserved (its items), so editing the kit later does not
    silently drop or add parts of reservations already made.
    """
    if reservation.kit is None or not reservation.items:
        return (
            components_of(reservation.equipment_type, reservation.kit, quantity),
            types_of(reservation.equipment_type, reservation.kit),
        )
    per_kit: dict[int, int] = defaultdict(int)
    types: dict[int, EquipmentType] = {}
    for item in reservation.items:
        per_kit[item.asset.equipment_type_id] += 1
        types[item.asset.equipment_type_id] = item.asset.equipment_type
    each = {type_id: max(count // reservation.quantity, 1) for type_id, count in per_kit.items()}
    return {type_id: count * quantity for type_id, count in each.items()}, types


def types_of(equipment_type: EquipmentType | None, kit: Kit | None) -> dict[int, EquipmentType]:
    """The equipment types a request for a type or a kit involves, by id."""
    if kit is not None:
        return {c.equipment_type_id: c.equipment_type for c in kit.components}
    if equipment_type is None:
        raise InvalidRequest(_l("Choose one equipment type or one kit."))
    return {equipment_type.id: equipment_type}


def desk_days_text(hours: OpeningHours) -> str:
    """ "Monday to Friday", or the days one by one when they are not in a row."""
    names = get_day_names("wide", locale=get_locale())
    days = sorted(hours.weekdays)
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return str(_l("%(first)s to %(last)s", first=names[days[0] - 1], last=names[days[-1] - 1]))
    return ", ".join(names[day - 1] for day in days)


def desk_times_text(hours: OpeningHours) -> str:
    return f"{hours.opens:%H:%M}–{hours.closes:%H:%M}"


def desk_hours_text(hours: OpeningHours) -> str:
    """ "Monday to Friday 08:30–17:00", in the reader's language."""
    return f"{desk_days_text(hours)} {desk_times_text(hours)}"


def check_request(
    requester: User,
    types: dict[int, EquipmentType],
    components: dict[int, int],
    period: Interval,
    *,
    now: datetime,
    exclude_reservation_id: int | None = None,
) -> Findings:
    """Every rule a request must meet before assets are looked at."""
    findings = Findings()
    if period.end <= period.start:
        findings.problems.append(Problem.START_NOT_BEFORE_END)
        return findings
    max_loan = min(t.max_loan_days for t in types.values())
    max_advance = min(t.max_advance_days for t in types.values())
    findings.params.update(loan_days=max_loan, advance_days=max_advance, limit=rules.MAX_LOAN_DAYS)
    findings.problems += rules.period_problems(
        period, now=now, max_loan_days=max_loan, max_advance_days=max_advance
    )
    zone = lab_zone()
    closed = closures_between(
        period.start.astimezone(zone).date(), period.end.astimezone(zone).date()
    )
    hours = opening_hours()
    desk = rules.desk_problems(period, hours=hours, closures=closed, zone=zone)
    findings.problems += desk
    if desk:
        # Worded only when a message needs it: every reservation passes here.
        findings.params["hours"] = desk_hours_text(hours)
    if closed:
        findings.params["reason"] = "; ".join(sorted({c.reason for c in closed}))
    held = assets_held(requester, period, exclude_reservation_id=exclude_reservation_id)
    quota = settings.get(MAX_ASSETS_PER_BORROWER.key)
    requested = sum(components.values())
    findings.problems += rules.quota_problems(held, requested, quota)
    findings.params.update(held=held + requested, quota=quota)
    required = [t for t in types.values() if t.required_qualification]
    if not required:
        return findings
    on_file = [
        (q.kind, q.valid_until)
        for q in db.session.scalars(
            sa.select(Qualification).where(Qualification.user_id == requester.id)
        )
    ]
    last_day = period.end.astimezone(zone).date()
    for equipment_type in required:
        missing = rules.qualification_problems(
            equipment_type.required_qualification, on_file, last_day
        )
        if missing and Problem.QUALIFICATION_MISSING not in findings.problems:
            findings.problems += missing
            findings.params["qualification"] = equipment_type.required_qualification
    return findings


def assets_held(
    requester: User, period: Interval, *, exclude_reservation_id: int | None = None
) -> int:
    """The most assets the requester's active reservations hold at one moment of ``period``."""
    query = (
        sa.select(Reservation.starts_at, Reservation.ends_at, sa.func.count(ReservationItem.id))
        .join(Reservation)
        .group_by(Reservation.id, Reservation.starts_at, Reservation.ends_at)
        .where(
            Reservation.requester_id == requester.id,
            Reservation.status.in_(ACTIVE_STATUSES),
            ReservationItem.is_active,
            Reservation.starts_at < period.end,
            Reservation.ends_at > period.start,
        )
    )
    if exclude_reservation_id is not None:
        query = query.where(Reservation.id != exclude_reservation_id)
    loans = [(Interval(start, end), count) for start, end, count in db.session.execute(query)]
    return rules.peak_held(loans, period)


def _enforce(findings: Findings, actor: User, override_reason: str) -> str:
    """Raise for the first refusal; limits pass only for staff who give a reason."""
    if findings.hard:
        raise findings.error(findings.hard[0])
    if not findings.waivable:
        return ""
    reason = override_reason.strip()
    if reason and actor.can(Permission.OVERRIDE_LIMITS):
        return reason
    if actor.can(Permission.OVERRIDE_LIMITS):
        error = findings.error(findings.waivable[0])
        raise InvalidRequest(
            _l("%(problem)s To allow it anyway, give a reason.", problem=str(error)),
            field="override_reason",
        )
    raise findings.error(findings.waivable[0])


def lock_assets(type_ids: Iterable[int]) -> list[Asset]:
    """Every asset of these types, locked (PostgreSQL) so that concurrent requests take turns.

    SQLite needs no row lock: the request's write transaction began with BEGIN IMMEDIATE.
    Locking in id order keeps two requests for overlapping types from deadlocking. The types
    themselves are already in the session, so they are not joined (or locked) again.
    """
    query = (
        sa.select(Asset)
        .where(Asset.equipment_type_id.in_(sorted(set(type_ids))))
        .order_by(Asset.id)
        .options(so.lazyload(Asset.equipment_type))
        # Status as it is now, not as an earlier read in this session saw it.
        .execution_options(populate_existing=True)
    )
    if race_guard_enabled():
        query = query.with_for_update(of=Asset)
    return list(db.session.scalars(query))


def busy_asset_ids(
    type_ids: Iterable[int],
    window: Interval,
    *,
    now: datetime,
    exclude_reservation_id: int | None = None,
    session: so.Session | None = None,
) -> set[int]:
    """Assets of these types that an active item blocks somewhere in ``window``.

    Bounded from below by ``LOOKBACK`` (the longest loan plus turnaround) so the query
    reads only the items near the window, however long the history. Gear that is out
    and overdue stays blocked until it comes back.
    """
    busy, _ = _busy_and_out(
        type_ids, window, now=now, exclude=exclude_reservation_id, session=session or db.session
    )
    return busy


def _busy_and_out(
    type_ids: Iterable[int],
    window: Interval,
    *,
    now: datetime,
    exclude: int | None,
    session: so.Session,
) -> tuple[set[int], set[int]]:
    """Assets blocked in ``window``, and assets out on loan right now (one query)."""
    ids = sorted(set(type_ids))
    overlapping = (
        sa.select(ReservationItem.asset_id, sa.literal(1).label("kind"))
        .join(Asset, Asset.id == ReservationItem.asset_id)
        .where(
            Asset.equipment_type_id.in_(ids),
            ReservationItem.is_active,
            ReservationItem.starts_at < window.end,
            ReservationItem.starts_at > window.start - LOOKBACK,
            ReservationItem.blocked_until > window.start,
        )
    )
    # Out now: kind 2 when overdue (blocked until it comes back), else 3.
    out_now = (
        sa.select(
            ReservationItem.asset_id,
            sa.case((ReservationItem.blocked_until <= now, 2), else_=3).label("kind"),
        )
        .join(Asset, Asset.id == ReservationItem.asset_id)
        .where(
            Asset.equipment_type_id.in_(ids),
            ReservationItem.is_active,
            ReservationItem.checked_out_at.is_not(None),
        )
    )
    if exclude is not None:
        overlapping = overlapping.where(ReservationItem.reservation_id != exclude)
        out_now = out_now.where(ReservationItem.reservation_id != exclude)
    busy: set[int] = set()
    out: set[int] = set()
    for asset_id, kind in session.execute(overlapping.union_all(out_now)):
        if kind in (1, 2):
            busy.add(asset_id)
        if kind in (2, 3):
            out.add(asset_id)
    return busy, out


def usable_assets(type_ids: Iterable[int]) -> list[Asset]:
    """Assets that can be lent: not in maintenance, not retired; in tag order."""
    return list(
        db.session.scalars(
            sa.select(Asset)
            .where(
                Asset.equipment_type_id.in_(sorted(set(type_ids))),
                Asset.status == AssetStatus.AVAILABLE,
            )
            .order_by(Asset.tag, Asset.id)
        )
    )


def _blocked_window(period: Interval, types: dict[int, EquipmentType]) -> Interval:
    return rules.blocked_interval(period, max(t.turnaround_minutes for t in types.values()))


def _busy_for_check(
    type_ids: Iterable[int], window: Interval, *, now: datetime, exclude: int | None
) -> tuple[set[int], set[int]]:
    if race_guard_enabled():
        return _busy_and_out(type_ids, window, now=now, exclude=exclude, session=db.session)
    # Negative control: read in a separate, already finished transaction and leave time
    # for a rival to do the same, as an unguarded check-then-insert would.
    with so.Session(db.engine) as outside:
        found = _busy_and_out(type_ids, window, now=now, exclude=exclude, session=outside)
    _time.sleep(0.05)
    return found


def allocate(
    types: dict[int, EquipmentType],
    components: dict[int, int],
    period: Interval,
    *,
    now: datetime,
    assets: Sequence[Asset],
    keep: Sequence[int] = (),
    exclude_reservation_id: int | None = None,
) -> dict[int, list[Asset]]:
    """Pick free assets per type from ``assets`` (as locked by :func:`lock_assets`).

    Keeps the ``keep`` assets where they are still free, then prefers assets on the shelf
    over ones that are out now (due back in time, but a late return would endanger this).
    """
    window = _blocked_window(period, types)
    busy, out = _busy_for_check(components, window, now=now, exclude=exclude_reservation_id)
    by_type: dict[int, list[Asset]] = defaultdict(list)
    for asset in assets:
        if asset.status is AssetStatus.AVAILABLE and asset.id not in busy:
            by_type[asset.equipment_type_id].append(asset)
    chosen: dict[int, list[Asset]] = {}
    for type_id, wanted in components.items():
        free = sorted(by_type[type_id], key=lambda a: (a.id not in keep, a.id in out, a.tag, a.id))
        if len(free) < wanted:
            raise _no_free_assets(
                types,
                components,
                type_id,
                len(free),
                period,
                now=now,
                exclude=exclude_reservation_id,
            )
        chosen[type_id] = free[:wanted]
    return chosen


def _no_free_assets(
    types: dict[int, EquipmentType],
    components: dict[int, int],
    short_type_id: int,
    free: int,
    period: Interval,
    *,
    now: datetime,
    exclude: int | None,
) -> NoFreeAssets:
    suggestion = nearest_free_period(types, components, period, now=now, exclude=exclude)
    name = types[short_type_id].name
    wanted = components[short_type_id]
    if free == 0:
        message = _l("No %(name)s is free in this period.", name=name)
    else:
        message = _l(
            "Only %(free)s of the %(wanted)s × %(name)s you asked for are free in this period.",
            free=free,
            wanted=wanted,
            name=name,
        )
    if suggestion is not None:
        message = _l(
            "%(message)s The nearest period that is free: %(start)s to %(end)s.",
            message=str(message),
            start=format_datetime(suggestion.start, "EEEE d MMMM HH:mm"),
            end=format_datetime(suggestion.end, "EEEE d MMMM HH:mm"),
        )
    return NoFreeAssets(message, suggestion=suggestion)


def nearest_free_period(
    types: dict[int, EquipmentType],
    components: dict[int, int],
    period: Interval,
    *,
    now: datetime,
    exclude: int | None = None,
) -> Interval | None:
    """The first period of the same length, from the asked start on, with enough free assets."""
    zone = lab_zone()
    turnaround = timedelta(minutes=max(t.turnaround_minutes for t in types.values()))
    horizon = Interval(period.start, period.end + timedelta(days=SUGGESTION_HORIZON_DAYS))
    starts = rules.desk_starts(
        max(period.start, now), hours=opening_hours(), zone=zone, days=SUGGESTION_HORIZON_DAYS
    )
    closed = closures_between(
        period.start.astimezone(zone).date(), horizon.end.astimezone(zone).date()
    )
    hours = opening_hours()
    starts = [
        s
        for s in starts
        if not rules.desk_problems(
            Interval(s, s + period.length), hours=hours, closures=closed, zone=zone
        )
    ]
    busy = blocked_intervals(components, horizon, now=now, exclude=exclude)
    assets = usable_assets(components)
    candidate_starts = starts
    for type_id, wanted in components.items():
        per_asset = [busy.get(a.id, []) for a in assets if a.equipment_type_id == type_id]
        found = rules.next_free_start(
            per_asset,
            quantity=wanted,
            length=period.length,
            turnaround=turnaround,
            earliest=period.start,
            candidates=candidate_starts,
        )
        if found is None:
            return None
        candidate_starts = [s for s in candidate_starts if s >= found]
    if not candidate_starts:
        return None
    # Every type must fit at the same start: walk until one start suits them all.
    for start in candidate_starts:
        window = Interval(start, start + period.length + turnaround)
        if all(
            sum(
                1
                for a in assets
                if a.equipment_type_id == type_id
                and not any(window.overlaps(b) for b in busy.get(a.id, []))
            )
            >= wanted
            for type_id, wanted in components.items()
        ):
            return Interval(start, start + period.length)
    return None


def blocked_intervals(
    type_ids: Iterable[int], window: Interval, *, now: datetime, exclude: int | None = None
) -> dict[int, list[Interval]]:
    """Per asset, the blocked intervals of its active items that touch ``window``."""
    query = (
        sa.select(
            ReservationItem.asset_id,
            ReservationItem.starts_at,
            ReservationItem.blocked_until,
            ReservationItem.checked_out_at,
        )
        .join(Asset, Asset.id == ReservationItem.asset_id)
        .where(
            Asset.equipment_type_id.in_(sorted(set(type_ids))),
            ReservationItem.is_active,
            ReservationItem.starts_at < window.end,
            ReservationItem.starts_at > window.start - LOOKBACK,
        )
    )
    if exclude is not None:
        query = query.where(ReservationItem.reservation_id != exclude)
    result: dict[int, list[Interval]] = defaultdict(list)
    for asset_id, starts_at, blocked_until, checked_out_at in db.session.execute(query):
        if checked_out_at is not None and blocked_until <= now:
            blocked_until = window.end  # still out and overdue: blocked until it comes back
        if blocked_until > window.start:
            result[asset_id].append(Interval(starts_at, blocked_until))
    return result


def _pick(equipment_type: EquipmentType | None, kit: Kit | None) -> None:
    if (equipment_type is None) == (kit is None):
        raise InvalidRequest(_l("Choose one equipment type or one kit."))
    if (equipment_type is not None and equipment_type.is_retired) or (
        kit is not None
        and (kit.is_retired or any(c.equipment_type.is_retired for c in kit.components))
    ):
        raise InvalidRequest(_l("This equipment can no longer be reserved."))


def _check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidRequest(
            _l("Choose a quantity from 1 to %(max)s.", max=MAX_QUANTITY), field="quantity"
        )


def _check_purpose(purpose: str) -> str:
    # One kind of line ending; no control characters (they break calendar feeds and exports).
    purpose = printable(purpose.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not purpose:
        raise InvalidRequest(_l("Say what you will use it for."), field="purpose")
    return purpose


def request_reservation(
    requester: User,
    *,
    actor: User,
    period: Interval,
    quantity: int,
    purpose: str,
    now: datetime,
    equipment_type: EquipmentType | None = None,
    kit: Kit | None = None,
    override_reason: str = "",
) -> Reservation:
    """Reserve ``quantity`` of a type (or of a kit) for ``period``, allocating free assets.

    Goes straight to approved when no type needs approval, or when staff reserve it.
    """
    if requester.id != actor.id and not actor.can(Permission.OVERRIDE_LIMITS):
        raise NotAllowed(_l("You can only reserve for yourself."))
    _pick(equipment_type, kit)
    _check_quantity(quantity)
    purpose = _check_purpose(purpose)
    components = components_of(equipment_type, kit, quantity)
    if not components:
        raise InvalidRequest(_l("This kit has no contents yet."))
    types = types_of(equipment_type, kit)
    findings = check_request(requester, types, components, period, now=now)
    override = _enforce(findings, actor, override_reason)
    assets = lock_assets(components)
    chosen = allocate(types, components, period, now=now, assets=assets)
    needs_staff = any(types[type_id].needs_approval for type_id in components)
    staff_reserving = actor.can(Permission.APPROVE_RESERVATIONS)
    status = (
        ReservationStatus.PENDING
        if needs_staff and not staff_reserving
        else ReservationStatus.APPROVED
    )
    reservation = Reservation(
        requester=requester,
        equipment_type=equipment_type,
        kit=kit,
        quantity=quantity,
        purpose=purpose,
        starts_at=period.start,
        ends_at=period.end,
        status=status,
        created_at=now,
        created_by_id=actor.id,
        updated_at=now,
        override_reason=override,
    )
    if status is ReservationStatus.APPROVED and needs_staff:
        reservation.decided_by_id, reservation.decided_at = actor.id, now
    window_for = {
        tid: rules.blocked_interval(period, t.turnaround_minutes) for tid, t in types.items()
    }
    for type_id, assets in chosen.items():
        for asset in assets:
            reservation.items.append(
                ReservationItem(
                    asset=asset,
                    starts_at=period.start,
                    blocked_until=window_for[type_id].end,
                )
            )
    db.session.add(reservation)
    _flush_or_conflict()
    _audit(
        "reservation.requested",
        actor,
        reservation,
        now,
        status=status.value,
        assets=[item.asset.tag for item in reservation.items],
        override=override or None,
        waived=[p.value for p in findings.waivable] if override else None,
    )
    return reservation


def change_reservation(
    reservation: Reservation,
    *,
    actor: User,
    period: Interval,
    quantity: int,
    purpose: str,
    now: datetime,
    override_reason: str = "",
) -> Reservation:
    """Change the period or quantity; re-checked, keeping the same assets where they are free."""
    _may_act_on(reservation, actor)
    lock_reservation(reservation)
    if reservation.status not in {ReservationStatus.PENDING, ReservationStatus.APPROVED}:
        raise Conflict(_l("Only a reservation that has not been picked up can be changed."))
    _check_quantity(quantity)
    purpose = _check_purpose(purpose)
    components, types = reservation_components(reservation, quantity)
    findings = check_request(
        reservation.requester,
        types,
        components,
        period,
        now=now,
        exclude_reservation_id=reservation.id,
    )
    override = _enforce(findings, actor, override_reason)
    assets = lock_assets(components)
    old_period = Interval(reservation.starts_at, reservation.ends_at)
    old_quantity = reservation.quantity
    old_purpose = reservation.purpose
    kept_before = [item.asset_id for item in reservation.items]
    chosen = allocate(
        types,
        components,
        period,
        now=now,
        assets=assets,
        keep=kept_before,
        exclude_reservation_id=reservation.id,
    )
    wanted_ids = {asset.id for assets in chosen.values() for asset in assets}
    # Drop items first so that a moved item never overlaps a dropped one in the same flush.
    for item in list(reservation.items):
        if item.asset_id not in wanted_ids:
            reservation.items.remove(item)
    db.session.flush()
    current = {item.asset_id: item for item in reservation.items}
    for type_id, assets in chosen.items():
        window = rules.blocked_interval(period, types[type_id].turnaround_minutes)
        for asset in assets:
            item = current.get(asset.id)
            if item is None:
                reservation.items.append(
                    ReservationItem(asset=asset, starts_at=window.start, blocked_until=window.end)
                )
            else:
                item.starts_at, item.blocked_until = window.start, window.end
    reservation.starts_at, reservation.ends_at = period.start, period.end
    reservation.quantity, reservation.purpose = quantity, purpose
    touch(reservation, now)
    if override:
        reservation.override_reason = override
    back_to_staff = (
        reservation.status is ReservationStatus.APPROVED
        and any(t.needs_approval for t in types.values())
        and not actor.can(Permission.APPROVE_RESERVATIONS)
        and rules.needs_new_approval(old_period, period, old_quantity, quantity)
    )
    if back_to_staff:
        _move(reservation, ReservationStatus.PENDING, now)
        reservation.decided_by_id, reservation.decided_at = None, None
    _flush_or_conflict()
    _audit(
        "reservation.changed",
        actor,
        reservation,
        now,
        period=[old_period.start.isoformat(), old_period.end.isoformat()],
        quantity=old_quantity,
        kept=sorted(set(kept_before) & wanted_ids),
        back_to_pending=back_to_staff or None,
        override=override or None,
    )
    notifications.reservation_changed(
        reservation,
        actor=actor,
        now=now,
        old_period=old_period,
        old_quantity=old_quantity,
        old_purpose=old_purpose,
    )
    return reservation


def cancel_reservation(
    reservation: Reservation, *, actor: User, now: datetime, reason: str = ""
) -> Reservation:
    """The requester (or staff) calls it off before pickup; the assets are free at once."""
    _may_act_on(reservation, actor)
    lock_reservation(reservation)
    _move(reservation, ReservationStatus.CANCELLED, now)
    _release(reservation)
    _audit("reservation.cancelled", actor, reservation, now, reason=reason.strip() or None)
    notifications.reservation_cancelled(reservation, actor=actor, now=now, reason=reason)
    return reservation


def approve(reservation: Reservation, *, actor: User, now: datetime, note: str = "") -> Reservation:
    """Staff approve a pending request; re-checked in this transaction, replacing any asset
    that has since gone to maintenance or is still out with someone else."""
    _staff_only(actor, Permission.APPROVE_RESERVATIONS)
    lock_reservation(reservation)
    if reservation.status is not ReservationStatus.PENDING:
        raise Conflict(_l("This request has already been dealt with."))
    if reservation.starts_at <= now:
        raise Conflict(
            _l("The pickup time of this request has passed; it can no longer be approved.")
        )
    components, types = reservation_components(reservation, reservation.quantity)
    assets = lock_assets(components)
    period = Interval(reservation.starts_at, reservation.ends_at)
    current = [item.asset_id for item in reservation.items]
    chosen = allocate(
        types,
        components,
        period,
        now=now,
        assets=assets,
        keep=current,
        exclude_reservation_id=reservation.id,
    )
    replaced = _reassign(reservation, types, chosen, period)
    _move(reservation, ReservationStatus.APPROVED, now)
    reservation.decided_by_id, reservation.decided_at = actor.id, now
    reservation.decision_note = note.strip()
    _flush_or_conflict()
    _audit(
        "reservation.approved",
        actor,
        reservation,
        now,
        note=note.strip() or None,
        replaced=replaced or None,
    )
    notifications.reservation_decided(reservation, actor=actor, now=now)
    return reservation


def reject(reservation: Reservation, *, actor: User, now: datetime, reason: str) -> Reservation:
    """Staff turn a pending request down, saying why."""
    _staff_only(actor, Permission.APPROVE_RESERVATIONS)
    lock_reservation(reservation)
    reason = reason.strip()
    if not reason:
        raise InvalidRequest(_l("Give the reason for rejecting, for the teacher."), field="reason")
    if reservation.status is not ReservationStatus.PENDING:
        raise Conflict(_l("This request has already been dealt with."))
    _move(reservation, ReservationStatus.REJECTED, now)
    reservation.decided_by_id, reservation.decided_at = actor.id, now
    reservation.decision_note = reason
    _release(reservation)
    _audit("reservation.rejected", actor, reservation, now, reason=reason)
    notifications.reservation_decided(reservation, actor=actor, now=now)
    return reservation


def check_out(
    reservation: Reservation, *, actor: User, now: datetime, condition: str = ""
) -> Reservation:
    """Hand the reserved gear out at the desk, all of it at once (a kit goes as one)."""
    _staff_only(actor, Permission.LEND)
    lock_reservation(reservation)
    period = Interval(reservation.starts_at, reservation.ends_at)
    if not rules.can_check_out(reservation.status, period, now):
        if reservation.status is ReservationStatus.PENDING:
            raise Conflict(_l("This request has not been approved yet."))
        if reservation.status is not ReservationStatus.APPROVED:
            raise Conflict(_l("This reservation cannot be handed out any more."))
        if now < period.start:
            raise Conflict(
                _l(
                    "It is too early: this reservation can be picked up from one hour "
                    "before its start."
                )
            )
        raise Conflict(_l("The period of this reservation is over."))
    out_elsewhere = _assets_out_elsewhere(reservation)
    unusable = [
        i.asset.tag for i in reservation.items if i.asset.status is not AssetStatus.AVAILABLE
    ]
    blocked = sorted(set(out_elsewhere) | set(unusable))
    if blocked:
        raise Conflict(
            _l(
                "%(tags)s cannot be handed out: still out on another loan or in maintenance. "
                "Swap it for another free one first.",
                tags=", ".join(blocked),
            )
        )
    if now < period.start:
        _claim_early(reservation, now)
    condition = condition.strip()
    for item in reservation.items:
        item.checked_out_at, item.checked_out_by_id, item.condition_out = now, actor.id, condition
    _move(reservation, ReservationStatus.CHECKED_OUT, now)
    _audit(
        "reservation.checked_out",
        actor,
        reservation,
        now,
        condition=condition or None,
        assets=[i.asset.tag for i in reservation.items],
    )
    return reservation


def _claim_early(reservation: Reservation, now: datetime) -> None:
    """Picked up before the reserved start: the items hold their assets from now on."""
    type_ids = {item.asset.equipment_type_id for item in reservation.items}
    lock_assets(type_ids)
    busy, _ = _busy_and_out(
        type_ids,
        Interval(now, reservation.starts_at),
        now=now,
        exclude=reservation.id,
        session=db.session,
    )
    taken = sorted(item.asset.tag for item in reservation.items if item.asset_id in busy)
    if taken:
        raise Conflict(
            _l(
                "%(tags)s is reserved by someone else until the pickup time: hand it out at "
                "%(time)s, or swap it for another free one.",
                tags=", ".join(taken),
                time=format_datetime(reservation.starts_at, "HH:mm"),
            )
        )
    for item in reservation.items:
        item.starts_at = now
    _flush_or_conflict()


def _assets_out_elsewhere(reservation: Reservation) -> list[str]:
    asset_ids = [item.asset_id for item in reservation.items]
    rows = db.session.scalars(
        sa.select(Asset.tag)
        .join(ReservationItem, ReservationItem.asset_id == Asset.id)
        .where(
            ReservationItem.asset_id.in_(asset_ids),
            ReservationItem.is_active,
            ReservationItem.checked_out_at.is_not(None),
            ReservationItem.reservation_id != reservation.id,
        )
    )
    return list(rows)


def take_back(
    reservation: Reservation,
    *,
    actor: User,
    now: datetime,
    asset_ids: Iterable[int],
    condition: str = "",
    damaged_asset_ids: Iterable[int] = (),
    damage_report: str = "",
    card_wiped: bool | None = None,
) -> Reservation:
    """Take gear back at the desk. Returned assets are free from this moment; damaged ones go
    to maintenance, and so do recording devices whose memory card was not confirmed wiped
    (recordings of students are personal data: nobody borrows them before staff wipe it).
    The reservation is returned once everything is back."""
    _staff_only(actor, Permission.LEND)
    lock_reservation(reservation)
    if reservation.status is not ReservationStatus.CHECKED_OUT:
        raise Conflict(_l("This reservation is not out on loan."))
    outstanding = {i.asset_id: i for i in reservation.items if i.returned_at is None}
    returning = [outstanding[a] for a in dict.fromkeys(asset_ids) if a in outstanding]
    if not returning:
        raise InvalidRequest(_l("Tick at least one item that has come back."), field="asset_ids")
    damaged = set(damaged_asset_ids)
    if damaged - {i.asset_id for i in returning}:
        raise InvalidRequest(
            _l("Only items that are coming back now can be reported damaged."), field="damaged"
        )
    report = damage_report.strip()
    if damaged and not report:
        raise InvalidRequest(_l("Describe the damage."), field="damage_report")
    if report and not damaged:
        if len(returning) == 1:
            damaged = {returning[0].asset_id}
        else:
            raise InvalidRequest(_l("Tick which items are damaged."), field="damaged")
    condition = condition.strip()
    for item in returning:
        item.returned_at, item.returned_by_id, item.condition_in = now, actor.id, condition
        item.is_active = False
        notes = []
        if item.asset_id in damaged:
            item.damage_report = report
            notes.append(report)
        if item.asset.equipment_type.holds_recordings:
            item.card_wiped = bool(card_wiped)
            if not card_wiped:
                notes.append(str(_l("Memory card not confirmed wiped.")))
        if notes:
            _to_maintenance(item.asset, " ".join(notes), actor=actor, now=now)
    if all(i.returned_at is not None for i in reservation.items):
        _move(reservation, ReservationStatus.RETURNED, now)
    touch(reservation, now)
    _audit(
        "reservation.taken_back",
        actor,
        reservation,
        now,
        assets=[i.asset.tag for i in returning],
        damaged=sorted(i.asset.tag for i in returning if i.asset_id in damaged) or None,
        card_not_wiped=sorted(
            i.asset.tag
            for i in returning
            if i.asset.equipment_type.holds_recordings and not card_wiped
        )
        or None,
        condition=condition or None,
        card_wiped=card_wiped,
    )
    return reservation


def _to_maintenance(asset: Asset, note: str, *, actor: User, now: datetime) -> None:
    """Send an asset to maintenance, adding ``note`` to its condition note, on its history."""
    old = asset.status
    asset.status = AssetStatus.MAINTENANCE
    asset.condition_note = f"{asset.condition_note}\n{note}".strip()
    audit.record(
        "asset.status_changed",
        actor_id=actor.id,
        object_type="asset",
        object_id=asset.id,
        now=now,
        old=old.value,
        new=AssetStatus.MAINTENANCE.value,
        note=note,
    )


def swap_asset(
    reservation: Reservation, item: ReservationItem, *, actor: User, now: datetime
) -> Asset:
    """Give a reservation another free asset of the same type in place of ``item``'s one."""
    _staff_only(actor, Permission.LEND)
    lock_reservation(reservation)
    if item.reservation_id != reservation.id or item.checked_out_at is not None:
        raise Conflict(_l("Only an item that has not been handed out can be swapped."))
    if reservation.status not in {ReservationStatus.PENDING, ReservationStatus.APPROVED}:
        raise Conflict(_l("Only a reservation that has not been picked up can be changed."))
    type_id = item.asset.equipment_type_id
    types = {type_id: item.asset.equipment_type}
    assets = lock_assets([type_id])
    period = Interval(reservation.starts_at, reservation.ends_at)
    window = _blocked_window(period, types)
    busy, out = _busy_and_out([type_id], window, now=now, exclude=None, session=db.session)
    busy |= {i.asset_id for i in reservation.items}
    spare = next(
        (
            a
            for a in sorted(assets, key=lambda a: (a.id in out, a.tag, a.id))
            if a.status is AssetStatus.AVAILABLE and a.id not in busy
        ),
        None,
    )
    if spare is None:
        raise _no_free_assets(types, {type_id: 1}, type_id, 0, period, now=now, exclude=None)
    old_tag = item.asset.tag
    item.asset = spare
    touch(reservation, now)
    _flush_or_conflict()
    _audit("reservation.asset_swapped", actor, reservation, now, old=old_tag, new=spare.tag)
    return spare


def expire_stale(*, now: datetime) -> int:
    """Expire what can no longer happen, freeing its assets: requests nobody approved
    before their pickup time, and approved reservations nobody picked up before their end."""
    stale = db.session.scalars(
        sa.select(Reservation).where(
            sa.or_(
                sa.and_(
                    Reservation.status == ReservationStatus.PENDING,
                    Reservation.starts_at <= now,
                ),
                sa.and_(
                    Reservation.status == ReservationStatus.APPROVED,
                    Reservation.ends_at <= now,
                ),
            )
        )
    ).all()
    for reservation in stale:
        _move(reservation, ReservationStatus.EXPIRED, now)
        _release(reservation)
        audit.record(
            "reservation.expired",
            actor_id=None,
            object_type="reservation",
            object_id=reservation.id,
            now=now,
        )
    return len(stale)


def _reassign(
    reservation: Reservation,
    types: dict[int, EquipmentType],
    chosen: dict[int, list[Asset]],
    period: Interval,
) -> list[str]:
    wanted = {asset.id: asset for assets in chosen.values() for asset in assets}
    replaced = [item.asset.tag for item in reservation.items if item.asset_id not in wanted]
    if not replaced:
        return []
    for item in list(reservation.items):
        if item.asset_id not in wanted:
            reservation.items.remove(item)
    db.session.flush()
    have = {item.asset_id for item in reservation.items}
    for type_id, assets in chosen.items():
        window = rules.blocked_interval(period, types[type_id].turnaround_minutes)
        for asset in assets:
            if asset.id not in have:
                reservation.items.append(
                    ReservationItem(asset=asset, starts_at=window.start, blocked_until=window.end)
                )
    return replaced


def _move(reservation: Reservation, target: ReservationStatus, now: datetime) -> None:
    if not rules.can_move(reservation.status, target):
        raise Conflict(
            _l(
                "A reservation that is %(status)s cannot become %(target)s.",
                status=str(RESERVATION_STATUS_LABELS[reservation.status]).lower(),
                target=str(RESERVATION_STATUS_LABELS[target]).lower(),
            )
        )
    reservation.status = target
    touch(reservation, now)


def touch(reservation: Reservation, now: datetime) -> None:
    """Record a change: calendar apps replace their copy only when ``SEQUENCE`` grows."""
    reservation.updated_at = now
    reservation.sequence += 1


def _release(reservation: Reservation) -> None:
    for item in reservation.items:
        item.is_active = False


def lock_reservation(reservation: Reservation) -> None:
    """Lock the reservation's row and re-read it, with its items, before changing its status.

    Two people acting on one reservation at once (a teacher cancels while staff approve)
    then take turns, and the second sees what the first did. On SQLite the request's
    BEGIN IMMEDIATE already serialises them.
    """
    lock_row(reservation)


def _may_act_on(reservation: Reservation, actor: User) -> None:
    if reservation.requester_id != actor.id and not actor.can(Permission.APPROVE_RESERVATIONS):
        raise NotAllowed(_l("This is someone else's reservation."))


def _staff_only(actor: User, permission: Permission) -> None:
    if not actor.can(permission):
        raise NotAllowed(_l("Only lab staff can do this."))


def _flush_or_conflict() -> None:
    """Flush; the exclusion constraint's refusal (SQLSTATE 23P01) is the same conflict.

    No savepoint: after any domain error the caller rolls the whole transaction back.
    """
    try:
        db.session.flush()
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) == "23P01":
            raise Conflict(
                _l(
                    "Someone else has just reserved this equipment for an overlapping period. "
                    "Try again: another asset or period may be free."
                ),
                field="starts_at",
            ) from None
        raise


def _audit(
    action: str, actor: User, reservation: Reservation, now: datetime, **details: Any
) -> None:
    audit.record(
        action,
        actor_id=actor.id,
        object_type="reservation",
        object_id=reservation.id,
        now=now,
        **{k: v for k, v in details.items() if v is not None},
    )
