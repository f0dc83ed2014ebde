"""Lab calendar use cases: closures (by hand or from the holidays package) and lab-day locks.

Like every service module: takes the acting user's id and ``now``, writes through
``db.session``, raises domain errors, never commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite

from straxlab.core import audit
from straxlab.core.errors import InvalidRequest
from straxlab.extensions import db
from straxlab.lab_calendar.models import Closure, LabDay
from straxlab.lab_calendar.rules import ClosedPeriod, holiday_periods

# A closure longer than a year is a typing error, not a closure.
MAX_CLOSURE_DAYS = 366
REASON_LENGTH = 200
# The holidays package knows the Dutch school holidays for these years.
HOLIDAY_YEARS = range(2014, 2031)


def lab_zone() -> ZoneInfo:
    """The lab's wall clock (``LAB_TIMEZONE``), for lending, design teams, mail and jobs."""
    return ZoneInfo(current_app.config["LAB_TIMEZONE"])


def lab_today(now: datetime) -> date:
    """The lab's date at the instant ``now``."""
    return now.astimezone(lab_zone()).date()


def closures_between(first: date, last: date) -> list[ClosedPeriod]:
    """Every closure that touches [first, last], earliest first."""
    rows = db.session.execute(
        sa.select(Closure.first_day, Closure.last_day, Closure.reason)
        .where(Closure.last_day >= first, Closure.first_day <= last)
        .order_by(Closure.first_day, Closure.id)
    )
    return [ClosedPeriod(row.first_day, row.last_day, row.reason) for row in rows]


def _checked(first_day: date, last_day: date, reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidRequest(_l("Say why the lab is closed."), field="reason")
    if len(reason) > REASON_LENGTH:
        raise InvalidRequest(
            _l("Keep the reason under %(n)s characters.", n=REASON_LENGTH), field="reason"
        )
    if last_day < first_day:
        raise InvalidRequest(_l("The last day cannot be before the first day."), field="last_day")
    if (last_day - first_day).days >= MAX_CLOSURE_DAYS:
        raise InvalidRequest(
            _l("A closure lasts at most %(n)s days.", n=MAX_CLOSURE_DAYS), field="last_day"
        )
    return reason


def add_closure(
    *,
    first_day: date,
    last_day: date,
    reason: str,
    actor_id: int | None,
    now: datetime,
    source: str = "manual",
) -> Closure:
    reason = _checked(first_day, last_day, reason)
    closure = Closure(
        first_day=first_day,
        last_day=last_day,
        reason=reason,
        source=source,
        created_by_id=actor_id,
        created_at=now,
    )
    db.session.add(closure)
    db.session.flush()
    audit.record(
        "closure.added",
        actor_id=actor_id,
        object_type="closure",
        object_id=closure.id,
        now=now,
        first_day=first_day.isoformat(),
        last_day=last_day.isoformat(),
        reason=reason,
        source=source,
    )
    return closure


def change_closure(
    closure: Closure,
    *,
    first_day: date,
    last_day: date,
    reason: str,
    actor_id: int | None,
    now: datetime,
) -> None:
    reason = _checked(first_day, last_day, reason)
    before = {
        "first_day": closure.first_day.isoformat(),
        "last_day": closure.last_day.isoformat(),
        "reason": closure.reason,
    }
    closure.first_day, closure.last_day, closure.reason = first_day, last_day, reason
    audit.record(
        "closure.changed",
        actor_id=actor_id,
        object_type="closure",
        object_id=closure.id,
        now=now,
        before=before,
        first_day=first_day.isoformat(),
        last_day=last_day.isoformat(),
        reason=reason,
    )


def remove_closure(closure: Closure, *, actor_id: int | None, now: datetime) -> None:
    audit.record(
        "closure.removed",
        actor_id=actor_id,
        object_type="closure",
        object_id=closure.id,
        now=now,
        first_day=closure.first_day.isoformat(),
        last_day=closure.last_day.isoformat(),
        reason=closure.reason,
    )
    db.session.delete(closure)


@dataclass(frozen=True)
class HolidayRow:
    """One holiday the import offers, and whether the calendar already has it."""

    period: ClosedPeriod
    known: bool


def holiday_preview(year: int, region: str, language: str) -> list[HolidayRow]:
    """The public holidays and the region's school holidays of ``year``, as closures.

    ``language`` is ``"nl"`` or ``"en_US"``: the names become the closures' reasons.
    """
    if year not in HOLIDAY_YEARS:
        raise InvalidRequest(
            _l(
                "Holidays can be imported for %(first)s to %(last)s.",
                first=HOLIDAY_YEARS.start,
                last=HOLIDAY_YEARS.stop - 1,
            ),
            field="year",
        )
    calendar = holidays.country_holidays(
        "NL", subdiv=region, years=year, categories=("public", "school"), language=language
    )
    periods = holiday_periods(dict(calendar.items()))
    first = date(year, 1, 1)
    known = {
        (row.first_day, row.last_day, row.reason)
        for row in closures_between(first - timedelta(days=31), date(year, 12, 31))
    }
    return [
        HolidayRow(period, (period.first_day, period.last_day, period.reason) in known)
        for period in periods
    ]


def import_holidays(
    periods: Sequence[ClosedPeriod], *, actor_id: int | None, now: datetime
) -> list[Closure]:
    """Add the confirmed holidays that the calendar does not have yet (same days and name)."""
    if not periods:
        return []
    first = min(period.first_day for period in periods)
    last = max(period.last_day for period in periods)
    known = {(row.first_day, row.last_day, row.reason) for row in closures_between(first, last)}
    added = []
    for period in periods:
        key = (period.first_day, period.last_day, period.reason)
        if key in known:
            continue
        known.add(key)
        added.append(
            add_closure(
                first_day=period.first_day,
                last_day=period.last_day,
                reason=period.reason,
                actor_id=actor_id,
                now=now,
                source="holidays",
            )
        )
    return added


def lock_lab_days(days: Iterable[date]) -> None:
    """Take the lock of each lab day (creating its row if needed), in date order.

    Whoever places teams on a day holds its row until commit, so two approvals for the same
    day take turns and the second counts the first one's teams. Date order keeps two
    approvals over overlapping sets of days from deadlocking. On SQLite the request's
    BEGIN IMMEDIATE already serialises writers; the rows are still created so that design
    days can reference them.
    """
    wanted = sorted(set(days))
    if not wanted:
        return
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(LabDay).values([{"day": day} for day in wanted]).on_conflict_do_nothing()
    )
    if dialect == "postgresql":
        db.session.execute(
            sa.select(LabDay.day)
            .where(LabDay.day.in_(wanted))
            .order_by(LabDay.day)
            .with_for_update()
        ).all()
