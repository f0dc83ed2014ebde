"""Read-side queries of the lending desk: today's list, overdue gear, one asset, the approval
queue's findings, and the number of statements they take."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from straxlab.core import settings
from straxlab.equipment import desk_queries, services
from straxlab.equipment.models import Asset, Qualification, Reservation
from straxlab.equipment.rules import AssetStatus, ReservationStatus
from straxlab.equipment.settings import MAX_ASSETS_PER_BORROWER
from straxlab.extensions import db
from tests.factories import make_kit, make_reservation, make_type, make_user

AMS = ZoneInfo("Europe/Amsterdam")
DRONE_LICENCE = "Drone pilot A1/A3"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in December 2026 (day 30 is 30 November) on the lab's wall clock."""
    month = 11 if day == 30 else 12
    return datetime(2026, month, day, hour, minute, tzinfo=AMS).astimezone(UTC)


# Wednesday 2 December 2026, 09:00: the moment the desk looks at.
NOW = at(2, 9)
BOOKED = at(30, 9)  # when the reservations were made


@contextmanager
def count_statements():
    """Count the SQL statements run inside the block."""
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)


def licence(user, *, valid_until: date | None = None):
    row = Qualification(
        user_id=user.id, kind=DRONE_LICENCE, valid_until=valid_until, checked_at=BOOKED
    )
    db.session.add(row)
    db.session.flush()
    return row


def build_desk_scenario() -> dict[str, int]:
    """A desk on Wednesday morning (call inside an app context; commits).

    - Xander has a drone out since Tuesday 10:00, due back Tuesday 12:00: overdue.
    - Yara's pending drone request (Thursday 10-12) holds that same drone; her licence has
      since been withdrawn. Zeno's pending drone request (Thursday 11-13) overlaps hers.
    - Zeno also holds a recorder on Thursday, which puts him over a quota of one item.
    - Vera's pending VR request holds the only headset, which has gone to maintenance.
    - Today: Quinten's recorder is due back at 11:00; Pim picks one up at 10:00 and Rosa
      at 14:00.
    """
    staff = make_user(role="staff", name="Sanne Balie", email="sanne@school.example")
    xander = make_user(name="Xander Laat", email="xander@school.example")
    yara = make_user(name="Yara Volgend", email="yara@school.example")
    zeno = make_user(name="Zeno Tegelijk", email="zeno@school.example")
    vera = make_user(name="Vera Virtueel", email="vera@school.example")
    pim = make_user(name="Pim Ophaal", email="pim@school.example")
    quinten = make_user(name="Quinten Terug", email="quinten@school.example")
    rosa = make_user(name="Rosa Middag", email="rosa@school.example")

    drone = make_type(
        name="DJI Mini 4", assets=3, needs_approval=True, required_qualification=DRONE_LICENCE
    )
    recorder = make_type(name="Zoom H5", assets=3, holds_recordings=True)
    headset = make_type(name="Meta Quest 3", assets=1, needs_approval=True)

    loan = make_reservation(
        xander,
        equipment_type=drone,
        starts_at=at(1, 10),
        ends_at=at(1, 12),
        actor=staff,
        now=BOOKED,
        override_reason="Instructie op de baan gehad",
    )
    yara_licence = licence(yara)
    licence(zeno)
    waiting = make_reservation(
        yara, equipment_type=drone, starts_at=at(3, 10), ends_at=at(3, 12), now=BOOKED
    )
    rival = make_reservation(
        zeno, equipment_type=drone, starts_at=at(3, 11), ends_at=at(3, 13), now=BOOKED
    )
    quinten_loan = make_reservation(
        quinten, equipment_type=recorder, starts_at=at(1, 10), ends_at=at(2, 11), now=BOOKED
    )
    pickup = make_reservation(
        pim, equipment_type=recorder, starts_at=at(2, 10), ends_at=at(2, 15), now=BOOKED
    )
    afternoon = make_reservation(
        rosa, equipment_type=recorder, starts_at=at(2, 14), ends_at=at(2, 16), now=BOOKED
    )
    zeno_recorder = make_reservation(
        zeno, equipment_type=recorder, starts_at=at(3, 10), ends_at=at(3, 12), now=BOOKED
    )
    vr = make_reservation(
        vera, equipment_type=headset, starts_at=at(4, 10), ends_at=at(4, 12), now=BOOKED
    )
    services.check_out(loan, actor=staff, now=at(1, 10))
    services.check_out(quinten_loan, actor=staff, now=at(1, 10))
    vr.items[0].asset.status = AssetStatus.MAINTENANCE
    db.session.delete(yara_licence)
    settings.put(MAX_ASSETS_PER_BORROWER.key, 1, actor_id=staff.id, now=BOOKED)
    db.session.commit()
    return {
        "staff": staff.id,
        "drone": drone.id,
        "recorder": recorder.id,
        "headset": headset.id,
        "loan": loan.id,
        "overdue_asset": loan.items[0].asset_id,
        "waiting": waiting.id,
        "waiting_item": waiting.items[0].id,
        "rival": rival.id,
        "quinten": quinten_loan.id,
        "pickup": pickup.id,
        "afternoon": afternoon.id,
        "zeno_recorder": zeno_recorder.id,
        "vr": vr.id,
        "vr_asset": vr.items[0].asset_id,
    }


@pytest.fixture
def scenario(app_ctx):
    return build_desk_scenario()


def test_today_lists_overdue_returns_first_then_pickups_and_returns_by_time(scenario):
    today = desk_queries.today_at_desk(NOW)
    order = [(row.kind, row.reservation.id, row.overdue) for row in today.rows]
    assert order == [
        ("return", scenario["loan"], True),
        ("pickup", scenario["pickup"], False),
        ("return", scenario["quinten"], False),
        ("pickup", scenario["afternoon"], False),
    ]
    ready = {row.reservation.id: row.ready for row in today.rows if row.kind == "pickup"}
    # Pickups can be handed out from one hour before their start.
    assert ready == {scenario["pickup"]: True, scenario["afternoon"]: False}
    assert today.overdue_count == 1
    assert today.pending_count == 3
    assert desk_queries.desk_today(NOW)["desk"].rows[0].reservation.id == scenario["loan"]


def test_tomorrows_pickups_and_returned_loans_are_not_on_todays_list(scenario):
    staff = db.session.get(Reservation, scenario["quinten"]).requester
    quinten = db.session.get(Reservation, scenario["quinten"])
    services.take_back(
        quinten,
        actor=db.session.get(type(staff), scenario["staff"]),
        now=NOW,
        asset_ids=[quinten.items[0].asset_id],
    )
    ids = {row.reservation.id for row in desk_queries.today_at_desk(NOW).rows}
    assert scenario["quinten"] not in ids
    assert scenario["zeno_recorder"] not in ids
    # The next day, the overdue loan is still on top; yesterday's pickups are over.
    later = desk_queries.today_at_desk(at(3, 9))
    assert later.rows[0].reservation.id == scenario["loan"]
    assert scenario["pickup"] not in {row.reservation.id for row in later.rows}


def test_endangered_lists_the_next_reservation_of_an_overdue_asset(scenario):
    rows = desk_queries.endangered(NOW)
    assert [(r.asset.id, r.overdue and r.overdue.id, r.next.id) for r in rows] == [
        (scenario["overdue_asset"], scenario["loan"], scenario["waiting"]),
        # Vera's request holds the headset that is in maintenance.
        (scenario["vr_asset"], None, scenario["vr"]),
    ]
    assert rows[0].next_item.id == scenario["waiting_item"]
    assert not rows[0].unusable and rows[1].unusable
    # Before the loan is due back only the headset in maintenance endangers a reservation.
    assert [r.next.id for r in desk_queries.endangered(at(1, 11))] == [scenario["vr"]]


def _maintenance_case():
    """A camera in maintenance held by reservations in every state; a retired one held too."""
    staff = make_user(role="staff")
    camera = make_type(name="Sony ZV-1", assets=3)
    broken, spare, old = db.session.scalars(
        sa.select(Asset).where(Asset.equipment_type_id == camera.id).order_by(Asset.tag)
    ).all()

    def book(starts_at, ends_at):
        reservation = make_reservation(
            make_user(), equipment_type=camera, starts_at=starts_at, ends_at=ends_at, now=BOOKED
        )
        reservation.items[0].asset = broken
        db.session.flush()
        return reservation

    over = book(at(1, 10), at(1, 12))  # Tuesday: its period is over
    missed = book(at(2, 8, 30), at(2, 12))  # today, pickup passed, nobody came yet
    later = book(at(3, 10), at(3, 12))
    pending = make_reservation(
        make_user(), equipment_type=camera, starts_at=at(4, 10), ends_at=at(4, 12), now=BOOKED
    )
    pending.status = ReservationStatus.PENDING
    pending.items[0].asset = broken
    cancelled = book(at(4, 14), at(4, 16))
    services.cancel_reservation(cancelled, actor=cancelled.requester, now=BOOKED)
    # Out on loan with the asset that is retired meanwhile: not waiting for it any more.
    out = make_reservation(
        make_user(), equipment_type=camera, starts_at=at(2, 8, 30), ends_at=at(2, 16), now=BOOKED
    )
    out.items[0].asset = old
    db.session.flush()
    services.check_out(out, actor=staff, now=at(2, 8, 30))
    retired_held = make_reservation(
        make_user(), equipment_type=camera, starts_at=at(7, 10), ends_at=at(7, 12), now=BOOKED
    )
    retired_held.items[0].asset = old
    broken.status = AssetStatus.MAINTENANCE
    old.status = AssetStatus.RETIRED
    db.session.commit()
    return {
        "broken": broken.id,
        "spare": spare.id,
        "old": old.id,
        "over": over.id,
        "missed": missed.id,
        "later": later.id,
        "pending": pending.id,
        "cancelled": cancelled.id,
        "out": out.id,
        "retired_held": retired_held.id,
    }


def test_endangered_lists_waiting_reservations_that_hold_an_asset_in_maintenance(app_ctx):
    case = _maintenance_case()
    rows = desk_queries.endangered(NOW)
    # Pending and approved ones not yet picked up whose period is not over; not the one out
    # already, not the cancelled one, not Tuesday's.
    assert [r.next.id for r in rows] == [
        case["missed"],
        case["later"],
        case["pending"],
        case["retired_held"],
    ]
    assert all(r.unusable and r.overdue is None for r in rows)
    assert [r.asset.id for r in rows] == [case["broken"]] * 3 + [case["old"]]
    # The same reservations are the ones told about when the asset goes to maintenance.
    held = desk_queries.holders([case["broken"]], NOW)
    assert [i.reservation_id for i in held] == [case["missed"], case["later"], case["pending"]]
    assert desk_queries.holders([], NOW) == []
    assert desk_queries.desk_today(NOW)["endangered_count"] == 4


def test_endangered_takes_the_same_number_of_statements_for_more_rows(app_ctx):
    _maintenance_case()
    build_desk_scenario()

    def statements() -> int:
        db.session.expunge_all()
        with count_statements() as seen:
            rows = desk_queries.endangered(NOW)
            for row in rows:
                assert row.next.requester.name and row.asset.equipment_type.name
                assert row.overdue is None or row.overdue.requester.name
        return len([s for s in seen if not s.startswith("BEGIN")])

    few = statements()
    camera = db.session.scalars(sa.select(Asset).where(Asset.status == AssetStatus.MAINTENANCE))
    broken = next(iter(camera))
    for day in (8, 9, 10):
        reservation = make_reservation(
            make_user(),
            equipment_type=broken.equipment_type,
            starts_at=at(day, 10),
            ends_at=at(day, 12),
            now=BOOKED,
        )
        reservation.items[0].asset = broken
    db.session.commit()
    assert statements() == few


def test_a_pickup_nobody_came_for_is_missed_after_half_an_hour(scenario):
    def pickup_row(now):
        rows = desk_queries.today_at_desk(now).rows
        return next(r for r in rows if r.reservation.id == scenario["pickup"])

    # Pim's pickup is at 10:00.
    assert not pickup_row(at(2, 10, 29)).missed and pickup_row(at(2, 10, 29)).ready
    row = pickup_row(at(2, 10, 30))
    assert row.missed and row.ready
    reservation = db.session.get(Reservation, scenario["pickup"])
    assert desk_queries.is_missed_pickup(reservation, at(2, 14))
    # Over, or handed out: no longer a missed pickup.
    assert not desk_queries.is_missed_pickup(reservation, at(2, 15))
    services.check_out(
        reservation, actor=db.session.get(type(reservation.requester), scenario["staff"]), now=NOW
    )
    assert not desk_queries.is_missed_pickup(reservation, at(2, 14))


def test_all_reservations_overlap_the_days_and_include_every_loan_still_out(scenario):
    def listed(first, last, status=None):
        query = desk_queries.all_reservations(first=first, last=last, status=status)
        return {r.id for r in db.session.scalars(query)}

    # Thursday only: Yara's and Zeno's requests; Xander's overdue drone and Quinten's recorder
    # are still out, so they are listed whatever the days.
    thursday = date(2026, 12, 3)
    assert listed(thursday, thursday) == {
        scenario["waiting"],
        scenario["rival"],
        scenario["zeno_recorder"],
        scenario["loan"],
        scenario["quinten"],
    }
    # A period that started before the first day but overlaps it is listed.
    assert scenario["pickup"] in listed(date(2026, 12, 2), date(2026, 12, 2))
    far = date(2027, 3, 1)
    assert listed(far, far) == {scenario["loan"], scenario["quinten"]}
    assert listed(far, far, ReservationStatus.CHECKED_OUT) == {
        scenario["loan"],
        scenario["quinten"],
    }
    assert listed(far, far, ReservationStatus.APPROVED) == set()
    # Once back, a loan is listed by its days only.
    quinten = db.session.get(Reservation, scenario["quinten"])
    services.take_back(
        quinten,
        actor=db.session.get(type(quinten.requester), scenario["staff"]),
        now=NOW,
        asset_ids=[quinten.items[0].asset_id],
        card_wiped=True,
    )
    assert listed(far, far) == {scenario["loan"]}


def test_asset_state_knows_who_has_it_who_is_next_and_what_to_do(scenario):
    overdue = db.session.get(Asset, scenario["overdue_asset"])
    state = desk_queries.asset_state(overdue, NOW)
    assert state.action == "check_in"
    assert state.current.id == scenario["loan"] and state.next.id == scenario["waiting"]

    pickup = db.session.get(Reservation, scenario["pickup"])
    state = desk_queries.asset_state(pickup.items[0].asset, NOW)
    assert state.action == "check_out" and state.current.id == scenario["pickup"]
    # Two hours early it is only the next reservation, not yet to be handed out.
    early = desk_queries.asset_state(pickup.items[0].asset, at(2, 8))
    assert early.action is None and early.current is None and early.next.id == pickup.id

    headset = db.session.get(Asset, scenario["vr_asset"])
    state = desk_queries.asset_state(headset, at(4, 9, 30))
    assert state.action is None and not state.usable
    # A pending request is never due for pickup: it is the next reservation, nothing more.
    assert state.current is None and state.next.id == scenario["vr"]


def test_find_asset_ignores_case_and_spaces(scenario):
    asset = db.session.get(Asset, scenario["overdue_asset"])
    assert desk_queries.find_asset(f"  {asset.tag.lower()} ").id == asset.id
    assert desk_queries.find_asset("NO-SUCH-TAG") is None
    assert desk_queries.find_asset("   ") is None


def test_approval_findings_show_supply_rivals_maintenance_overdue_and_limits(scenario):
    pending = db.session.scalars(desk_queries.pending_requests()).all()
    assert [r.id for r in pending] == [scenario["waiting"], scenario["rival"], scenario["vr"]]
    findings = desk_queries.approval_findings(pending, NOW)

    yara = findings[scenario["waiting"]]
    # Three drones: one still out overdue (her own), one Zeno's; one free left after hers.
    assert [(s.equipment_type.id, s.wanted, s.free_after) for s in yara.supply] == [
        (scenario["drone"], 1, 0)
    ]
    assert [r.id for r in yara.competing] == [scenario["rival"]]
    assert [a.id for a in yara.out_overdue] == [scenario["overdue_asset"]]
    assert yara.in_maintenance == []
    # Worded in the lab's language (Dutch by default), naming the person and the certificate.
    assert yara.problems == ["Voor Yara Volgend is geen geldig “Drone pilot A1/A3” geregistreerd."]
    assert not yara.clear

    zeno = findings[scenario["rival"]]
    # Yara's drone overlaps his period; his own and the spare are free: one left after his.
    assert [s.free_after for s in zeno.supply] == [1]
    assert [r.id for r in zeno.competing] == [scenario["waiting"]]
    assert zeno.out_overdue == []
    assert zeno.problems == [
        "Zeno Tegelijk zou dan 2 exemplaren tegelijk hebben; het uitleenreglement staat er 1 toe."
    ]

    vera = findings[scenario["vr"]]
    assert [a.id for a in vera.in_maintenance] == [scenario["vr_asset"]]
    assert vera.short and vera.supply[0].free_after == -1
    assert vera.competing == [] and vera.problems == []


def test_a_request_without_trouble_is_clear(app_ctx):
    teacher = make_user()
    camera = make_type(assets=2, needs_approval=True)
    request = make_reservation(
        teacher, equipment_type=camera, starts_at=at(3, 10), ends_at=at(3, 12), now=BOOKED
    )
    findings = desk_queries.approval_findings([request], NOW)[request.id]
    assert findings.clear
    assert findings.supply[0].free_after == 1
    past = desk_queries.approval_findings([request], at(3, 10))[request.id]
    assert past.pickup_passed and not past.clear


def test_kit_request_counts_every_component(app_ctx):
    teacher = make_user()
    drone = make_type(name="Drone", assets=1, needs_approval=True)
    battery = make_type(name="Accu", assets=3)
    kit = make_kit("Dronekit", {drone: 1, battery: 2})
    request = make_reservation(teacher, kit=kit, starts_at=at(3, 10), ends_at=at(3, 12), now=BOOKED)
    assert request.status is ReservationStatus.PENDING
    findings = desk_queries.approval_findings([request], NOW)[request.id]
    supply = {s.equipment_type.name: (s.wanted, s.free_after) for s in findings.supply}
    assert supply == {"Drone": (1, 0), "Accu": (2, 1)}


def _pending_requests(count: int, batch: str) -> None:
    """``count`` pending requests of different teachers, types and kits, with trouble."""
    for n in range(count):
        teacher = make_user()
        licence(teacher)
        drone = make_type(assets=2, needs_approval=True, required_qualification=DRONE_LICENCE)
        battery = make_type(assets=2)
        if n % 2:
            kit = make_kit(f"Kit {batch}{n}", {drone: 1, battery: 1})
            make_reservation(teacher, kit=kit, starts_at=at(3, 10), ends_at=at(3, 12), now=BOOKED)
        else:
            make_reservation(
                teacher, equipment_type=drone, starts_at=at(3, 10), ends_at=at(3, 12), now=BOOKED
            )
            rival = make_user()
            licence(rival)
            make_reservation(
                rival, equipment_type=drone, starts_at=at(3, 11), ends_at=at(3, 13), now=BOOKED
            )
    db.session.commit()


def _statements_for_queue() -> int:
    db.session.expunge_all()
    with count_statements() as statements:
        pending = db.session.scalars(desk_queries.pending_requests()).all()
        findings = desk_queries.approval_findings(pending, NOW)
        assert len(findings) == len(pending)
    return len(statements)


def test_approval_findings_take_the_same_number_of_statements_for_more_requests(app_ctx):
    _pending_requests(2, "a")
    few = _statements_for_queue()
    _pending_requests(8, "b")
    many = _statements_for_queue()
    assert many == few
    assert few <= 10
