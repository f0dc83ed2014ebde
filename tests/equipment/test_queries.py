"""Read-side queries of the lending pages against the real database."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from straxlab.equipment import queries, services
from straxlab.equipment.models import Reservation
from straxlab.equipment.rules import AssetStatus, ClosedPeriod, Interval, ReservationStatus
from straxlab.equipment.settings import opening_hours
from straxlab.extensions import db
from tests.factories import (
    make_asset,
    make_category,
    make_kit,
    make_reservation,
    make_type,
    make_user,
)

AMS = ZoneInfo("Europe/Amsterdam")
# Monday 30 November 2026, 09:00 in the lab.
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=AMS).astimezone(UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    month = 11 if day == 30 else 12
    return datetime(2026, month, day, hour, minute, tzinfo=AMS).astimezone(UTC)


def reserve(user, equipment_type, start, end, **kwargs) -> Reservation:
    return make_reservation(
        user, equipment_type=equipment_type, starts_at=start, ends_at=end, now=NOW, **kwargs
    )


@pytest.fixture
def staff(app_ctx):
    return make_user(role="staff")


def test_free_counts_agree_with_the_allocation_rule(app_ctx, staff):
    """Whatever the catalogue says is free is what the services would find free."""
    camera = make_type(assets=4, turnaround_minutes=60)
    make_asset(camera, status=AssetStatus.MAINTENANCE)
    reserve(make_user(), camera, at(1, 10), at(1, 12))
    pending = make_type(assets=2, needs_approval=True)
    reserve(make_user(), pending, at(1, 13), at(2, 10))
    gone = reserve(make_user(), camera, at(2, 10), at(2, 16))
    services.cancel_reservation(gone, actor=staff, now=NOW)
    out = reserve(make_user(), camera, at(30, 9, 30), at(30, 16))
    services.check_out(out, actor=staff, now=NOW)
    later = at(3, 9)  # the loan that was due on 30 November has not come back
    periods = [
        Interval(at(1, 9), at(1, 10)),
        Interval(at(1, 12), at(1, 14)),
        Interval(at(1, 12, 30), at(1, 14)),
        Interval(at(1, 13), at(1, 14)),
        Interval(at(2, 9), at(2, 10)),
        Interval(at(8, 10), at(8, 12)),
    ]
    usable = queries.usable_counts([camera.id, pending.id])
    assert usable == {camera.id: 4, pending.id: 2}
    for period in periods:
        checks = {(camera.id, 60), (pending.id, 0), (camera.id, 0)}
        free = queries.free_counts(checks, period, now=later, usable=usable)
        for type_id, turnaround in checks:
            window = Interval(period.start, period.end + timedelta(minutes=turnaround))
            busy = services.busy_asset_ids([type_id], window, now=later)
            usable_ids = {a.id for a in services.usable_assets([type_id])}
            expected = len(usable_ids - busy)
            assert free[(type_id, turnaround)] == expected, (period, type_id, turnaround)


def test_each_type_is_checked_with_its_own_turnaround(app_ctx):
    slow = make_type(assets=1, turnaround_minutes=60)
    quick = make_type(assets=1)
    reserve(make_user(), slow, at(1, 10), at(1, 12))
    reserve(make_user(), quick, at(1, 10), at(1, 12))
    period = Interval(at(1, 12, 30), at(1, 14))
    usable = queries.usable_counts([slow.id, quick.id])
    free = queries.free_counts({(slow.id, 60), (quick.id, 0)}, period, now=NOW, usable=usable)
    assert free == {(slow.id, 60): 0, (quick.id, 0): 1}


def test_catalogue_groups_types_and_counts_kits(app_ctx):
    audio = make_category("Audio")
    video = make_category("Video")
    recorder = make_type(name="Recorder", category=audio, assets=2)
    make_type(name="Oud", category=audio, assets=2, is_retired=True)
    camera = make_type(name="Camera", category=video, assets=3, turnaround_minutes=120)
    make_kit("Vlogkit", {recorder: 1, camera: 2})
    make_kit("Oude kit", {recorder: 1}, is_retired=True)
    make_kit("Lege kit", {})
    reserve(make_user(), camera, at(1, 10), at(1, 12))
    groups, kits = queries.catalogue(None, now=NOW)
    assert [(g.category.name, [t.equipment_type.name for t in g.types]) for g in groups] == [
        ("Audio", ["Recorder"]),
        ("Video", ["Camera"]),
    ]
    assert [(k.kit.name, k.usable, k.free) for k in kits] == [("Vlogkit", 1, None)]
    # The kit holds its assets for the longest turnaround of its parts: two hours.
    groups, kits = queries.catalogue(Interval(at(1, 13), at(1, 15)), now=NOW)
    camera_entry = groups[1].types[0]
    assert (camera_entry.usable, camera_entry.free) == (3, 2)
    assert kits[0].free == 1 and kits[0].turnaround_minutes == 120


@pytest.mark.parametrize(
    ("raw", "monday"),
    [
        ("2026-12-03", date(2026, 11, 30)),
        ("2026-12-07", date(2026, 12, 7)),
        ("nonsense", date(2026, 11, 30)),
        ("1900-01-01", date(2026, 11, 30)),
        (None, date(2026, 11, 30)),
    ],
)
def test_week_of(raw, monday):
    assert queries.week_of(raw, date(2026, 12, 2)) == monday


@pytest.mark.parametrize(
    ("today", "monday"),
    [
        (date(2026, 11, 30), date(2026, 11, 30)),  # Monday
        (date(2026, 12, 4), date(2026, 11, 30)),  # Friday: the desk still opens today
        (date(2026, 12, 5), date(2026, 12, 7)),  # Saturday: the coming week
        (date(2026, 12, 6), date(2026, 12, 7)),  # Sunday
    ],
)
def test_default_week_skips_to_the_coming_week_at_the_weekend(app_ctx, today, monday):
    assert queries.default_week(today, opening_hours()) == monday


def test_default_week_follows_the_desks_days(app_ctx):
    saturdays_too = dataclasses.replace(opening_hours(), weekdays=frozenset(range(1, 7)))
    assert queries.default_week(date(2026, 12, 5), saturdays_too) == date(2026, 11, 30)
    assert queries.default_week(date(2026, 12, 6), saturdays_too) == date(2026, 12, 7)


def test_availability_grid_shows_loan_times_but_holds_through_the_turnaround(app_ctx, staff):
    camera = make_type(assets=1, turnaround_minutes=30)
    early = reserve(make_user(), camera, at(1, 9), at(1, 11))
    reserve(make_user(), camera, at(1, 13), at(1, 16, 45))
    zone = services.lab_zone()
    days = queries.week_days(
        date(2026, 11, 30), hours=opening_hours(), closures=[], zone=zone, today=date(2026, 12, 1)
    )
    grid = queries.availability_grid(
        camera, days, now=NOW, zone=zone, viewer_id=staff.id, show_names=True
    )
    monday, tuesday = grid[0].cells[:2]
    assert days[0].is_past and not days[1].is_past
    assert (monday.state, monday.slots, monday.reserve_args) == ("past", [], None)
    assert tuesday.state == "reserved"
    assert [(s.from_time, s.until_time, s.free_from) for s in tuesday.slots] == [
        ("09:00", "11:00", "11:30"),
        ("13:00", "16:45", None),  # held until 17:15, after closing: not free again that day
    ]
    assert tuesday.slots[0].reservation_id == early.id


def test_availability_grid_hides_other_borrowers_unless_allowed(app_ctx, staff):
    viewer = make_user()
    borrower = make_user(name="Bram Bezet")
    camera = make_type(assets=2)
    theirs = reserve(borrower, camera, at(1, 10), at(1, 12))
    mine = reserve(viewer, camera, at(1, 13), at(1, 15))
    zone = services.lab_zone()
    days = queries.week_days(
        date(2026, 11, 30), hours=opening_hours(), closures=[], zone=zone, today=date(2026, 11, 30)
    )

    def tuesday(show_names: bool):
        grid = queries.availability_grid(
            camera, days, now=NOW, zone=zone, viewer_id=viewer.id, show_names=show_names
        )
        return [slot for row in grid for slot in row.cells[1].slots]

    hidden = tuesday(show_names=False)
    assert {(s.borrower, s.reservation_id, s.mine) for s in hidden} == {
        (None, None, False),
        (None, mine.id, True),
    }
    shown = tuesday(show_names=True)
    assert ("Bram Bezet", theirs.id) in {(s.borrower, s.reservation_id) for s in shown}


def test_availability_grid_keeps_an_overdue_loan_until_it_comes_back(app_ctx, staff):
    camera = make_type(assets=1)
    out = reserve(make_user(), camera, at(30, 9, 30), at(30, 12))
    services.check_out(out, actor=staff, now=NOW)
    zone = services.lab_zone()
    closed = [ClosedPeriod(date(2026, 12, 10), date(2026, 12, 10), "Studiedag")]
    days = queries.week_days(
        date(2026, 12, 7),
        hours=opening_hours(),
        closures=closed,
        zone=zone,
        today=date(2026, 12, 2),
    )
    assert days[3].closed and days[3].reason == "Studiedag" and days[5].closed
    grid = queries.availability_grid(
        camera, days, now=at(2, 9), zone=zone, viewer_id=staff.id, show_names=True
    )
    cells = grid[0].cells
    assert all(cell.state == "out" for cell in cells)
    assert all(slot.overdue and slot.until_time is None for cell in cells for slot in cell.slots)
    services.take_back(out, actor=staff, now=at(2, 10), asset_ids=[out.items[0].asset_id])
    grid = queries.availability_grid(
        camera, days, now=at(2, 11), zone=zone, viewer_id=staff.id, show_names=True
    )
    assert [cell.state for cell in grid[0].cells] == [
        "free", "free", "free", "closed", "free", "closed", "closed"
    ]  # fmt: skip
    assert grid[0].cells[0].reserve_args == {
        "start_date": "2026-12-07",
        "start_time": "08:30",
        "end_date": "2026-12-07",
        "end_time": "17:00",
    }


def test_teacher_home_lists_the_next_active_reservations(app_ctx, staff):
    teacher = make_user()
    camera = make_type(assets=1)
    cancelled = reserve(teacher, camera, at(1, 9), at(1, 10))
    services.cancel_reservation(cancelled, actor=teacher, now=NOW)
    made = [reserve(teacher, camera, at(day, 10), at(day, 11)) for day in (4, 3, 2, 1, 7, 8)]
    home = queries.teacher_home(teacher, NOW)
    assert [listed.reservation.id for listed in home["next_reservations"]] == [
        made[3].id,
        made[2].id,
        made[1].id,
        made[0].id,
        made[4].id,
    ]
    assert home["more_reservations"] is True
    assert queries.teacher_home(make_user(), NOW) == {
        "next_reservations": [],
        "more_reservations": False,
    }


def test_my_reservations_sorts_by_what_happened(app_ctx, staff):
    teacher = make_user()
    camera = make_type(assets=2)
    out = reserve(teacher, camera, at(30, 9, 30), at(30, 12))
    services.check_out(out, actor=staff, now=NOW)
    coming = reserve(teacher, camera, at(2, 10), at(2, 12))
    rejected = reserve(teacher, make_type(assets=1, needs_approval=True), at(3, 10), at(3, 12))
    services.reject(rejected, actor=staff, now=NOW, reason="Geen certificaat")
    lists = queries.my_reservations(teacher, at(30, 13), page=1)
    assert [(x.reservation.id, x.overdue) for x in lists["current"]] == [(out.id, True)]
    assert [x.reservation.id for x in lists["upcoming"]] == [coming.id]
    assert [r.id for r in lists["past"].items] == [rejected.id]
    assert rejected.status is ReservationStatus.REJECTED
    assert db.session.get(Reservation, coming.id).requester_id == teacher.id
