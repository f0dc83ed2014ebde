"""Lab calendar services: closures by hand (with their checks), the holiday preview and
import, and the lab-day rows that capacity checks lock."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from straxlab.core.audit import AuditEvent
from straxlab.core.errors import InvalidRequest
from straxlab.extensions import db
from straxlab.lab_calendar import services
from straxlab.lab_calendar.models import Closure, LabDay
from straxlab.lab_calendar.rules import ClosedPeriod
from tests.factories import make_closure, make_user

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def closures() -> list[tuple[date, date, str, str]]:
    rows = db.session.execute(
        sa.select(Closure.first_day, Closure.last_day, Closure.reason, Closure.source).order_by(
            Closure.first_day, Closure.id
        )
    )
    return [tuple(row) for row in rows]


def audit_kinds() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


# Closures by hand -------------------------------------------------------------------------


def test_add_closure_cleans_the_reason_and_records_it(app_ctx):
    staff = make_user(role="staff")
    closure = services.add_closure(
        first_day=date(2027, 3, 1),
        last_day=date(2027, 3, 2),
        reason="  Verhuizing \n lab ",
        actor_id=staff.id,
        now=NOW,
    )
    assert closure.id is not None
    assert closures() == [(date(2027, 3, 1), date(2027, 3, 2), "Verhuizing lab", "manual")]
    assert closure.created_by_id == staff.id and closure.created_at == NOW
    assert audit_kinds() == ["closure.added"]


@pytest.mark.parametrize(
    ("first", "last", "reason", "field"),
    [
        (date(2027, 3, 2), date(2027, 3, 1), "Studiedag", "last_day"),
        (date(2027, 1, 1), date(2028, 1, 2), "Studiedag", "last_day"),
        (date(2027, 3, 1), date(2027, 3, 1), "   ", "reason"),
        (date(2027, 3, 1), date(2027, 3, 1), "x" * 201, "reason"),
    ],
)
def test_add_closure_refuses_bad_input(app_ctx, first, last, reason, field):
    with pytest.raises(InvalidRequest) as refused:
        services.add_closure(first_day=first, last_day=last, reason=reason, actor_id=None, now=NOW)
    assert refused.value.field == field
    assert closures() == []


def test_a_closure_may_last_a_whole_year_and_one_day_alone(app_ctx):
    services.add_closure(
        first_day=date(2027, 1, 1),
        last_day=date(2027, 12, 31),
        reason="Verbouwing",
        actor_id=None,
        now=NOW,
    )
    services.add_closure(
        first_day=date(2028, 2, 2),
        last_day=date(2028, 2, 2),
        reason="Studiedag",
        actor_id=None,
        now=NOW,
    )
    assert len(closures()) == 2


def test_change_closure_checks_and_records_before_and_after(app_ctx):
    closure = make_closure(date(2027, 3, 1), reason="Studiedag")
    services.change_closure(
        closure,
        first_day=date(2027, 3, 1),
        last_day=date(2027, 3, 3),
        reason="Studiedagen",
        actor_id=None,
        now=NOW,
    )
    assert closures() == [(date(2027, 3, 1), date(2027, 3, 3), "Studiedagen", "manual")]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "closure.changed"))
    assert event is not None
    with pytest.raises(InvalidRequest):
        services.change_closure(
            closure,
            first_day=date(2027, 3, 5),
            last_day=date(2027, 3, 4),
            reason="Studiedag",
            actor_id=None,
            now=NOW,
        )
    with pytest.raises(InvalidRequest):
        services.change_closure(
            closure,
            first_day=date(2027, 3, 5),
            last_day=date(2027, 3, 5),
            reason="",
            actor_id=None,
            now=NOW,
        )
    # A refused change leaves the closure as it was.
    assert closures() == [(date(2027, 3, 1), date(2027, 3, 3), "Studiedagen", "manual")]


def test_remove_closure_deletes_it_and_records_what_it_was(app_ctx):
    closure = make_closure(date(2027, 3, 1), reason="Studiedag")
    services.remove_closure(closure, actor_id=None, now=NOW)
    db.session.flush()
    assert closures() == []
    assert audit_kinds() == ["closure.removed"]


def test_closures_between_finds_the_ones_touching_the_range(app_ctx):
    make_closure(date(2027, 1, 1), date(2027, 1, 10), reason="Voor")
    make_closure(date(2027, 1, 10), date(2027, 1, 20), reason="Raakt begin")
    make_closure(date(2027, 1, 25), reason="Binnen")
    make_closure(date(2027, 1, 31), date(2027, 2, 5), reason="Raakt eind")
    make_closure(date(2027, 2, 1), reason="Na")
    found = services.closures_between(date(2027, 1, 11), date(2027, 1, 31))
    assert [period.reason for period in found] == ["Raakt begin", "Binnen", "Raakt eind"]


# Holidays ---------------------------------------------------------------------------------


def test_holiday_preview_2026_midden(app_ctx):
    rows = services.holiday_preview(2026, "Midden", "nl")
    periods = [row.period for row in rows]
    assert ClosedPeriod(date(2026, 10, 17), date(2026, 10, 25), "Herfstvakantie") in periods
    # Koningsdag falls inside the May holiday and still is a period of its own.
    assert ClosedPeriod(date(2026, 4, 27), date(2026, 4, 27), "Koningsdag") in periods
    may = [p for p in periods if p.reason == "Meivakantie"]
    assert len(may) == 1 and may[0].covers(date(2026, 4, 27))
    assert not any(row.known for row in rows)
    assert periods == sorted(periods, key=lambda p: (p.first_day, p.last_day, p.reason))


def test_holiday_preview_names_follow_the_language(app_ctx):
    rows = services.holiday_preview(2026, "Midden", "en_US")
    names = {row.period.reason for row in rows}
    assert "Autumn Break" in names and "King's Day" in names


def test_holiday_preview_marks_what_the_calendar_already_has(app_ctx):
    make_closure(date(2026, 10, 17), date(2026, 10, 25), reason="Herfstvakantie")
    # Same days, another name: not the same closure.
    make_closure(date(2026, 4, 27), reason="Lab dicht")
    rows = services.holiday_preview(2026, "Midden", "nl")
    known = {row.period.reason for row in rows if row.known}
    assert known == {"Herfstvakantie"}


@pytest.mark.parametrize("year", [2013, 2031, 1900])
def test_holiday_preview_refuses_years_the_package_does_not_know(app_ctx, year):
    with pytest.raises(InvalidRequest) as refused:
        services.holiday_preview(year, "Midden", "nl")
    assert refused.value.field == "year"


def test_import_holidays_skips_what_is_already_known(app_ctx):
    make_closure(date(2026, 10, 17), date(2026, 10, 25), reason="Herfstvakantie")
    autumn = ClosedPeriod(date(2026, 10, 17), date(2026, 10, 25), "Herfstvakantie")
    kings = ClosedPeriod(date(2026, 4, 27), date(2026, 4, 27), "Koningsdag")
    added = services.import_holidays([autumn, kings, kings], actor_id=None, now=NOW)
    assert [(c.first_day, c.reason, c.source) for c in added] == [
        (date(2026, 4, 27), "Koningsdag", "holidays")
    ]
    # Running it again adds nothing.
    assert services.import_holidays([autumn, kings], actor_id=None, now=NOW) == []
    assert len(closures()) == 2
    assert services.import_holidays([], actor_id=None, now=NOW) == []


# Lab days ---------------------------------------------------------------------------------


def test_lock_lab_days_creates_rows_once(app_ctx):
    days = [date(2026, 12, 8), date(2026, 12, 1), date(2026, 12, 8)]
    services.lock_lab_days(days)
    services.lock_lab_days(iter([date(2026, 12, 1), date(2026, 12, 15)]))
    services.lock_lab_days([])
    db.session.flush()
    assert list(db.session.scalars(sa.select(LabDay.day).order_by(LabDay.day))) == [
        date(2026, 12, 1),
        date(2026, 12, 8),
        date(2026, 12, 15),
    ]
    db.session.commit()
    services.lock_lab_days([date(2026, 12, 15)])
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LabDay)) == 3
