"""Lending use cases against the real database: allocation, lifecycle, limits, the desk."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from straxlab.core import settings
from straxlab.core.audit import AuditEvent
from straxlab.core.errors import Conflict, InvalidRequest, NotAllowed
from straxlab.equipment import services
from straxlab.equipment.models import Asset, Qualification, ReservationItem
from straxlab.equipment.rules import AssetStatus, Interval, ReservationStatus
from straxlab.extensions import db
from tests.factories import (
    make_asset,
    make_closure,
    make_kit,
    make_reservation,
    make_type,
    make_user,
)

AMS = ZoneInfo("Europe/Amsterdam")
# Monday 30 November 2026, 09:00 in the lab.
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=AMS).astimezone(UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in December 2026 (or 30 November) on the lab's wall clock."""
    month = 11 if day == 30 else 12
    return datetime(2026, month, day, hour, minute, tzinfo=AMS).astimezone(UTC)


@pytest.fixture
def teacher(app_ctx):
    return make_user(role="teacher")


@pytest.fixture
def staff(app_ctx):
    return make_user(role="staff")


def reserve(user, equipment_type=None, start=None, end=None, **kwargs):
    return make_reservation(
        user,
        equipment_type=equipment_type,
        starts_at=start or at(1, 10),
        ends_at=end or at(2, 12),
        now=kwargs.pop("now", NOW),
        **kwargs,
    )


def test_free_type_is_approved_at_once_and_allocates_concrete_assets(teacher):
    recorders = make_type(name="Zoom H5", assets=3)
    reservation = reserve(teacher, recorders, quantity=2)
    assert reservation.status is ReservationStatus.APPROVED
    assert len({item.asset_id for item in reservation.items}) == 2
    assert all(item.is_active for item in reservation.items)


def test_type_that_needs_approval_waits_for_staff(teacher, staff):
    drones = make_type(name="DJI Mini", assets=1, needs_approval=True)
    reservation = reserve(teacher, drones)
    assert reservation.status is ReservationStatus.PENDING
    services.approve(reservation, actor=staff, now=NOW, note="Veel plezier")
    assert reservation.status is ReservationStatus.APPROVED
    assert reservation.decided_by_id == staff.id
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert "reservation.approved" in actions


def test_no_double_booking_and_the_conflict_suggests_the_nearest_free_period(teacher):
    camera = make_type(name="Insta360", assets=1, turnaround_minutes=60)
    reserve(teacher, camera, start=at(1, 10), end=at(1, 14))
    other = make_user()
    with pytest.raises(services.NoFreeAssets) as caught:
        reserve(other, camera, start=at(1, 13), end=at(1, 15))
    # Busy until 14:00 plus an hour of turnaround: the first free pickup is 15:00.
    assert caught.value.suggestion == Interval(at(1, 15), at(1, 17))
    assert "Insta360" in str(caught.value)


def test_back_to_back_is_allowed_after_the_turnaround(teacher):
    camera = make_type(assets=1, turnaround_minutes=30)
    reserve(teacher, camera, start=at(1, 10), end=at(1, 12))
    later = reserve(make_user(), camera, start=at(1, 12, 30), end=at(1, 14))
    assert later.status is ReservationStatus.APPROVED
    with pytest.raises(Conflict):
        reserve(make_user(), camera, start=at(1, 12, 15), end=at(1, 13))


def test_kit_allocates_every_component(teacher):
    drone = make_type(name="Drone", assets=2)
    battery = make_type(name="Accu", assets=4)
    case = make_type(name="Koffer", assets=1)
    kit = make_kit("Dronekit", {drone: 1, battery: 2, case: 1})
    reservation = make_reservation(
        teacher, kit=kit, starts_at=at(1, 10), ends_at=at(1, 16), now=NOW
    )
    types = sorted(item.asset.equipment_type.name for item in reservation.items)
    assert types == ["Accu", "Accu", "Drone", "Koffer"]
    assert reservation.title == "Dronekit"
    # One case only: a second kit in the same period does not fit.
    with pytest.raises(services.NoFreeAssets):
        make_reservation(make_user(), kit=kit, starts_at=at(1, 11), ends_at=at(1, 12), now=NOW)


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (at(1, 14), at(1, 10), "ends_at"),
        (at(30, 8), at(30, 12), "starts_at"),  # in the past
        (at(1, 7), at(1, 12), "starts_at"),  # desk not open yet
        (at(1, 10), at(1, 18), "ends_at"),  # desk closed
        (at(5, 10), at(7, 12), "starts_at"),  # Saturday
        (at(1, 10), at(28, 12), "ends_at"),  # longer than 14 days
    ],
)
def test_periods_outside_the_rules_are_refused_on_their_field(teacher, start, end, field):
    camera = make_type(assets=1)
    with pytest.raises(InvalidRequest) as caught:
        reserve(teacher, camera, start=start, end=end)
    assert caught.value.field == field


def test_lab_calendar_closures_close_the_desk(teacher):
    camera = make_type(assets=1)
    make_closure(date(2026, 12, 2), reason="Studiedag")
    with pytest.raises(InvalidRequest, match="Studiedag"):
        reserve(teacher, camera, start=at(1, 10), end=at(2, 12))


def test_quota_limits_teachers_and_staff_may_override_with_a_reason(teacher, staff):
    recorders = make_type(assets=12)
    settings.put("lending.max_assets_per_borrower", 3, actor_id=None, now=NOW)
    reserve(teacher, recorders, quantity=2)
    with pytest.raises(InvalidRequest, match="3"):
        reserve(teacher, recorders, quantity=2, start=at(2, 9), end=at(2, 11))
    with pytest.raises(InvalidRequest) as caught:
        reserve(teacher, recorders, quantity=2, start=at(2, 9), end=at(2, 11), actor=staff)
    assert caught.value.field == "override_reason"
    allowed = reserve(
        teacher,
        recorders,
        quantity=2,
        start=at(2, 9),
        end=at(2, 11),
        actor=staff,
        override_reason="Projectweek, afgesproken met teamleider",
    )
    assert allowed.override_reason.startswith("Projectweek")
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_id == allowed.id)
    ).one()
    assert event.details["waived"] == ["over_quota"]


def test_prerequisite_qualification_must_be_on_file_and_valid(teacher, staff):
    drones = make_type(assets=1, required_qualification="Drone pilot A1/A3")
    with pytest.raises(InvalidRequest, match="A1/A3"):
        reserve(teacher, drones)
    db.session.add(
        Qualification(
            user_id=teacher.id,
            kind="drone pilot a1/a3",
            valid_until=date(2026, 12, 1),
            checked_by_id=staff.id,
            checked_at=NOW,
        )
    )
    with pytest.raises(InvalidRequest):  # expires before the return day
        reserve(teacher, drones)
    assert reserve(teacher, drones, start=at(1, 10), end=at(1, 15)).status is (
        ReservationStatus.APPROVED
    )


def test_change_keeps_assets_where_possible_and_asks_staff_again_when_it_grows(teacher, staff):
    recorders = make_type(assets=4, needs_approval=True)
    reservation = reserve(teacher, recorders, quantity=2)
    services.approve(reservation, actor=staff, now=NOW)
    before = {item.asset_id for item in reservation.items}
    services.change_reservation(
        reservation,
        actor=teacher,
        period=Interval(at(1, 11), at(2, 12)),
        quantity=3,
        purpose="Podcast",
        now=NOW,
    )
    after = {item.asset_id for item in reservation.items}
    assert before < after and len(after) == 3
    assert reservation.status is ReservationStatus.PENDING
    services.approve(reservation, actor=staff, now=NOW)
    services.change_reservation(
        reservation,
        actor=teacher,
        period=Interval(at(1, 12), at(2, 11)),
        quantity=1,
        purpose="Podcast",
        now=NOW,
    )
    assert reservation.status is ReservationStatus.APPROVED  # only shrank
    assert {item.asset_id for item in reservation.items} < after


def test_a_purpose_loses_its_control_characters(teacher):
    camera = make_type(assets=2)
    reservation = reserve(teacher, camera, purpose="\x1bVlogs\x0b in\u200b 2B\r\nLes 3\tB\x7f ")
    db.session.flush()
    db.session.expire_all()
    assert reservation.purpose == "Vlogs in 2B\nLes 3\tB"
    services.change_reservation(
        reservation,
        actor=teacher,
        period=Interval(at(1, 10), at(2, 12)),
        quantity=1,
        purpose="\x0bPodcast\x1b[31m",
        now=NOW,
    )
    db.session.flush()
    db.session.expire_all()
    assert reservation.purpose == "Podcast[31m"


def test_a_purpose_of_only_control_characters_is_no_purpose(teacher):
    with pytest.raises(InvalidRequest) as refused:
        reserve(teacher, make_type(assets=1), purpose="\x0b\x1b\x00 \u200b")
    assert refused.value.field == "purpose"
    with force_locale("en"):
        assert str(refused.value) == "Say what you will use it for."


def test_change_moves_to_another_asset_when_its_own_is_taken(teacher):
    camera = make_type(assets=2)
    mine = reserve(teacher, camera, start=at(1, 10), end=at(1, 12))
    first = mine.items[0].asset_id
    taken = reserve(make_user(), camera, start=at(3, 10), end=at(3, 12))
    assert taken.items[0].asset_id == first
    services.change_reservation(
        mine,
        actor=teacher,
        period=Interval(at(3, 11), at(3, 13)),
        quantity=1,
        purpose="x",
        now=NOW,
    )
    assert mine.items[0].asset_id != first


def test_teacher_cannot_touch_someone_elses_reservation(teacher):
    reservation = reserve(teacher, make_type(assets=1))
    stranger = make_user()
    with pytest.raises(NotAllowed):
        services.cancel_reservation(reservation, actor=stranger, now=NOW)
    with pytest.raises(NotAllowed):
        services.approve(reservation, actor=stranger, now=NOW)


def test_cancel_frees_the_assets(teacher):
    camera = make_type(assets=1)
    reservation = reserve(teacher, camera)
    services.cancel_reservation(reservation, actor=teacher, now=NOW)
    assert reservation.status is ReservationStatus.CANCELLED
    assert reserve(make_user(), camera).status is ReservationStatus.APPROVED


def test_reject_needs_a_reason_and_frees_the_assets(teacher, staff):
    drones = make_type(assets=1, needs_approval=True)
    reservation = reserve(teacher, drones)
    with pytest.raises(InvalidRequest):
        services.reject(reservation, actor=staff, now=NOW, reason="  ")
    services.reject(reservation, actor=staff, now=NOW, reason="Geen certificaat")
    assert reservation.status is ReservationStatus.REJECTED
    assert not reservation.items[0].is_active
    with pytest.raises(Conflict):
        services.approve(reservation, actor=staff, now=NOW)


def test_approval_replaces_an_asset_that_went_to_maintenance(teacher, staff):
    drones = make_type(assets=2, needs_approval=True)
    reservation = reserve(teacher, drones)
    broken = reservation.items[0].asset
    broken.status = AssetStatus.MAINTENANCE
    services.approve(reservation, actor=staff, now=NOW)
    assert reservation.items[0].asset_id != broken.id


def test_check_out_and_take_back_with_damage(teacher, staff):
    recorder = make_type(assets=1, holds_recordings=True)
    reservation = reserve(teacher, recorder, start=at(1, 10), end=at(1, 16))
    with pytest.raises(Conflict):  # too early
        services.check_out(reservation, actor=staff, now=at(1, 8))
    services.check_out(reservation, actor=staff, now=at(1, 9, 30), condition="Compleet")
    item = reservation.items[0]
    assert item.checked_out_by_id == staff.id and item.condition_out == "Compleet"
    services.take_back(
        reservation,
        actor=staff,
        now=at(1, 14),
        asset_ids=[item.asset_id],
        damage_report="Scherm gebarsten",
        card_wiped=True,
    )
    assert reservation.status is ReservationStatus.RETURNED
    assert item.asset.status is AssetStatus.MAINTENANCE
    assert item.card_wiped is True and item.damage_report == "Scherm gebarsten"


def test_returning_early_frees_the_asset_from_that_moment(teacher, staff):
    camera = make_type(assets=1)
    reservation = reserve(teacher, camera, start=at(1, 10), end=at(3, 16))
    services.check_out(reservation, actor=staff, now=at(1, 10))
    services.take_back(
        reservation, actor=staff, now=at(2, 9), asset_ids=[reservation.items[0].asset_id]
    )
    later = reserve(make_user(), camera, start=at(2, 10), end=at(2, 12), now=at(2, 9))
    assert later.status is ReservationStatus.APPROVED


def test_overdue_asset_stays_blocked_until_it_is_returned(teacher, staff):
    camera = make_type(assets=1)
    reservation = reserve(teacher, camera, start=at(1, 10), end=at(1, 16))
    services.check_out(reservation, actor=staff, now=at(1, 10))
    with pytest.raises(services.NoFreeAssets):
        reserve(make_user(), camera, start=at(8, 10), end=at(8, 12), now=at(3, 9))
    services.take_back(
        reservation, actor=staff, now=at(3, 10), asset_ids=[reservation.items[0].asset_id]
    )
    assert reserve(make_user(), camera, start=at(8, 10), end=at(8, 12), now=at(3, 11)).items


def test_swap_gives_a_reservation_another_free_asset(teacher, staff):
    camera = make_type(assets=2)
    reservation = reserve(teacher, camera)
    old = reservation.items[0].asset_id
    spare = services.swap_asset(reservation, reservation.items[0], actor=staff, now=NOW)
    assert spare.id != old and reservation.items[0].asset_id == spare.id


def test_pending_requests_past_their_start_expire(teacher):
    drones = make_type(assets=1, needs_approval=True)
    reservation = reserve(teacher, drones, start=at(1, 10), end=at(1, 12))
    assert services.expire_stale(now=at(1, 9)) == 0
    assert services.expire_stale(now=at(1, 10)) == 1
    assert reservation.status is ReservationStatus.EXPIRED
    assert not reservation.items[0].is_active


def test_retired_asset_is_never_allocated(teacher):
    camera = make_type(assets=0)
    make_asset(camera, tag="OLD", status=AssetStatus.RETIRED)
    with pytest.raises(services.NoFreeAssets):
        reserve(teacher, camera)


@pytest.mark.postgres_only
def test_exclusion_constraint_exists_and_refuses_overlaps(teacher, app_ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    names = db.session.scalars(
        sa.text("SELECT conname FROM pg_constraint WHERE contype = 'x'")
    ).all()
    assert "ex_reservation_item_no_overlap" in names
    camera = make_type(assets=1)
    reservation = reserve(teacher, camera)
    asset = db.session.get(Asset, reservation.items[0].asset_id)
    # Bypass the service's check: the database itself must refuse the overlap.
    db.session.add(
        ReservationItem(
            reservation_id=reservation.id,
            asset_id=asset.id,
            starts_at=at(1, 11),
            blocked_until=at(1, 12),
        )
    )
    with pytest.raises(Conflict):
        services._flush_or_conflict()
    db.session.rollback()


def test_cli_expires_stale_requests(app, runner):
    with app.app_context():
        drones = make_type(assets=1, needs_approval=True)
        reservation = reserve(make_user(), drones, start=at(1, 10), end=at(1, 12))
        db.session.commit()
        reservation_id = reservation.id
    from straxlab.core import clock

    with clock.frozen(at(1, 11)):
        result = runner.invoke(args=["lending", "expire-stale"])
    assert result.exit_code == 0 and "1 request(s) expired." in result.output
    with app.app_context():
        from straxlab.equipment.models import Reservation

        assert db.session.get(Reservation, reservation_id).status is ReservationStatus.EXPIRED


def test_kit_with_a_retired_component_cannot_be_reserved(teacher):
    drone = make_type(assets=1)
    case = make_type(assets=1, is_retired=True)
    kit = make_kit("Oude dronekit", {drone: 1, case: 1})
    with pytest.raises(InvalidRequest):
        make_reservation(teacher, kit=kit, starts_at=at(1, 10), ends_at=at(1, 12), now=NOW)


def test_recording_device_without_a_wiped_card_goes_to_maintenance(teacher, staff):
    recorder = make_type(assets=1, holds_recordings=True)
    reservation = reserve(teacher, recorder, start=at(1, 10), end=at(1, 16))
    services.check_out(reservation, actor=staff, now=at(1, 10))
    item = reservation.items[0]
    services.take_back(reservation, actor=staff, now=at(1, 15), asset_ids=[item.asset_id])
    assert item.card_wiped is False
    assert item.asset.status is AssetStatus.MAINTENANCE
    assert "geheugenkaart" in item.asset.condition_note.lower()


def test_device_without_recordings_needs_no_card_confirmation(teacher, staff):
    lights = make_type(assets=1)
    reservation = reserve(teacher, lights, start=at(1, 10), end=at(1, 16))
    services.check_out(reservation, actor=staff, now=at(1, 10))
    item = reservation.items[0]
    services.take_back(reservation, actor=staff, now=at(1, 15), asset_ids=[item.asset_id])
    assert item.card_wiped is None and item.asset.status is AssetStatus.AVAILABLE


def test_staff_cannot_waive_the_loan_cap_that_bounds_the_overlap_query(teacher, staff):
    camera = make_type(assets=1, max_loan_days=100)
    with pytest.raises(InvalidRequest) as caught:
        reserve(
            teacher,
            camera,
            start=at(1, 10),
            end=at(1, 10) + timedelta(days=90),
            actor=staff,
            override_reason="Hele periode nodig",
        )
    assert caught.value.field == "ends_at"


def test_quota_counts_the_busiest_moment(teacher):
    recorders = make_type(assets=12)
    settings.put("lending.max_assets_per_borrower", 6, actor_id=None, now=NOW)
    reserve(teacher, recorders, quantity=5, start=at(1, 10), end=at(1, 12))
    reserve(teacher, recorders, quantity=5, start=at(3, 10), end=at(3, 12))
    # Monday to Friday overlaps both, but never more than 5 at once: one more fits.
    assert reserve(teacher, recorders, quantity=1, start=at(1, 9), end=at(4, 16)).items


@pytest.mark.postgres_only
def test_approve_after_a_cancel_in_the_same_moment_sees_the_cancel(app_ctx, teacher, staff):
    """Staff have the request loaded while the teacher cancels it in another transaction."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite: BEGIN IMMEDIATE lets only one of them write at a time")
    from sqlalchemy.orm import Session

    from straxlab.equipment.models import Reservation

    drones = make_type(assets=1, needs_approval=True)
    reservation = reserve(teacher, drones)
    db.session.commit()
    assert reservation.status is ReservationStatus.PENDING  # loaded in staff's transaction
    with Session(db.engine) as other:
        theirs = other.get(Reservation, reservation.id)
        theirs.status = ReservationStatus.CANCELLED
        for item in theirs.items:
            item.is_active = False
        other.commit()
    with pytest.raises(Conflict):
        services.approve(reservation, actor=staff, now=NOW)
    db.session.rollback()


def test_early_pickup_claims_the_asset_from_the_handover(teacher, staff):
    camera = make_type(assets=1)
    reservation = reserve(teacher, camera, start=at(1, 10), end=at(1, 12))
    services.check_out(reservation, actor=staff, now=at(1, 9, 15))
    assert reservation.items[0].starts_at == at(1, 9, 15)


def test_early_pickup_refused_while_someone_else_holds_the_asset(teacher, staff):
    camera = make_type(assets=1)
    reserve(make_user(), camera, start=at(1, 9), end=at(1, 10))
    reservation = reserve(teacher, camera, start=at(1, 10), end=at(1, 12), now=NOW)
    with pytest.raises(Conflict):
        services.check_out(reservation, actor=staff, now=at(1, 9, 30))


def test_changing_a_kit_reservation_keeps_the_kit_as_it_was_reserved(teacher, staff):
    drone = make_type(name="Drone", assets=2)
    case = make_type(name="Koffer", assets=2)
    kit = make_kit("Dronekit", {drone: 1, case: 1})
    reservation = make_reservation(
        teacher, kit=kit, starts_at=at(1, 10), ends_at=at(1, 16), now=NOW
    )
    kit.components = [c for c in kit.components if c.equipment_type_id == drone.id]
    db.session.flush()
    services.change_reservation(
        reservation,
        actor=teacher,
        period=Interval(at(1, 11), at(1, 15)),
        quantity=1,
        purpose="Luchtbeelden",
        now=NOW,
    )
    assert sorted(i.asset.equipment_type.name for i in reservation.items) == ["Drone", "Koffer"]


def test_take_back_records_the_asset_going_to_maintenance_and_keeps_its_note(teacher, staff):
    camera = make_type(assets=1)
    reservation = reserve(teacher, camera, start=at(1, 10), end=at(1, 16))
    asset = reservation.items[0].asset
    asset.condition_note = "Kras op de behuizing"
    services.check_out(reservation, actor=staff, now=at(1, 10))
    services.take_back(
        reservation, actor=staff, now=at(1, 15), asset_ids=[asset.id], damage_report="Lens stuk"
    )
    assert asset.condition_note == "Kras op de behuizing\nLens stuk"
    event = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.object_type == "asset", AuditEvent.action == "asset.status_changed"
        )
    ).one()
    assert event.object_id == asset.id and event.details["new"] == "maintenance"


def test_approved_reservations_nobody_picked_up_expire_after_their_end(teacher):
    camera = make_type(assets=1)
    reservation = reserve(teacher, camera, start=at(1, 10), end=at(1, 12))
    assert services.expire_stale(now=at(1, 11)) == 0
    assert services.expire_stale(now=at(1, 12)) == 1
    assert reservation.status is ReservationStatus.EXPIRED
    assert not reservation.items[0].is_active


def test_both_limits_are_named_with_their_own_number(teacher):
    camera = make_type(assets=1, max_loan_days=3, max_advance_days=30)
    with pytest.raises(InvalidRequest, match="3 dagen"):
        reserve(
            teacher,
            camera,
            start=at(30, 10) + timedelta(days=35),
            end=at(30, 10) + timedelta(days=40),
        )
