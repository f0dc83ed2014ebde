"""Read-side queries for the teacher-facing lending pages: catalogue, availability, my reservations.

Every page reads a fixed number of statements, whatever the number of rows, and the
reservation-item queries are bounded from below by ``LOOKBACK`` like the services' own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from straxlab.auth.models import User
from straxlab.auth.queries import user_names
from straxlab.core.audit import AuditEvent, history
from straxlab.equipment import rules
from straxlab.equipment.models import (
    Asset,
    Category,
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
    ReservationStatus,
)
from straxlab.extensions import db

HOME_LIMIT = 5
UPCOMING_LIMIT = 100
PAST_PER_PAGE = 20

OPEN_STATUSES = (ReservationStatus.PENDING, ReservationStatus.APPROVED)
PAST_STATUSES = (
    ReservationStatus.RETURNED,
    ReservationStatus.REJECTED,
    ReservationStatus.CANCELLED,
    ReservationStatus.EXPIRED,
)


@dataclass(frozen=True)
class Listed:
    """A reservation in a list, with what the list says about it."""

    reservation: Reservation
    overdue: bool = False


def _listed(reservations: Iterable[Any], now: datetime) -> list[Listed]:
    return [
        Listed(r, rules.is_overdue(r.status, r.ends_at, returned=False, now=now))
        for r in reservations
    ]


def _own(user_id: int) -> Any:
    # Lists show no assets: skip the items' eager load (the detail page has them).
    return (
        sa.select(Reservation)
        .options(so.lazyload(Reservation.items))
        .where(Reservation.requester_id == user_id)
    )


def teacher_home(user: User, now: datetime) -> dict[str, Any]:
    """What the home page shows about lending: the next reservations, current ones first."""
    query = (
        _own(user.id)
        .where(
            Reservation.status.in_(ACTIVE_STATUSES),
            # A request whose period is over without a pickup is not "next" any more.
            sa.or_(Reservation.status == ReservationStatus.CHECKED_OUT, Reservation.ends_at > now),
        )
        .order_by(Reservation.starts_at, Reservation.id)
        .limit(HOME_LIMIT + 1)
    )
    rows = list(db.session.scalars(query))
    return {
        "next_reservations": _listed(rows[:HOME_LIMIT], now),
        "more_reservations": len(rows) > HOME_LIMIT,
    }


def my_reservations(user: User, now: datetime, page: int) -> dict[str, Any]:
    """The user's reservations: out now, coming up, and a page of past ones."""
    current = db.session.scalars(
        _own(user.id)
        .where(Reservation.status == ReservationStatus.CHECKED_OUT)
        .order_by(Reservation.ends_at, Reservation.id)
    ).all()
    upcoming = db.session.scalars(
        _own(user.id)
        .where(Reservation.status.in_(OPEN_STATUSES), Reservation.ends_at > now)
        .order_by(Reservation.starts_at, Reservation.id)
        .limit(UPCOMING_LIMIT)
    ).all()
    past = db.paginate(
        _own(user.id)
        .where(Reservation.status.in_(PAST_STATUSES))
        .order_by(Reservation.starts_at.desc(), Reservation.id.desc()),
        page=page,
        per_page=PAST_PER_PAGE,
        error_out=False,
    )
    return {
        "current": _listed(current, now),
        "upcoming": _listed(upcoming, now),
        "upcoming_capped": len(upcoming) == UPCOMING_LIMIT,
        "past": past,
    }


# --- catalogue -------------------------------------------------------------------------------


@dataclass
class TypeEntry:
    equipment_type: EquipmentType
    usable: int
    free: int | None = None
    # Sentences about this type's own limits for the chosen period (loan period, advance).
    notes: list[str] = field(default_factory=list)

    @property
    def max_loan_days(self) -> int:
        return self.equipment_type.max_loan_days

    @property
    def max_advance_days(self) -> int:
        return self.equipment_type.max_advance_days


@dataclass
class KitEntry:
    kit: Kit
    usable: int
    free: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def needs_approval(self) -> bool:
        return any(c.equipment_type.needs_approval for c in self.kit.components)

    @property
    def qualifications(self) -> list[str]:
        found = {c.equipment_type.required_qualification for c in self.kit.components}
        return sorted(q for q in found if q)

    @property
    def turnaround_minutes(self) -> int:
        return max((c.equipment_type.turnaround_minutes for c in self.kit.components), default=0)

    @property
    def max_loan_days(self) -> int:
        return min((c.equipment_type.max_loan_days for c in self.kit.components), default=1)

    @property
    def max_advance_days(self) -> int:
        return min((c.equipment_type.max_advance_days for c in self.kit.components), default=1)

    @property
    def components(self) -> dict[int, int]:
        return {c.equipment_type_id: c.quantity for c in self.kit.components}


@dataclass
class CategoryGroup:
    category: Category
    types: list[TypeEntry]


def catalogue(
    period: Interval | None, *, now: datetime
) -> tuple[list[CategoryGroup], list[KitEntry]]:
    """Every type and kit that can be reserved, with free counts when a period is chosen."""
    types = db.session.scalars(
        sa.select(EquipmentType)
        .join(EquipmentType.category)
        .options(so.contains_eager(EquipmentType.category))
        .where(EquipmentType.is_retired.is_(False))
        .order_by(Category.name, EquipmentType.name)
    ).all()
    kits = db.session.scalars(
        sa.select(Kit).where(Kit.is_retired.is_(False)).order_by(Kit.name)
    ).all()
    kit_entries = [KitEntry(kit, usable=0) for kit in kits if kit.components]
    type_ids = {t.id for t in types} | {tid for k in kit_entries for tid in k.components}
    usable = usable_counts(type_ids)
    type_entries = [TypeEntry(t, usable=usable.get(t.id, 0)) for t in types]
    for kit_entry in kit_entries:
        kit_entry.usable = rules.kit_free_count(usable, kit_entry.components)
    if period is not None:
        checks = {(t.id, t.turnaround_minutes) for t in types}
        for kit_entry in kit_entries:
            checks |= {(tid, kit_entry.turnaround_minutes) for tid in kit_entry.components}
        free = free_counts(checks, period, now=now, usable=usable)
        for type_entry in type_entries:
            equipment_type = type_entry.equipment_type
            type_entry.free = free[(equipment_type.id, equipment_type.turnaround_minutes)]
        for kit_entry in kit_entries:
            free_by_type = {
                tid: free[(tid, kit_entry.turnaround_minutes)] for tid in kit_entry.components
            }
            kit_entry.free = rules.kit_free_count(free_by_type, kit_entry.components)
    groups: list[CategoryGroup] = []
    for type_entry in type_entries:
        category = type_entry.equipment_type.category
        if not groups or groups[-1].category.id != category.id:
            groups.append(CategoryGroup(category, []))
        groups[-1].types.append(type_entry)
    return groups, kit_entries


def usable_counts(type_ids: Iterable[int]) -> dict[int, int]:
    """Per type, how many assets can be lent at all (not in maintenance, not retired)."""
    ids = sorted(set(type_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Asset.equipment_type_id, sa.func.count(Asset.id))
        .where(Asset.equipment_type_id.in_(ids), Asset.status == AssetStatus.AVAILABLE)
        .group_by(Asset.equipment_type_id)
    )
    return {type_id: count for type_id, count in rows}


def free_counts(
    checks: Iterable[tuple[int, int]],
    period: Interval,
    *,
    now: datetime,
    usable: dict[int, int],
) -> dict[tuple[int, int], int]:
    """Free assets per ``(type id, turnaround minutes)`` for ``period``, in one query.

    An asset is busy when an active item blocks it somewhere in the loan plus that
    turnaround, or when it is out and overdue (it stays blocked until it comes back);
    the same rule as ``services.busy_asset_ids``, for all types at once.
    """
    wanted = set(checks)
    if not wanted:
        return {}
    type_ids = sorted({type_id for type_id, _ in wanted})
    widest = period.end + timedelta(minutes=max(t for _, t in wanted))
    columns = (
        ReservationItem.asset_id,
        Asset.equipment_type_id,
        ReservationItem.starts_at,
        ReservationItem.blocked_until,
        ReservationItem.checked_out_at,
    )
    base = (
        sa.select(*columns)
        .join(Asset, Asset.id == ReservationItem.asset_id)
        .where(
            Asset.equipment_type_id.in_(type_ids),
            Asset.status == AssetStatus.AVAILABLE,
            ReservationItem.is_active,
        )
    )
    # Gear that is out is found through its own small index: no bound on starts_at there.
    near = base.where(
        ReservationItem.starts_at < widest,
        ReservationItem.starts_at > period.start - LOOKBACK,
        ReservationItem.blocked_until > period.start,
    )
    overdue = base.where(
        ReservationItem.checked_out_at.is_not(None), ReservationItem.blocked_until <= now
    )
    rows = db.session.execute(near.union(overdue)).all()
    busy: dict[tuple[int, int], set[int]] = defaultdict(set)
    for asset_id, type_id, starts_at, blocked_until, checked_out_at in rows:
        still_out = checked_out_at is not None and blocked_until <= now
        for check_type, turnaround in wanted:
            if check_type != type_id:
                continue
            window_end = period.end + timedelta(minutes=turnaround)
            if starts_at < window_end and (still_out or blocked_until > period.start):
                busy[(check_type, turnaround)].add(asset_id)
    return {key: max(usable.get(key[0], 0) - len(busy.get(key, ())), 0) for key in wanted}


def qualification_kinds(user: User, on: date) -> set[str]:
    """The qualifications ``user`` has on file that are valid on ``on`` (case-folded)."""
    rows = db.session.execute(
        sa.select(Qualification.kind, Qualification.valid_until).where(
            Qualification.user_id == user.id
        )
    )
    return {
        kind.casefold() for kind, valid_until in rows if valid_until is None or valid_until >= on
    }


# --- availability grid -----------------------------------------------------------------------


@dataclass(frozen=True)
class DayInfo:
    day: date
    closed: bool
    reason: str | None
    is_today: bool
    opens_at: datetime
    closes_at: datetime
    # Before today: what was free then no longer matters, and returned loans are not shown.
    is_past: bool = False


@dataclass(frozen=True)
class Slot:
    """One reservation's hold on an asset during one day.

    ``from_time``/``until_time`` are the reservation's own pickup and return (when they fall
    inside the desk's hours that day); ``free_from`` is when the asset is free again after
    the turnaround, when that differs from the return and is still within the day.
    """

    kind: str  # "reserved", "out", or "turnaround" (only the time to get it ready again)
    from_time: str | None
    until_time: str | None
    free_from: str | None = None
    pending: bool = False
    overdue: bool = False
    reservation_id: int | None = None
    borrower: str | None = None
    mine: bool = False


@dataclass
class Cell:
    day: DayInfo
    state: str  # free, reserved, out, maintenance, closed, past
    slots: list[Slot] = field(default_factory=list)
    reserve_args: dict[str, str] | None = None


@dataclass
class GridRow:
    asset: Asset
    cells: list[Cell]


def default_week(today: date, hours: OpeningHours) -> date:
    """The Monday of the week to show first: this one, or the next when the desk does not
    open again this week (at the weekend)."""
    monday = rules.week_days(today)[0]
    rest = (today + timedelta(days=n) for n in range(7 - today.weekday()))
    if any(day.isoweekday() in hours.weekdays for day in rest):
        return monday
    return monday + timedelta(days=7)


def week_of(raw: str | None, today: date) -> date:
    """``?week=2026-12-03`` -> the Monday of that week; anything odd -> the week of ``today``."""
    try:
        day = date.fromisoformat(raw or "")
    except ValueError:
        day = today
    if not date(2000, 1, 1) <= day <= date(2100, 12, 31):
        day = today
    return rules.week_days(day)[0]


def _desk_moment(day: date, wall: time, zone: ZoneInfo) -> datetime:
    try:
        return rules.local_instant(day, wall, zone)
    except ValueError:  # a desk time inside a skipped hour: take the hour after
        return rules.local_instant(day, time((wall.hour + 1) % 24, wall.minute), zone)


def week_days(
    monday: date,
    *,
    hours: OpeningHours,
    closures: Sequence[ClosedPeriod],
    zone: ZoneInfo,
    today: date,
) -> list[DayInfo]:
    """The seven days of a week with the desk's hours and whether the lab is closed."""
    days = []
    for day in rules.week_days(monday):
        reasons = [c.reason for c in closures if c.covers(day)]
        days.append(
            DayInfo(
                day=day,
                closed=bool(reasons) or day.isoweekday() not in hours.weekdays,
                reason="; ".join(reasons) or None,
                is_today=day == today,
                is_past=day < today,
                opens_at=_desk_moment(day, hours.opens, zone),
                closes_at=_desk_moment(day, hours.closes, zone),
            )
        )
    return days


def week_items(type_id: int, window: Interval, *, now: datetime) -> list[sa.Row[Any]]:
    """Active items of one type's assets that touch ``window``, with their reservation."""
    base = (
        sa.select(
            ReservationItem.asset_id,
            ReservationItem.starts_at,
            ReservationItem.blocked_until,
            ReservationItem.checked_out_at,
            Reservation.id.label("reservation_id"),
            Reservation.starts_at.label("reservation_starts_at"),
            Reservation.ends_at.label("reservation_ends_at"),
            Reservation.status,
            Reservation.requester_id,
            User.name.label("requester_name"),
        )
        .join(Reservation, Reservation.id == ReservationItem.reservation_id)
        .join(Asset, Asset.id == ReservationItem.asset_id)
        .join(User, User.id == Reservation.requester_id)
        .where(
            Asset.equipment_type_id == type_id,
            ReservationItem.is_active,
        )
    )
    near = base.where(
        ReservationItem.starts_at < window.end,
        ReservationItem.starts_at > window.start - LOOKBACK,
        ReservationItem.blocked_until > window.start,
    )
    # Gear that is out is found through its own small index: no bound on starts_at there.
    overdue = base.where(
        ReservationItem.checked_out_at.is_not(None), ReservationItem.blocked_until <= now
    )
    rows = db.session.execute(near.union(overdue))
    return [row for row in rows if row.starts_at < window.end]


def availability_grid(
    equipment_type: EquipmentType,
    days: list[DayInfo],
    *,
    now: datetime,
    zone: ZoneInfo,
    viewer_id: int,
    show_names: bool,
) -> list[GridRow]:
    """Rows of assets (not retired) by the week's days: what each asset is doing that day.

    Borrowers' names are only filled in when ``show_names`` (staff and managers); anyone
    sees which holds are their own.
    """
    assets = db.session.scalars(
        sa.select(Asset)
        .where(Asset.equipment_type_id == equipment_type.id, Asset.status != AssetStatus.RETIRED)
        .order_by(Asset.tag, Asset.id)
    ).all()
    window = Interval(
        datetime.combine(days[0].day, time(0), tzinfo=zone),
        datetime.combine(days[-1].day + timedelta(days=1), time(0), tzinfo=zone),
    )
    by_asset: dict[int, list[sa.Row[Any]]] = defaultdict(list)
    for row in week_items(equipment_type.id, window, now=now):
        by_asset[row.asset_id].append(row)
    today = now.astimezone(zone).date()
    last_day = today + timedelta(days=equipment_type.max_advance_days)
    grid = []
    for asset in assets:
        held = sorted(by_asset.get(asset.id, []), key=lambda r: r.starts_at)
        cells = []
        for day in days:
            if day.is_past:
                cells.append(Cell(day, "past"))
                continue
            found = (
                _slot(row, day, now=now, zone=zone, viewer=viewer_id, names=show_names)
                for row in held
            )
            slots = [slot for slot in found if slot is not None]
            if any(s.kind == "out" for s in slots):
                state = "out"
            elif slots:
                state = "reserved"
            elif asset.status is AssetStatus.MAINTENANCE:
                state = "maintenance"
            elif day.closed:
                state = "closed"
            else:
                state = "free"
            cell = Cell(day, state, slots)
            if state == "free" and today <= day.day <= last_day:
                cell.reserve_args = _whole_day(day, now=now, zone=zone)
            cells.append(cell)
        grid.append(GridRow(asset, cells))
    return grid


def _slot(
    row: sa.Row[Any], day: DayInfo, *, now: datetime, zone: ZoneInfo, viewer: int, names: bool
) -> Slot | None:
    """How an item shows in one day's cell, measured against the desk's hours that day.

    Whether the asset is held that day goes by ``blocked_until`` (the return plus the
    turnaround); the times shown are the reservation's own.
    """
    overdue = row.checked_out_at is not None and row.blocked_until <= now
    blocked = None if overdue else row.blocked_until
    if row.starts_at >= day.closes_at or (blocked is not None and blocked <= day.opens_at):
        return None
    start = row.reservation_starts_at
    end = None if overdue else row.reservation_ends_at
    if row.checked_out_at is not None:
        kind = "out"
    elif end is not None and end <= day.opens_at:
        kind = "turnaround"  # the loan ended before this day; the asset is being got ready
    else:
        kind = "reserved"

    def wall(moment: datetime) -> str:
        return f"{moment.astimezone(zone):%H:%M}"

    free_from = None
    if blocked is not None and blocked < day.closes_at and (end is None or blocked > end):
        free_from = wall(blocked)
    mine = row.requester_id == viewer
    return Slot(
        kind=kind,
        from_time=wall(start) if day.opens_at < start < day.closes_at else None,
        until_time=wall(end) if end is not None and day.opens_at < end < day.closes_at else None,
        free_from=free_from,
        pending=row.status is ReservationStatus.PENDING,
        overdue=overdue,
        reservation_id=row.reservation_id if (names or mine) else None,
        borrower=row.requester_name if names else None,
        mine=mine,
    )


def _whole_day(day: DayInfo, *, now: datetime, zone: ZoneInfo) -> dict[str, str] | None:
    """Prefill for reserving a free day: from opening (or the next half hour) to closing."""
    start = day.opens_at
    if start < now:
        local = now.astimezone(zone)
        minutes = (local.minute // 30 + 1) * 30
        start = local.replace(minute=0, second=0, microsecond=0) + timedelta(minutes=minutes)
        start = start.astimezone(day.opens_at.tzinfo)
    if start >= day.closes_at:
        return None
    local_start, local_end = start.astimezone(zone), day.closes_at.astimezone(zone)
    return {
        "start_date": local_start.date().isoformat(),
        "start_time": f"{local_start:%H:%M}",
        "end_date": local_end.date().isoformat(),
        "end_time": f"{local_end:%H:%M}",
    }


# --- reservation detail ----------------------------------------------------------------------


def reservation_history(reservation: Reservation) -> tuple[list[AuditEvent], dict[int, str]]:
    """The reservation's audit events, newest first, and the names of who did them."""
    events = history("reservation", reservation.id)
    people = [e.actor_id for e in events]
    people += [reservation.decided_by_id]
    for item in reservation.items:
        people += [item.checked_out_by_id, item.returned_by_id]
    return events, user_names(people)


def active_people() -> list[tuple[int, str, str]]:
    """Everyone staff can reserve for: active accounts, by name."""
    rows = db.session.execute(
        sa.select(User.id, User.name, User.email)
        .where(User.is_active.is_(True))
        .order_by(User.name, User.id)
    )
    return [(row.id, row.name, row.email) for row in rows]
