"""Read-side queries for the lending desk, the approval queue and the staff home page.

Nothing here writes. Every function issues a fixed number of SQL statements, however many
rows it returns (tests count them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from straxlab.auth.models import User
from straxlab.core import settings
from straxlab.equipment import rules, services
from straxlab.equipment.models import (
    Asset,
    EquipmentType,
    Qualification,
    Reservation,
    ReservationItem,
)
from straxlab.equipment.rules import (
    ACTIVE_STATUSES,
    LOOKBACK,
    MAX_LOAN_DAYS,
    AssetStatus,
    Interval,
    ReservationStatus,
)
from straxlab.equipment.settings import MAX_ASSETS_PER_BORROWER
from straxlab.extensions import db

# The default window of the all-reservations list: from today, four weeks.
DEFAULT_LIST_DAYS = 28
# An approved pickup nobody came for this long after its time shows as not picked up.
MISSED_PICKUP_AFTER = timedelta(minutes=30)
# Reservations whose asset cannot go out: pending or approved, none of it handed out yet.
WAITING_STATUSES = (ReservationStatus.PENDING, ReservationStatus.APPROVED)


def is_overdue(reservation: Reservation, now: datetime) -> bool:
    """Out on loan and past its return time."""
    return rules.is_overdue(reservation.status, reservation.ends_at, False, now)


def can_check_out(reservation: Reservation, now: datetime) -> bool:
    period = Interval(reservation.starts_at, reservation.ends_at)
    return rules.can_check_out(reservation.status, period, now)


def is_missed_pickup(reservation: Reservation, now: datetime) -> bool:
    """Approved, not picked up, and its pickup time passed more than half an hour ago."""
    return (
        reservation.status is ReservationStatus.APPROVED
        and reservation.starts_at + MISSED_PICKUP_AFTER <= now
        and now < reservation.ends_at
    )


def day_bounds(day: date) -> Interval:
    """The instants of one lab day, midnight to midnight on the lab's wall clock."""
    zone = services.lab_zone()
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return Interval(start, end)


# The desk today -------------------------------------------------------------------------


@dataclass(frozen=True)
class DeskRow:
    """One pickup or one return for the desk's list."""

    kind: str  # "pickup" or "return"
    at: datetime
    reservation: Reservation
    overdue: bool = False
    ready: bool = False  # a pickup that can be handed out now
    missed: bool = False  # a pickup whose time passed a while ago: nobody came

    @property
    def outstanding(self) -> list[ReservationItem]:
        """The items this row is about: all for a pickup, those not back yet for a return."""
        items = self.reservation.items
        return [i for i in items if i.returned_at is None] if self.kind == "return" else items


@dataclass(frozen=True)
class DeskToday:
    day: date
    rows: list[DeskRow]
    pending_count: int

    @property
    def overdue_count(self) -> int:
        return sum(1 for row in self.rows if row.overdue)


def today_at_desk(now: datetime) -> DeskToday:
    """Today's pickups and returns, overdue returns first, then in time order."""
    zone = services.lab_zone()
    day = now.astimezone(zone).date()
    bounds = day_bounds(day)
    # Approved and not picked up yet: due today, or due earlier and still in its period.
    pickups = db.session.scalars(
        sa.select(Reservation)
        .where(
            Reservation.status == ReservationStatus.APPROVED,
            Reservation.starts_at < bounds.end,
            Reservation.starts_at > bounds.start - timedelta(days=MAX_LOAN_DAYS),
            Reservation.ends_at > now,
        )
        .order_by(Reservation.starts_at, Reservation.id)
    ).all()
    # Out on loan and due back today, or overdue (however long ago).
    returns = db.session.scalars(
        sa.select(Reservation)
        .where(
            Reservation.status == ReservationStatus.CHECKED_OUT,
            Reservation.ends_at < bounds.end,
        )
        .order_by(Reservation.ends_at, Reservation.id)
    ).all()
    rows = [
        DeskRow(
            "pickup",
            r.starts_at,
            r,
            ready=can_check_out(r, now),
            missed=is_missed_pickup(r, now),
        )
        for r in pickups
    ] + [DeskRow("return", r.ends_at, r, overdue=is_overdue(r, now)) for r in returns]
    rows.sort(key=lambda row: (not row.overdue, row.at, row.kind != "return", row.reservation.id))
    return DeskToday(day=day, rows=rows, pending_count=pending_count())


def pending_count() -> int:
    """Requests waiting for a decision (as many as the approval queue lists)."""
    query = sa.select(sa.func.count(Reservation.id)).where(
        Reservation.status == ReservationStatus.PENDING
    )
    return db.session.scalar(query) or 0


def desk_today(now: datetime) -> dict[str, Any]:
    """What the desk (staff home page) shows today, and how many reservations need a swap."""
    return {"desk": today_at_desk(now), "endangered_count": len(endangered(now))}


# Reservations endangered by overdue gear or gear in maintenance ------------------------


@dataclass(frozen=True)
class Endangered:
    """A reservation item whose asset cannot go out as things stand: the asset is out and
    overdue (``overdue`` is that loan), or it is in maintenance or retired (``overdue`` is None).
    """

    asset: Asset
    overdue: Reservation | None
    next_item: ReservationItem

    @property
    def next(self) -> Reservation:
        return self.next_item.reservation

    @property
    def unusable(self) -> bool:
        """The asset is in maintenance or retired (rather than out and overdue)."""
        return self.overdue is None


def _waiting_items(now: datetime) -> sa.Select[tuple[ReservationItem]]:
    """Active items of reservations that are waiting for their pickup and not over yet."""
    return (
        sa.select(ReservationItem)
        .join(Reservation, Reservation.id == ReservationItem.reservation_id)
        .options(so.contains_eager(ReservationItem.reservation))
        .where(
            ReservationItem.is_active,
            ReservationItem.checked_out_at.is_(None),
            ReservationItem.starts_at > now - LOOKBACK,
            Reservation.status.in_(WAITING_STATUSES),
            Reservation.ends_at > now,
        )
        .order_by(ReservationItem.starts_at, ReservationItem.id)
    )


def endangered(now: datetime) -> list[Endangered]:
    """Reservations that need another asset: for every overdue asset the next reservation
    waiting for it, and every waiting reservation that holds an asset in maintenance or retired.
    """
    overdue_items = db.session.scalars(
        sa.select(ReservationItem)
        .join(Reservation, Reservation.id == ReservationItem.reservation_id)
        .options(so.contains_eager(ReservationItem.reservation))
        .where(
            Reservation.status == ReservationStatus.CHECKED_OUT,
            Reservation.ends_at <= now,
            ReservationItem.checked_out_at.is_not(None),
            ReservationItem.returned_at.is_(None),
        )
    ).all()
    by_asset = {item.asset_id: item for item in overdue_items}
    unusable = (AssetStatus.MAINTENANCE, AssetStatus.RETIRED)
    query = _waiting_items(now).join(Asset, Asset.id == ReservationItem.asset_id)
    if by_asset:
        query = query.where(
            sa.or_(Asset.status.in_(unusable), ReservationItem.asset_id.in_(sorted(by_asset)))
        )
    else:
        query = query.where(Asset.status.in_(unusable))
    found: dict[int, Endangered] = {}
    next_of_overdue: set[int] = set()
    for item in db.session.scalars(query).unique():
        if item.asset.status in unusable:
            found[item.id] = Endangered(item.asset, None, item)
        elif item.asset_id in by_asset and item.asset_id not in next_of_overdue:
            # Only the next reservation waits for the overdue asset; later ones may get it back.
            next_of_overdue.add(item.asset_id)
            found[item.id] = Endangered(item.asset, by_asset[item.asset_id].reservation, item)
    return sorted(
        found.values(), key=lambda e: (e.next_item.starts_at, e.asset.tag, e.next_item.id)
    )


def holders(asset_ids: Sequence[int], now: datetime) -> list[ReservationItem]:
    """The waiting reservations' items that hold these assets, earliest pickup first."""
    if not asset_ids:
        return []
    query = _waiting_items(now).where(ReservationItem.asset_id.in_(sorted(set(asset_ids))))
    return list(db.session.scalars(query).unique())


# One asset, as the QR label shows it ----------------------------------------------------


@dataclass(frozen=True)
class AssetState:
    asset: Asset
    out_item: ReservationItem | None
    current: Reservation | None
    next: Reservation | None
    action: str | None  # "check_out", "check_in" or None

    @property
    def usable(self) -> bool:
        return self.asset.status is AssetStatus.AVAILABLE


def asset_state(asset: Asset, now: datetime) -> AssetState:
    """Who has this asset, who is next, and what the desk can do with it now."""
    out_item = db.session.scalars(
        sa.select(ReservationItem).where(
            ReservationItem.asset_id == asset.id,
            ReservationItem.is_active,
            ReservationItem.checked_out_at.is_not(None),
            ReservationItem.returned_at.is_(None),
        )
    ).first()
    upcoming = db.session.scalars(
        sa.select(ReservationItem)
        .join(Reservation, Reservation.id == ReservationItem.reservation_id)
        .where(
            ReservationItem.asset_id == asset.id,
            ReservationItem.is_active,
            ReservationItem.checked_out_at.is_(None),
            ReservationItem.starts_at > now - LOOKBACK,
            Reservation.status.in_([ReservationStatus.PENDING, ReservationStatus.APPROVED]),
            Reservation.ends_at > now,
        )
        .order_by(ReservationItem.starts_at, ReservationItem.id)
        .limit(2)
    ).all()
    reservations = [item.reservation for item in upcoming]
    current: Reservation | None = None
    action: str | None = None
    if out_item is not None:
        current, action = out_item.reservation, "check_in"
    elif reservations and can_check_out(reservations[0], now):
        current = reservations[0]
        action = "check_out" if asset.status is AssetStatus.AVAILABLE else None
    following = next((r for r in reservations if r is not current), None)
    return AssetState(asset, out_item, current, following, action)


def find_asset(tag: str) -> Asset | None:
    """The asset with this tag, ignoring case and surrounding spaces."""
    wanted = tag.strip().lower()
    if not wanted:
        return None
    return db.session.scalars(sa.select(Asset).where(sa.func.lower(Asset.tag) == wanted)).first()


# The approval queue ---------------------------------------------------------------------


@dataclass(frozen=True)
class TypeSupply:
    """How one type of a request fares: what it asks and what stays free after it."""

    equipment_type: EquipmentType
    wanted: int
    free_after: int

    @property
    def short(self) -> bool:
        return self.free_after < 0


@dataclass
class RequestFindings:
    """What helps staff decide on one pending request."""

    reservation: Reservation
    supply: list[TypeSupply] = field(default_factory=list)
    competing: list[Reservation] = field(default_factory=list)
    in_maintenance: list[Asset] = field(default_factory=list)
    out_overdue: list[Asset] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    pickup_passed: bool = False

    @property
    def short(self) -> bool:
        return any(s.short for s in self.supply)

    @property
    def clear(self) -> bool:
        return not (
            self.short
            or self.competing
            or self.in_maintenance
            or self.out_overdue
            or self.problems
            or self.pickup_passed
        )


def pending_requests() -> sa.Select[Reservation]:
    """Every pending request, the oldest pickup first (expired ones are the job's to clear)."""
    return (
        sa.select(Reservation)
        .where(Reservation.status == ReservationStatus.PENDING)
        .order_by(Reservation.starts_at, Reservation.id)
    )


def _components(reservation: Reservation) -> tuple[dict[int, int], dict[int, EquipmentType]]:
    if reservation.kit is not None:
        comps = reservation.kit.components
        wanted = {c.equipment_type_id: c.quantity * reservation.quantity for c in comps}
        return wanted, {c.equipment_type_id: c.equipment_type for c in comps}
    if reservation.equipment_type is None:
        return {}, {}
    equipment_type = reservation.equipment_type
    return {equipment_type.id: reservation.quantity}, {equipment_type.id: equipment_type}


@dataclass(frozen=True)
class _Hold:
    asset_id: int
    reservation_id: int
    starts_at: datetime
    blocked_until: datetime
    checked_out: bool
    status: ReservationStatus
    reservation_ends_at: datetime


def approval_findings(
    reservations: Sequence[Reservation], now: datetime
) -> dict[int, RequestFindings]:
    """Findings for each pending request, in a fixed number of statements.

    Mirrors what ``services.approve`` and ``services.check_request`` would find, without
    locking or writing: the free assets per type after this request (``busy_asset_ids`` and
    ``usable_assets``, for all requests at once), rival pending requests for the same types in
    an overlapping period, assets of the request that went to maintenance or are still out
    overdue, and the requester's missing qualification or quota.
    """
    if not reservations:
        return {}
    needs = {r.id: _components(r) for r in reservations}
    type_ids = sorted({tid for wanted, _ in needs.values() for tid in wanted})
    windows: dict[int, Interval] = {}
    for r in reservations:
        types = needs[r.id][1]
        turnaround = max((t.turnaround_minutes for t in types.values()), default=0)
        windows[r.id] = rules.blocked_interval(Interval(r.starts_at, r.ends_at), turnaround)
    lowest = min(w.start for w in windows.values())
    highest = max(w.end for w in windows.values())

    assets_by_type: dict[int, list[Asset]] = defaultdict(list)
    for asset in db.session.scalars(
        sa.select(Asset).where(Asset.equipment_type_id.in_(type_ids)).order_by(Asset.tag)
    ):
        assets_by_type[asset.equipment_type_id].append(asset)
    type_of_asset = {a.id: tid for tid, assets in assets_by_type.items() for a in assets}

    # Every active hold on these types near the windows, plus everything out right now
    # (overdue gear blocks until it comes back, however long ago it went out).
    holds = [
        _Hold(*row)
        for row in db.session.execute(
            sa.select(
                ReservationItem.asset_id,
                ReservationItem.reservation_id,
                ReservationItem.starts_at,
                ReservationItem.blocked_until,
                ReservationItem.checked_out_at.is_not(None),
                Reservation.status,
                Reservation.ends_at,
            )
            .join(Asset, Asset.id == ReservationItem.asset_id)
            .join(Reservation, Reservation.id == ReservationItem.reservation_id)
            .where(
                Asset.equipment_type_id.in_(type_ids),
                ReservationItem.is_active,
                ReservationItem.starts_at < highest,
                sa.or_(
                    ReservationItem.starts_at > lowest - LOOKBACK,
                    ReservationItem.checked_out_at.is_not(None),
                ),
            )
        )
    ]

    rival_ids: dict[int, set[int]] = {}
    for r in reservations:
        window, wanted = windows[r.id], needs[r.id][0]
        rival_ids[r.id] = {
            h.reservation_id
            for h in holds
            if h.status is ReservationStatus.PENDING
            and h.reservation_id != r.id
            and type_of_asset.get(h.asset_id) in wanted
            and Interval(h.starts_at, h.blocked_until).overlaps(window)
        }
    known = {r.id: r for r in reservations}
    missing = sorted(set().union(*rival_ids.values()) - set(known))
    if missing:
        known.update(
            (r.id, r)
            for r in db.session.scalars(sa.select(Reservation).where(Reservation.id.in_(missing)))
        )

    requester_ids = sorted({r.requester_id for r in reservations})
    on_file: dict[int, list[tuple[str, date | None]]] = defaultdict(list)
    for user_id, kind, valid_until in db.session.execute(
        sa.select(Qualification.user_id, Qualification.kind, Qualification.valid_until).where(
            Qualification.user_id.in_(requester_ids)
        )
    ):
        on_file[user_id].append((kind, valid_until))
    held_rows = db.session.execute(
        sa.select(
            Reservation.id,
            Reservation.requester_id,
            Reservation.starts_at,
            Reservation.ends_at,
            sa.func.count(ReservationItem.id),
        )
        .join(ReservationItem, ReservationItem.reservation_id == Reservation.id)
        .where(
            Reservation.requester_id.in_(requester_ids),
            Reservation.status.in_(ACTIVE_STATUSES),
            ReservationItem.is_active,
            Reservation.starts_at < max(r.ends_at for r in reservations),
            Reservation.ends_at > min(r.starts_at for r in reservations),
        )
        .group_by(
            Reservation.id, Reservation.requester_id, Reservation.starts_at, Reservation.ends_at
        )
    ).all()
    quota = settings.get(MAX_ASSETS_PER_BORROWER.key)
    zone = services.lab_zone()

    result: dict[int, RequestFindings] = {}
    for r in reservations:
        wanted, types = needs[r.id]
        window = windows[r.id]
        findings = RequestFindings(r, pickup_passed=r.starts_at <= now)
        busy = {
            h.asset_id
            for h in holds
            if h.reservation_id != r.id
            and h.starts_at < window.end
            and (
                (h.starts_at > window.start - LOOKBACK and h.blocked_until > window.start)
                or (h.checked_out and h.blocked_until <= now)
            )
        }
        for type_id, count in wanted.items():
            free = sum(
                1
                for a in assets_by_type[type_id]
                if a.status is AssetStatus.AVAILABLE and a.id not in busy
            )
            findings.supply.append(TypeSupply(types[type_id], count, free - count))
        findings.competing = sorted(
            (known[i] for i in rival_ids[r.id]), key=lambda o: (o.starts_at, o.id)
        )
        own_assets = [item.asset for item in r.items]
        findings.in_maintenance = [a for a in own_assets if a.status is not AssetStatus.AVAILABLE]
        out_elsewhere = {
            h.asset_id
            for h in holds
            if h.checked_out and h.reservation_id != r.id and h.reservation_ends_at <= now
        }
        findings.out_overdue = [a for a in own_assets if a.id in out_elsewhere]
        findings.problems = _requester_problems(r, types, wanted, on_file, held_rows, quota, zone)
        result[r.id] = findings
    return result


def _requester_problems(
    reservation: Reservation,
    types: dict[int, EquipmentType],
    wanted: dict[int, int],
    on_file: dict[int, list[tuple[str, date | None]]],
    held_rows: Sequence[Any],
    quota: int,
    zone: Any,
) -> list[str]:
    """The requester's missing qualification and quota, worded for staff."""
    name = reservation.requester.name
    problems: list[str] = []
    last_day = reservation.ends_at.astimezone(zone).date()
    for equipment_type in types.values():
        if rules.qualification_problems(
            equipment_type.required_qualification, on_file[reservation.requester_id], last_day
        ):
            problems.append(
                str(
                    _l(
                        "%(name)s has no valid “%(qualification)s” on file.",
                        name=name,
                        qualification=equipment_type.required_qualification,
                    )
                )
            )
    held = sum(
        count
        for other_id, requester_id, starts_at, ends_at, count in held_rows
        if requester_id == reservation.requester_id
        and other_id != reservation.id
        and starts_at < reservation.ends_at
        and ends_at > reservation.starts_at
    )
    requested = sum(wanted.values())
    if rules.quota_problems(held, requested, quota):
        problems.append(
            str(
                _l(
                    "%(name)s would hold %(held)s items at once; the lending rules allow "
                    "%(quota)s.",
                    name=name,
                    held=held + requested,
                    quota=quota,
                )
            )
        )
    return problems


# All reservations -----------------------------------------------------------------------


def default_list_window(today: date) -> tuple[date, date]:
    return today, today + timedelta(days=DEFAULT_LIST_DAYS - 1)


def all_reservations(
    *,
    first: date,
    last: date,
    status: ReservationStatus | None = None,
    requester: str = "",
) -> sa.Select[Reservation]:
    """Reservations whose period overlaps the days ``first`` to ``last`` (lab wall clock),
    and every loan still out whatever its days (it is current), filtered."""
    start = day_bounds(first).start
    end = day_bounds(last).end
    query = (
        sa.select(Reservation)
        .where(
            sa.or_(
                sa.and_(Reservation.starts_at < end, Reservation.ends_at > start),
                Reservation.status == ReservationStatus.CHECKED_OUT,
            )
        )
        .order_by(Reservation.starts_at, Reservation.id)
    )
    if status is not None:
        query = query.where(Reservation.status == status)
    needle = requester.strip().lower()
    if needle:
        query = query.join(User, User.id == Reservation.requester_id).where(
            sa.func.lower(User.name).contains(needle, autoescape=True)
        )
    return query


# Labels ---------------------------------------------------------------------------------


def label_assets(asset_ids: Sequence[int] | None = None) -> list[Asset]:
    """Assets to print labels for: the given ones, or every asset that is not retired."""
    query = (
        sa.select(Asset)
        .join(EquipmentType, EquipmentType.id == Asset.equipment_type_id)
        .order_by(EquipmentType.name, Asset.tag)
    )
    if asset_ids is None:
        query = query.where(Asset.status != AssetStatus.RETIRED)
    else:
        query = query.where(Asset.id.in_(sorted(set(asset_ids))))
    return list(db.session.scalars(query))


def assets_by_type() -> list[tuple[EquipmentType, list[Asset]]]:
    """Every asset that is not retired, grouped by type, for ticking labels to print."""
    groups: dict[int, tuple[EquipmentType, list[Asset]]] = {}
    for asset in label_assets():
        groups.setdefault(asset.equipment_type_id, (asset.equipment_type, []))[1].append(asset)
    return list(groups.values())
