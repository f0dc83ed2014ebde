"""``flask demo``'s lending data: every status, built through the services, at any moment."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from straxlab.auth.models import User
from straxlab.cli.demo import DEMO_DOMAIN, DEMO_USERS, DRONE_QUALIFICATION, load_demo
from straxlab.core import clock, settings
from straxlab.core.audit import AuditEvent
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
from straxlab.equipment.rules import AssetStatus, ReservationStatus
from straxlab.equipment.settings import DESK_WEEKDAYS, opening_hours
from straxlab.extensions import db

AMS = ZoneInfo("Europe/Amsterdam")
STAFF_EMAIL = f"balie@{DEMO_DOMAIN}"


def lab(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS).astimezone(UTC)


# The story leaves today out and counts desk days, so it must hold on every kind of day:
# before opening, after closing, at the weekend, and in the weeks around both DST changes.
MOMENTS = {
    "real clock": None,
    "monday before opening": lab(2026, 11, 30, 7, 30),
    "wednesday noon": lab(2026, 12, 2, 12, 0),
    "friday after closing": lab(2026, 12, 4, 17, 30),
    "saturday": lab(2026, 12, 5, 10, 0),
    "sunday night": lab(2026, 12, 6, 23, 45),
    "new year's eve": lab(2026, 12, 31, 15, 0),
    "after the spring dst change": lab(2027, 3, 29, 8, 0),
    "before the autumn dst change": lab(2026, 10, 23, 16, 0),
}


def run_demo(runner, moment: datetime | None, *args: str):
    if moment is None:
        result = runner.invoke(args=["demo", *args])
    else:
        with clock.frozen(moment):
            result = runner.invoke(args=["demo", *args])
    assert result.exit_code == 0, result.output
    return result


def overlaps_between_active_items() -> list[tuple[str, int, int]]:
    """Pairs of active items that hold one asset at overlapping times (should be none)."""
    by_asset: dict[str, list[ReservationItem]] = defaultdict(list)
    for item in db.session.scalars(sa.select(ReservationItem).where(ReservationItem.is_active)):
        by_asset[item.asset.tag].append(item)
    clashes = []
    for tag, items in by_asset.items():
        for i, first in enumerate(items):
            for second in items[i + 1 :]:
                a = rules.Interval(first.starts_at, first.blocked_until)
                b = rules.Interval(second.starts_at, second.blocked_until)
                if a.overlaps(b):
                    clashes.append((tag, first.reservation_id, second.reservation_id))
    return clashes


def snapshot() -> dict[str, object]:
    """Everything the demo writes, in a comparable form."""
    models = (User, Category, EquipmentType, Asset, Kit, Qualification, AuditEvent)
    counts = {
        m.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in models
    }
    reservations = db.session.execute(
        sa.select(
            Reservation.id, Reservation.status, Reservation.starts_at, Reservation.ends_at
        ).order_by(Reservation.id)
    ).all()
    items = db.session.execute(
        sa.select(
            ReservationItem.id,
            ReservationItem.asset_id,
            ReservationItem.is_active,
            ReservationItem.returned_at,
        ).order_by(ReservationItem.id)
    ).all()
    assets = db.session.execute(sa.select(Asset.tag, Asset.status).order_by(Asset.tag)).all()
    return {"counts": counts, "reservations": reservations, "items": items, "assets": assets}


@pytest.mark.parametrize("moment", MOMENTS.values(), ids=MOMENTS.keys())
def test_demo_lends_in_every_status_without_overlaps(app, runner, moment):
    result = run_demo(runner, moment, "--if-empty")
    now = moment or clock.now()
    assert "Lending demo:" in result.output and "1 overdue loan(s)" in result.output
    with app.app_context():
        reservations = db.session.scalars(sa.select(Reservation)).all()
        assert {r.status for r in reservations} == set(ReservationStatus)
        overdue = [
            r
            for r in reservations
            if rules.is_overdue(r.status, r.ends_at, all(i.returned_at for i in r.items), now)
        ]
        assert len(overdue) == 1
        # Current loans are due back after now; the overdue one is the only loan past its end.
        out = [r for r in reservations if r.status is ReservationStatus.CHECKED_OUT]
        assert len(out) == 3 and sum(r.ends_at > now for r in out) == 2
        assert all(r.starts_at > now for r in reservations if r.status is ReservationStatus.PENDING)
        assert overlaps_between_active_items() == []
        # Gear that has not come back is not promised to anyone after it.
        overdue_assets = {i.asset_id for i in overdue[0].items}
        later = db.session.scalars(
            sa.select(ReservationItem).where(
                ReservationItem.is_active,
                ReservationItem.asset_id.in_(overdue_assets),
                ReservationItem.reservation_id != overdue[0].id,
            )
        ).all()
        assert later == []

        in_repair = db.session.scalars(
            sa.select(Asset).where(Asset.status == AssetStatus.MAINTENANCE)
        ).all()
        assert len(in_repair) == 1 and in_repair[0].condition_note
        damaged = db.session.scalars(
            sa.select(ReservationItem).where(ReservationItem.asset_id == in_repair[0].id)
        ).all()
        assert [i.damage_report for i in damaged if i.damage_report] == [
            in_repair[0].condition_note
        ]

        hours = opening_hours()
        for r in reservations:
            assert hours.is_open(r.starts_at, AMS), (r, r.starts_at.astimezone(AMS))
            assert hours.is_open(r.ends_at, AMS), (r, r.ends_at.astimezone(AMS))


def test_demo_is_told_by_demo_teachers_and_the_desk(app, runner):
    run_demo(runner, lab(2026, 12, 2, 12, 0))
    teachers = {email for email, _name, role in DEMO_USERS if role.value == "teacher"}
    with app.app_context():
        staff_id = db.session.scalar(sa.select(User.id).where(User.email == STAFF_EMAIL))
        reservations = db.session.scalars(sa.select(Reservation)).all()
        assert {r.requester.email for r in reservations} <= teachers
        assert {r.decided_by_id for r in reservations if r.decided_by_id} == {staff_id}
        handed_out = [i for r in reservations for i in r.items if i.checked_out_at]
        assert handed_out and {i.checked_out_by_id for i in handed_out} == {staff_id}
        returned = [r for r in reservations if r.status is ReservationStatus.RETURNED]
        items_back = [i for r in returned for i in r.items]
        assert any(i.card_wiped for i in items_back)
        assert any(i.condition_in and not i.damage_report for i in items_back)
        rejected = [r for r in reservations if r.status is ReservationStatus.REJECTED]
        assert rejected and all(r.decision_note for r in rejected)
        # The lifecycle went through the services: each step left its audit event.
        actions = set(db.session.scalars(sa.select(AuditEvent.action)))
        for step in ("requested", "approved", "rejected", "cancelled", "expired"):
            assert f"reservation.{step}" in actions
        assert {"reservation.checked_out", "reservation.taken_back"} <= actions


def test_drone_pilots_hold_a_qualification_valid_into_next_year(app, runner):
    moment = lab(2026, 12, 2, 12, 0)
    run_demo(runner, moment)
    with app.app_context():
        pilots = db.session.scalars(
            sa.select(Qualification).where(Qualification.kind == DRONE_QUALIFICATION)
        ).all()
        assert 1 <= len(pilots) <= 2
        assert all(q.valid_until and q.valid_until >= date(2027, 1, 1) for q in pilots)
        drone_kits = db.session.scalars(
            sa.select(Reservation).join(Kit).where(Kit.name == "Dronekit")
        ).all()
        assert {r.requester_id for r in drone_kits} <= {q.user_id for q in pilots}
        assert any(r.status is ReservationStatus.PENDING for r in drone_kits)


def test_running_the_demo_twice_changes_nothing(app, runner):
    run_demo(runner, None)
    with app.app_context():
        before = snapshot()
    assert before["counts"]["Asset"] > 0 and before["reservations"]
    second = run_demo(runner, None)
    assert "left as it is" in second.output
    third = run_demo(runner, None, "--if-empty")
    assert "not loaded" in third.output
    with app.app_context():
        assert snapshot() == before


def test_demo_adds_lending_to_an_older_demo_database_without_equipment(app, runner):
    with app.app_context():
        load_demo()
        db.session.commit()
    result = run_demo(runner, None)
    assert "0 new account(s)" in result.output and "Lending demo:" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == len(DEMO_USERS)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Reservation)) > 0


def test_demo_keeps_the_catalogue_when_the_desk_hours_rule_the_story_out(app, runner):
    """Open on Saturdays only, the current loans would span weeks, past the loan period: the
    story is rolled back, the catalogue stays, and the command still succeeds."""
    with app.app_context():
        settings.put(DESK_WEEKDAYS.key, "6", actor_id=None, now=clock.now())
        db.session.commit()
    result = run_demo(runner, None)
    assert "no reservations, because" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Reservation)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Asset)) > 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == len(DEMO_USERS)
