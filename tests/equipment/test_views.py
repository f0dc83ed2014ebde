"""The teacher-facing lending pages over HTTP: catalogue, reserve, change, cancel, availability."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from straxlab.auth.models import User
from straxlab.core import clock, settings
from straxlab.equipment import services
from straxlab.equipment.models import Reservation
from straxlab.equipment.rules import AssetStatus, ReservationStatus
from straxlab.extensions import db
from tests.factories import (
    make_category,
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
    """An instant in December 2026 (or on 30 November) on the lab's wall clock."""
    month = 11 if day == 30 else 12
    return datetime(2026, month, day, hour, minute, tzinfo=AMS).astimezone(UTC)


def moments(start_day: int, start: str, end_day: int, end: str) -> dict[str, str]:
    def day(n: int) -> str:
        return f"2026-11-{n}" if n == 30 else f"2026-12-{n:02d}"

    return {
        "start_date": day(start_day),
        "start_time": start,
        "end_date": day(end_day),
        "end_time": end,
    }


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def build(app: Any, make: Callable[[], Any]) -> Any:
    """Run ``make`` in the database and commit; returns what it returns."""
    with app.app_context():
        result = make()
        db.session.commit()
        return result


def reservation_in_db(app: Any, reservation_id: int) -> Reservation:
    with app.app_context():
        reservation = db.session.get(Reservation, reservation_id)
        assert reservation is not None
        reservation.asset_ids = sorted(item.asset_id for item in reservation.items)
        db.session.expunge(reservation)
        return reservation


def reservation_count(app: Any) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Reservation.id))) or 0


def reserve_for(user_id: int, type_id: int, start: datetime, end: datetime, **kwargs: Any) -> int:
    """A reservation made through the service (call inside ``build``)."""
    from straxlab.equipment.models import EquipmentType

    reservation = make_reservation(
        db.session.get(User, user_id),
        equipment_type=db.session.get(EquipmentType, type_id),
        starts_at=start,
        ends_at=end,
        now=NOW,
        **kwargs,
    )
    return reservation.id


def error_of(page: str, field_id: str) -> str:
    match = re.search(rf'id="{field_id}-error">(.*?)</p>', page, re.S)
    assert match, f"no error shown for {field_id}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def textarea(page: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\r?\n?(.*?)</textarea>', page, re.S)
    assert match, f"no textarea {name}"
    return html.unescape(match.group(1))


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


# --- reserve ---------------------------------------------------------------------------------


def test_reserving_free_equipment_is_approved_at_once(app, client, auth):
    teacher = auth.login_as("teacher", locale="en")
    type_id = build(app, lambda: make_type(name="Zoom H5 recorder", assets=3).id)
    response = client.post(
        f"/equipment/reserve?type={type_id}",
        data={**moments(1, "10:00", 2, "12:00"), "quantity": "2", "purpose": "Podcast in 2B"},
    )
    assert response.status_code == 302
    reservation_id = int(response.location.rsplit("/", 1)[1])
    assert response.location == f"/reservations/{reservation_id}"
    page = client.get(response.location).get_data(as_text=True)
    assert "2 × Zoom H5 recorder is reserved for you" in page and "and approved" in page
    reservation = reservation_in_db(app, reservation_id)
    assert reservation.status is ReservationStatus.APPROVED
    assert reservation.requester_id == teacher.id
    assert (reservation.starts_at, reservation.ends_at) == (at(1, 10), at(2, 12))
    assert len(reservation.asset_ids) == 2
    for tag_number in ("01", "02"):
        assert f"T{type_id}-{tag_number}" in page


def test_reserve_accepts_datetime_local_fields(app, client, auth):
    auth.login_as("teacher", locale="en")
    type_id = build(app, lambda: make_type(assets=1).id)
    response = client.post(
        f"/equipment/reserve?type={type_id}",
        data={
            "starts_at": "2026-12-01T10:00",
            "ends_at": "2026-12-01T12:30",
            "quantity": "1",
            "purpose": "Race",
        },
    )
    assert response.status_code == 302
    reservation = reservation_in_db(app, int(response.location.rsplit("/", 1)[1]))
    assert (reservation.starts_at, reservation.ends_at) == (at(1, 10), at(1, 12, 30))


def test_equipment_that_needs_approval_waits_for_staff(app, client, auth):
    auth.login_as("teacher", locale="en")
    type_id = build(app, lambda: make_type(name="Drone", assets=1, needs_approval=True).id)
    response = client.post(
        f"/equipment/reserve?type={type_id}",
        data={**moments(1, "10:00", 1, "15:00"), "quantity": "1", "purpose": "Luchtfoto's"},
    )
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "awaiting approval by lab staff" in page
    assert 'badge--warn">Awaiting approval' in page
    reservation = reservation_in_db(app, int(response.location.rsplit("/", 1)[1]))
    assert reservation.status is ReservationStatus.PENDING


def test_a_kit_is_reserved_as_one(app, client, auth):
    auth.login_as("teacher", locale="en")

    def objects() -> int:
        drone = make_type(name="Drone", assets=1)
        battery = make_type(name="Accu", assets=2)
        return make_kit("Dronekit", {drone: 1, battery: 2}).id

    kit_id = build(app, objects)
    response = client.post(
        f"/equipment/reserve?kit={kit_id}",
        data={**moments(1, "10:00", 1, "15:00"), "quantity": "1", "purpose": "Buitenles"},
    )
    assert response.status_code == 302
    reservation = reservation_in_db(app, int(response.location.rsplit("/", 1)[1]))
    assert len(reservation.asset_ids) == 3 and reservation.kit_id == kit_id


def test_conflict_keeps_the_input_and_offers_the_nearest_free_period(app, client, auth):
    auth.login_as("teacher", locale="en")

    def objects() -> int:
        camera = make_type(name="Insta360", assets=1, turnaround_minutes=60)
        reserve_for(make_user().id, camera.id, at(1, 10), at(1, 14))
        return camera.id

    type_id = build(app, objects)
    data = {**moments(1, "13:00", 1, "15:00"), "quantity": "1", "purpose": "Interview opnemen"}
    response = client.post(f"/equipment/reserve?type={type_id}", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "No Insta360 is free in this period." in error_of(page, "start_date")
    assert textarea(page, "purpose") == "Interview opnemen"
    assert '<option selected value="13:00">' in page
    # Busy until 14:00 plus an hour of turnaround: the nearest free start is 15:00.
    link = re.search(r'<a class="button button--secondary" href="([^"]+)">([^<]+)</a>', page)
    assert link and "instead" in link.group(2)
    url = html.unescape(link.group(1))
    assert "start_time=15:00" in url and "end_time=17:00" in url
    prefilled = client.get(url).get_data(as_text=True)
    assert '<option selected value="15:00">' in prefilled
    assert textarea(prefilled, "purpose") == "Interview opnemen"
    assert reservation_count(app) == 1
    response = client.post(
        f"/equipment/reserve?type={type_id}",
        data={**moments(1, "15:00", 1, "17:00"), "quantity": "1", "purpose": "Interview"},
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (moments(1, "14:00", 1, "10:00"), "end_date", "The return time must be after"),
        (moments(30, "08:30", 30, "12:00"), "start_date", "The pickup time has already passed."),
        (moments(5, "10:00", 5, "12:00"), "start_date", "The lending desk is closed"),
        (
            {**moments(1, "10:00", 1, "12:00"), "start_date": "2026-02-30"},
            "start_date",
            "Not a valid date value.",
        ),
        ({**moments(1, "10:00", 1, "12:00"), "end_time": "25:00"}, "end_date", "13:30"),
        ({**moments(1, "10:00", 1, "12:00"), "end_date": "9999-12-31"}, "end_date", "2100"),
    ],
)
def test_invalid_periods_show_the_error_on_the_field_and_keep_the_input(
    app, client, auth, data, field, message
):
    auth.login_as("teacher", locale="en")
    type_id = build(app, lambda: make_type(assets=1).id)
    response = client.post(
        f"/equipment/reserve?type={type_id}",
        data={**data, "quantity": "1", "purpose": "Les over licht"},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in error_of(page, field)
    assert page.count('aria-invalid="true"') >= 2  # both inputs of the moment
    assert textarea(page, "purpose") == "Les over licht"
    assert f'value="{data["start_date"]}"' in page
    assert "<title>Error:" in page
    assert reservation_count(app) == 0


def test_missing_purpose_and_bad_quantity_are_field_errors(app, client, auth):
    auth.login_as("teacher", locale="en")
    type_id = build(app, lambda: make_type(assets=1).id)
    page = client.post(
        f"/equipment/reserve?type={type_id}",
        data={**moments(1, "10:00", 1, "12:00"), "quantity": "1", "purpose": " "},
    ).get_data(as_text=True)
    assert "Say what you will use it for." in error_of(page, "purpose")
    page = client.post(
        f"/equipment/reserve?type={type_id}",
        data={**moments(1, "10:00", 1, "12:00"), "quantity": "99", "purpose": "x"},
    ).get_data(as_text=True)
    assert "Choose a quantity from 1 to 50." in error_of(page, "quantity")
    assert reservation_count(app) == 0


def test_reserve_needs_a_type_or_kit_that_can_still_be_reserved(app, client, auth):
    auth.login_as("teacher", locale="en")
    retired = build(app, lambda: make_type(assets=1, is_retired=True).id)
    assert client.get("/equipment/reserve").status_code == 404
    assert client.get(f"/equipment/reserve?type={retired}").status_code == 404
    assert client.get("/equipment/reserve?type=99999999999").status_code == 404
    assert client.get("/equipment/reserve?kit=12345").status_code == 404


def test_staff_reserve_for_a_teacher_past_a_limit_with_a_reason(app, client, auth):
    staff = auth.login_as("staff", locale="en")

    def objects() -> tuple[int, int]:
        teacher = make_user(name="Tamara Docent")
        recorders = make_type(assets=4)
        settings.put("lending.max_assets_per_borrower", 1, actor_id=None, now=NOW)
        reserve_for(teacher.id, recorders.id, at(1, 10), at(1, 12))
        return teacher.id, recorders.id

    teacher_id, type_id = build(app, objects)
    page = client.get(f"/equipment/reserve?type={type_id}").get_data(as_text=True)
    assert f'<option value="{teacher_id}">Tamara Docent' in page
    assert f'<option selected value="{staff.id}">' in page
    data = {
        **moments(1, "10:00", 1, "12:00"),
        "quantity": "1",
        "purpose": "Projectweek",
        "requester": str(teacher_id),
    }
    response = client.post(f"/equipment/reserve?type={type_id}", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "To allow it anyway, give a reason." in error_of(page, "override_reason")
    assert f'<option selected value="{teacher_id}">' in page
    data["override_reason"] = "Afgesproken met de teamleider"
    response = client.post(f"/equipment/reserve?type={type_id}", data=data)
    assert response.status_code == 302
    reservation = reservation_in_db(app, int(response.location.rsplit("/", 1)[1]))
    assert reservation.requester_id == teacher_id
    assert reservation.created_by_id == staff.id
    assert reservation.override_reason == "Afgesproken met de teamleider"
    assert reservation.status is ReservationStatus.APPROVED
    page = client.get(response.location).get_data(as_text=True)
    assert "Tamara Docent" in page and "Afgesproken met de teamleider" in page


def test_teachers_cannot_reserve_for_someone_else_or_waive_a_limit(app, client, auth):
    teacher = auth.login_as("teacher", locale="en")
    other_id, type_id = build(app, lambda: (make_user().id, make_type(assets=2).id))
    page = client.get(f"/equipment/reserve?type={type_id}").get_data(as_text=True)
    assert 'name="requester"' not in page and 'name="override_reason"' not in page
    response = client.post(
        f"/equipment/reserve?type={type_id}",
        data={
            **moments(1, "10:00", 1, "12:00"),
            "quantity": "1",
            "purpose": "x",
            "requester": str(other_id),
            "override_reason": "ik wil het",
        },
    )
    assert response.status_code == 302
    reservation = reservation_in_db(app, int(response.location.rsplit("/", 1)[1]))
    assert reservation.requester_id == teacher.id and reservation.override_reason == ""


# --- change and cancel -----------------------------------------------------------------------


def test_change_keeps_the_assets_where_they_are_still_free(app, client, auth):
    teacher = auth.login_as("teacher", locale="en")

    def objects() -> int:
        recorders = make_type(assets=4)
        return reserve_for(teacher.id, recorders.id, at(1, 10), at(1, 12), quantity=2)

    reservation_id = build(app, objects)
    before = reservation_in_db(app, reservation_id).asset_ids
    page = client.get(f"/reservations/{reservation_id}").get_data(as_text=True)
    assert 'value="2026-12-01"' in page and '<option selected value="12:00">' in page
    response = client.post(
        f"/reservations/{reservation_id}",
        data={**moments(1, "10:00", 2, "16:00"), "quantity": "3", "purpose": "Langer nodig"},
    )
    assert response.status_code == 302
    after = reservation_in_db(app, reservation_id)
    assert set(before) < set(after.asset_ids) and len(after.asset_ids) == 3
    assert after.ends_at == at(2, 16) and after.purpose == "Langer nodig"
    page = client.get(f"/reservations/{reservation_id}").get_data(as_text=True)
    assert "Your changes have been saved." in page
    assert "Changed; it was" in page and "quantity 2" in page


def test_change_that_does_not_fit_is_refused_and_keeps_the_input(app, client, auth):
    teacher = auth.login_as("teacher", locale="en")

    def objects() -> int:
        camera = make_type(assets=1)
        mine = reserve_for(teacher.id, camera.id, at(1, 10), at(1, 12))
        reserve_for(make_user().id, camera.id, at(2, 10), at(2, 12))
        return mine

    reservation_id = build(app, objects)
    response = client.post(
        f"/reservations/{reservation_id}",
        data={**moments(2, "09:00", 2, "11:00"), "quantity": "1", "purpose": "Verzet"},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "is free in this period" in error_of(page, "start_date")
    assert textarea(page, "purpose") == "Verzet" and 'value="2026-12-02"' in page
    assert "Use the nearest free period instead" in page
    assert reservation_in_db(app, reservation_id).starts_at == at(1, 10)


def test_cancel_frees_the_equipment(app, client, auth):
    teacher = auth.login_as("teacher", locale="en")
    reservation_id = build(
        app, lambda: reserve_for(teacher.id, make_type(assets=1).id, at(1, 10), at(1, 12))
    )
    page = client.get(f"/reservations/{reservation_id}").get_data(as_text=True)
    assert "Cancelling frees the equipment for others at once." in page
    assert f'action="/reservations/{reservation_id}/cancel#cancel-heading"' in page
    assert 'name="confirm"' in page and "Yes, cancel this reservation" in page
    response = client.post(
        f"/reservations/{reservation_id}/cancel",
        data={"reason": "Les gaat niet door", "confirm": "y"},
    )
    assert response.status_code == 302
    assert response.location == f"/reservations/{reservation_id}"
    reservation = reservation_in_db(app, reservation_id)
    assert reservation.status is ReservationStatus.CANCELLED
    page = client.get(f"/reservations/{reservation_id}").get_data(as_text=True)
    assert "Cancelled: Les gaat niet door" in page
    assert 'name="purpose"' not in page  # nothing left to change
    again = client.post(f"/reservations/{reservation_id}/cancel", follow_redirects=True)
    assert "cannot become cancelled" in again.get_data(as_text=True)


def test_cancel_without_the_ticked_box_keeps_the_reservation_and_the_reason(app, client, auth):
    teacher = auth.login_as("teacher", locale="en")
    reservation_id = build(
        app, lambda: reserve_for(teacher.id, make_type(assets=1).id, at(1, 10), at(1, 12))
    )
    response = client.post(
        f"/reservations/{reservation_id}/cancel", data={"reason": "Les gaat niet door"}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Tick the box to confirm" in error_of(page, "cancel-confirm")
    assert 'aria-describedby="cancel-confirm-error"' in page
    assert "<title>Error:" in page
    assert textarea(page, "reason") == "Les gaat niet door"
    # The rest of the page is as it was: the change form shows the reservation itself.
    assert 'value="2026-12-01"' in page and '<option selected value="12:00">' in page
    assert reservation_in_db(app, reservation_id).status is ReservationStatus.APPROVED
    unticked = client.post(f"/reservations/{reservation_id}/cancel", data={"confirm": ""})
    assert unticked.status_code == 200
    assert reservation_in_db(app, reservation_id).status is ReservationStatus.APPROVED


def test_staff_looking_at_a_teachers_reservation_see_the_borrower_not_my_reservations(
    app, client, auth
):
    staff = auth.login_as("staff", locale="en")

    def objects() -> tuple[int, int]:
        teacher = make_user(name="Olga Eigenaar", email="olga@example.org")
        camera = make_type(assets=2)
        out = db.session.get(
            Reservation, reserve_for(teacher.id, camera.id, at(30, 9, 30), at(30, 12))
        )
        services.check_out(out, actor=db.session.get(User, staff.id), now=NOW)
        own = reserve_for(staff.id, camera.id, at(1, 10), at(1, 12))
        return out.id, own

    theirs, own = build(app, objects)
    with clock.frozen(at(30, 13)):
        page = client.get(f"/reservations/{theirs}").get_data(as_text=True)
        mine = client.get(f"/reservations/{own}").get_data(as_text=True)
    assert '<p><a href="/desk/reservations">All reservations</a></p>' in page
    assert '<p><a href="/reservations">My reservations</a></p>' not in page
    assert 'badge--bad">Overdue</span>' in page and "bring it back" not in page
    assert "Olga Eigenaar" in page
    assert 'href="mailto:olga@example.org">olga@example.org</a>' in page
    assert '<p><a href="/reservations">My reservations</a></p>' in mine
    assert "mailto:" not in mine


def test_the_borrower_is_told_to_bring_it_back(app, client, auth):
    teacher = auth.login_as("teacher", locale="en")

    def objects() -> int:
        out = db.session.get(
            Reservation,
            reserve_for(teacher.id, make_type(assets=1).id, at(30, 9, 30), at(30, 12)),
        )
        services.check_out(out, actor=make_user(role="staff"), now=NOW)
        return out.id

    reservation_id = build(app, objects)
    with clock.frozen(at(30, 13)):
        page = client.get(f"/reservations/{reservation_id}").get_data(as_text=True)
    assert 'badge--bad">Overdue: bring it back</span>' in page
    assert '<p><a href="/reservations">My reservations</a></p>' in page
    assert "All reservations" not in page


def test_another_teachers_reservation_cannot_be_found_by_guessing(app, client, auth):
    auth.login_as("teacher", locale="en")

    def objects() -> int:
        owner = make_user(name="Olga Eigenaar")
        return reserve_for(owner.id, make_type(assets=1).id, at(1, 10), at(1, 12))

    reservation_id = build(app, objects)
    change = {**moments(1, "10:00", 1, "16:00"), "quantity": "1", "purpose": "van mij"}
    for guess in (reservation_id, reservation_id + 1, 2**31 - 1):
        assert client.get(f"/reservations/{guess}").status_code == 404
        assert client.post(f"/reservations/{guess}", data=change).status_code == 404
        assert client.post(f"/reservations/{guess}/cancel").status_code == 404
    assert "Olga Eigenaar" not in client.get("/reservations").get_data(as_text=True)
    reservation = reservation_in_db(app, reservation_id)
    assert reservation.status is ReservationStatus.APPROVED and reservation.ends_at == at(1, 12)


def test_managers_see_a_reservation_but_cannot_change_it(app, client, auth):
    auth.login_as("manager", locale="en")
    reservation_id = build(
        app, lambda: reserve_for(make_user().id, make_type(assets=1).id, at(1, 10), at(1, 12))
    )
    page = client.get(f"/reservations/{reservation_id}").get_data(as_text=True)
    assert 'name="purpose"' not in page and "/cancel" not in page
    assert '<p><a href="/desk/reservations">All reservations</a></p>' in page
    change = {**moments(1, "10:00", 1, "16:00"), "quantity": "1", "purpose": "x"}
    assert client.post(f"/reservations/{reservation_id}", data=change).status_code == 403
    cancel = {"confirm": "y"}
    assert client.post(f"/reservations/{reservation_id}/cancel", data=cancel).status_code == 403
    assert reservation_in_db(app, reservation_id).status is ReservationStatus.APPROVED


def test_staff_see_desk_actions_on_a_pending_request(app, client, auth):
    auth.login_as("staff", locale="en")

    def objects() -> int:
        drone = make_type(assets=1, needs_approval=True)
        return reserve_for(make_user().id, drone.id, at(1, 10), at(1, 12))

    reservation_id = build(app, objects)
    page = client.get(f"/reservations/{reservation_id}").get_data(as_text=True)
    assert f'action="/desk/reservations/{reservation_id}/approve"' in page
    assert f'action="/desk/reservations/{reservation_id}/reject"' in page
    assert "/check-out" not in page  # not approved yet


# --- lists -----------------------------------------------------------------------------------


def test_my_reservations_in_three_sections_with_overdue_in_words(app, client, auth):
    teacher = auth.login_as("teacher", locale="en")

    def objects() -> None:
        staff = make_user(role="staff")
        camera = make_type(name="Camera", assets=3)
        drone = make_type(name="Drone", assets=1, needs_approval=True)
        out = db.session.get(
            Reservation, reserve_for(teacher.id, camera.id, at(30, 9, 30), at(30, 12))
        )
        services.check_out(out, actor=staff, now=NOW)
        reserve_for(teacher.id, drone.id, at(2, 10), at(2, 12))
        gone = db.session.get(Reservation, reserve_for(teacher.id, camera.id, at(3, 10), at(3, 12)))
        services.cancel_reservation(gone, actor=teacher_user(), now=NOW)

    def teacher_user() -> User:
        return db.session.get(User, teacher.id)

    build(app, objects)
    with clock.frozen(at(30, 13)):
        page = client.get("/reservations").get_data(as_text=True)
    current = page[page.index('id="current-heading"') : page.index('id="upcoming-heading"')]
    upcoming = page[page.index('id="upcoming-heading"') : page.index('id="past-heading"')]
    past = page[page.index('id="past-heading"') :]
    assert "Camera" in current and "Picked up" in current and "Overdue" in current
    assert "Drone" in upcoming and "Awaiting approval" in upcoming
    assert "Camera" in past and "Cancelled" in past and "Overdue" not in past


def test_no_reservations_yet_says_what_to_do(app, client, auth):
    auth.login_as("teacher", locale="en")
    page = client.get("/reservations").get_data(as_text=True)
    assert "You have no reservations yet." in page
    assert 'href="/equipment">Reserve equipment' in page


def test_past_reservations_are_paginated(app, client, auth):
    teacher = auth.login_as("teacher", locale="en")

    def objects() -> None:
        camera = make_type(assets=1, max_advance_days=365)
        user = db.session.get(User, teacher.id)
        for week in range(22):
            start = at(1, 10) + (week * 7) * (at(2, 10) - at(1, 10))
            reservation = db.session.get(
                Reservation, reserve_for(teacher.id, camera.id, start, start.replace(hour=11))
            )
            services.cancel_reservation(reservation, actor=user, now=NOW)

    build(app, objects)
    first = client.get("/reservations").get_data(as_text=True)
    assert first.count('class="reservation-card"') == 20 and "Page 1 of 2" in first
    second = client.get("/reservations?page=2").get_data(as_text=True)
    assert second.count('class="reservation-card"') == 2


def test_teacher_home_shows_the_next_reservations_and_starts_with_when(app, client, auth):
    teacher = auth.login_as("teacher", locale="en")
    page = client.get("/").get_data(as_text=True)
    assert "You have nothing reserved." in page and 'href="/equipment"' in page
    build(
        app,
        lambda: reserve_for(
            teacher.id, make_type(name="VR-bril", assets=1).id, at(1, 10), at(1, 12)
        ),
    )
    page = client.get("/").get_data(as_text=True)
    assert "Welcome" in page and "My design team" in page
    assert "VR-bril" in page and "Approved" in page and "Tue 1 Dec 10:00" in page


# --- catalogue -------------------------------------------------------------------------------


def entry_of(page: str, name: str) -> str:
    """One catalogue entry, from its name to its buttons."""
    start = page.index(name)
    return page[start : page.index('class="catalogue__actions"', start)]


def _catalogue_objects() -> dict[str, int]:
    audio = make_category("Audio")
    drones = make_category("Drones")
    recorder = make_type(name="Zoom H5 recorder", category=audio, assets=3)
    make_type(name="Oude cassetterecorder", category=audio, assets=1, is_retired=True)
    drone = make_type(
        name="DJI Mini",
        category=drones,
        assets=2,
        needs_approval=True,
        required_qualification="Drone pilot A1/A3",
    )
    battery = make_type(name="Drone-accu", category=drones, assets=2, max_loan_days=1)
    kit = make_kit("Dronekit", {drone: 1, battery: 1})
    return {"recorder": recorder.id, "drone": drone.id, "battery": battery.id, "kit": kit.id}


def test_catalogue_without_a_period_lists_everything_and_asks_when(app, client, auth):
    auth.login_as("teacher", locale="en")
    ids = build(app, _catalogue_objects)
    page = client.get("/equipment").get_data(as_text=True)
    assert "When do you need it?" in page and "Choose a period above" in page
    assert page.index(">Audio</h2>") < page.index("Zoom H5 recorder") < page.index(">Drones</h2>")
    assert "Oude cassetterecorder" not in page
    assert "3 available" in page and "Needs approval" in page
    assert "Requires: Drone pilot A1/A3" in page
    assert "Dronekit" in page and "1 × DJI Mini" in page
    assert f'href="/equipment/reserve?type={ids["recorder"]}"' in page
    assert 'type="date"' in page and '<option selected value="08:30">' in page


def test_catalogue_with_a_period_counts_what_is_free_then(app, client, auth):
    auth.login_as("teacher", locale="en")

    def objects() -> dict[str, int]:
        ids = _catalogue_objects()
        other = make_user()
        reserve_for(other.id, ids["recorder"], at(1, 10), at(1, 14))
        from straxlab.equipment.models import Asset

        spare = db.session.scalars(
            sa.select(Asset).where(Asset.equipment_type_id == ids["recorder"]).order_by(Asset.tag)
        ).all()[-1]
        spare.status = AssetStatus.MAINTENANCE
        reserve_for(other.id, ids["battery"], at(1, 10), at(1, 12))
        return ids

    ids = build(app, objects)
    period = moments(1, "11:00", 1, "16:00")
    page = client.get("/equipment", query_string=period).get_data(as_text=True)
    assert "Free from" in page
    assert "1 of 2 free" in entry_of(page, ">Zoom H5 recorder<")
    assert "2 of 2 free" in entry_of(page, ">DJI Mini<")
    assert "1 of 2 free" in entry_of(page, ">Drone-accu<")
    assert "1 of 2 free" in entry_of(page, ">Dronekit<")  # the scarcest part decides
    link = (
        f'href="/equipment/reserve?type={ids["recorder"]}&amp;start_date=2026-12-01'
        "&amp;start_time=11:00&amp;end_date=2026-12-01&amp;end_time=16:00"
    )
    assert link in page
    longer = client.get("/equipment", query_string=moments(1, "11:00", 3, "16:00"))
    battery = entry_of(longer.get_data(as_text=True), ">Drone-accu<")
    assert "longer than the loan period of 1 days" in battery


@pytest.mark.parametrize(
    ("period", "field", "message"),
    [
        (moments(1, "14:00", 1, "10:00"), "end_date", "The return time must be after"),
        (moments(30, "08:30", 30, "12:00"), "start_date", "already passed"),
        (moments(5, "10:00", 7, "12:00"), "start_date", "The lending desk is closed"),
        ({**moments(1, "10:00", 1, "12:00"), "end_date": ""}, "end_date", "required"),
    ],
)
def test_catalogue_period_problems_are_field_errors(app, client, auth, period, field, message):
    auth.login_as("teacher", locale="en")
    build(app, _catalogue_objects)
    page = client.get("/equipment", query_string=period).get_data(as_text=True)
    assert message in error_of(page, field)
    assert "of 3 free" not in page and "3 available" in page
    assert "Free from" not in page


def test_staff_may_look_up_a_period_outside_opening_hours(app, client, auth):
    auth.login_as("staff", locale="en")
    build(app, _catalogue_objects)
    page = client.get("/equipment", query_string=moments(5, "10:00", 7, "12:00"))
    page = page.get_data(as_text=True)
    assert "The lending desk is closed" in error_of(page, "start_date")
    assert "3 of 3 free" in entry_of(page, ">Zoom H5 recorder<")


def test_catalogue_names_a_closure_from_the_lab_calendar(app, client, auth, monkeypatch):
    auth.login_as("teacher", locale="en")
    build(app, _catalogue_objects)
    build(app, lambda: make_closure(date(2026, 12, 1), reason="Studiedag"))
    page = client.get("/equipment", query_string=moments(1, "10:00", 1, "12:00"))
    assert "Studiedag" in error_of(page.get_data(as_text=True), "start_date")


# --- equipment type and availability ---------------------------------------------------------


def test_equipment_type_page_shows_its_rules(app, client, auth):
    auth.login_as("teacher", locale="en")
    type_id = build(
        app,
        lambda: (
            make_type(
                name="Insta360",
                description="360-gradencamera.\nMet statief.",
                assets=2,
                turnaround_minutes=45,
                max_loan_days=3,
                needs_approval=True,
            ).id
        ),
    )
    page = client.get(f"/equipment/types/{type_id}").get_data(as_text=True)
    for words in (
        "at most 3 days",
        "45 minutes",
        "Lab staff approve each request first",
        "2 items",
    ):
        assert words in page
    assert f'href="/equipment/types/{type_id}/availability"' in page
    assert f'href="/equipment/reserve?type={type_id}"' in page
    assert client.get("/equipment/types/999999").status_code == 404


def grid_row(page: str, tag: str) -> list[tuple[str, str]]:
    """The cells of one asset's row: (state, words)."""
    start = page.index(f'<th scope="row">{tag}</th>')
    row = page[start : page.index("</tr>", start)]
    return [
        (state, text_of(inner))
        for state, inner in re.findall(r'<td class="avail avail--(\w+)">(.*?)</td>', row, re.S)
    ]


def _grid_objects() -> dict[str, Any]:
    staff = make_user(role="staff")
    borrower = make_user(name="Bram Bezet")
    camera = make_type(name="Camera", assets=3)
    tags = [f"T{camera.id}-0{n}" for n in (1, 2, 3)]
    reserve_for(borrower.id, camera.id, at(1, 10), at(1, 12))  # takes -01
    out = db.session.get(
        Reservation, reserve_for(borrower.id, camera.id, at(30, 9, 30), at(2, 12))
    )  # takes -02
    services.check_out(out, actor=staff, now=NOW)
    from straxlab.equipment.models import Asset

    db.session.scalar(sa.select(Asset).where(Asset.tag == tags[2])).status = AssetStatus.MAINTENANCE
    return {"type": camera.id, "tags": tags}


def test_availability_grid_shows_each_day_in_words(app, client, auth, monkeypatch):
    auth.login_as("teacher", locale="en")
    objects = build(app, _grid_objects)
    build(app, lambda: make_closure(date(2026, 12, 3), reason="Studiedag"))
    page = client.get(f"/equipment/types/{objects['type']}/availability?week=2026-12-02").get_data(
        as_text=True
    )
    assert "Week of 30 November 2026</caption>" in page
    assert 'role="region"' in page and 'tabindex="0"' in page and "<caption" in page
    first, second, third = (grid_row(page, tag) for tag in objects["tags"])
    assert [state for state, _ in first] == [
        "free", "reserved", "free", "closed", "free", "closed", "closed"
    ]  # fmt: skip
    assert first[1][1] == "Reserved 10:00–12:00"
    assert first[0][1].startswith("Free")
    assert "Studiedag" in first[3][1]
    assert [words for _, words in second[:3]] == [
        "Checked out from 09:30",
        "Checked out",
        "Checked out until 12:00",
    ]
    assert all(state == "maintenance" for state, _ in third)
    # A free open day starts a reservation for that day, desk opening to closing.
    assert (
        f'href="/equipment/reserve?type={objects["type"]}&amp;start_date=2026-12-04'
        "&amp;start_time=08:30&amp;end_date=2026-12-04&amp;end_time=17:00"
    ) in page
    # Today it is 09:00: from the next half hour.
    assert "start_date=2026-11-30&amp;start_time=09:30" in page
    assert "week=2026-11-23" in page and "week=2026-12-07" in page
    # Teachers do not see who borrowed it.
    assert "Bram Bezet" not in page


def test_availability_names_borrowers_for_staff(app, client, auth):
    auth.login_as("staff", locale="en")
    objects = build(app, _grid_objects)
    page = client.get(f"/equipment/types/{objects['type']}/availability").get_data(as_text=True)
    assert "Bram Bezet" in grid_row(page, objects["tags"][0])[1][1]


def test_availability_marks_the_teachers_own_reservation(app, client, auth):
    teacher = auth.login_as("teacher", locale="en")

    def objects() -> tuple[int, int]:
        camera = make_type(assets=1)
        return camera.id, reserve_for(teacher.id, camera.id, at(1, 13), at(1, 17))

    type_id, reservation_id = build(app, objects)
    page = client.get(f"/equipment/types/{type_id}/availability?week=nonsense").get_data(
        as_text=True
    )
    cells = grid_row(page, f"T{type_id}-01")
    assert cells[1] == ("reserved", "Reserved from 13:00 yours")
    assert f'href="/reservations/{reservation_id}">yours' in page


def availability_page(client: Any, type_id: int, week: str | None = None) -> str:
    query = f"?week={week}" if week else ""
    response = client.get(f"/equipment/types/{type_id}/availability{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_availability_at_the_weekend_starts_with_the_coming_week(app, client, auth):
    auth.login_as("teacher", locale="en")
    type_id = build(app, lambda: make_type(assets=1).id)
    saturday = datetime(2026, 12, 5, 11, 0, tzinfo=AMS)
    with clock.frozen(saturday.astimezone(UTC)):
        page = availability_page(client, type_id)
        assert "Week of 7 December 2026</caption>" in page
        assert "does not open again this week" in page
        assert f'href="/equipment/types/{type_id}/availability?week=2026-11-30">This week' in page
        # Asked for this week, it is shown: the days before today are past.
        this_week = availability_page(client, type_id, "2026-12-05")
    assert "Week of 30 November 2026</caption>" in this_week
    assert "does not open again this week" not in this_week
    cells = grid_row(this_week, f"T{type_id}-01")
    assert [state for state, _ in cells] == ["past"] * 5 + ["closed", "closed"]
    assert [words for _, words in cells[:5]] == ["Past"] * 5
    assert "start_date=2026-12-0" not in this_week  # nothing in it can be reserved
    with clock.frozen(datetime(2026, 12, 4, 16, 0, tzinfo=AMS).astimezone(UTC)):
        friday = availability_page(client, type_id)
    assert "Week of 30 November 2026</caption>" in friday


def test_availability_marks_past_days_and_not_what_was_free_then(app, client, auth):
    auth.login_as("teacher", locale="en")
    objects = build(app, _grid_objects)
    with clock.frozen(at(2, 9)):
        page = availability_page(client, objects["type"])
    first = grid_row(page, objects["tags"][0])
    assert first[:2] == [("past", "Past"), ("past", "Past")]
    assert first[2][0] == "free"
    assert "start_date=2026-12-01" not in page and "start_date=2026-12-02" in page


def test_availability_shows_the_reservations_own_times_and_free_after_turnaround(app, client, auth):
    auth.login_as("staff", locale="en")

    def objects() -> tuple[int, int]:
        camera = make_type(assets=2, turnaround_minutes=15)
        overnight = make_type(assets=1, turnaround_minutes=18 * 60)
        reserve_for(make_user().id, camera.id, at(1, 10), at(1, 15))
        reserve_for(make_user().id, overnight.id, at(1, 10), at(1, 16))
        return camera.id, overnight.id

    camera, overnight = build(app, objects)
    page = availability_page(client, camera)
    cell = grid_row(page, f"T{camera}-01")[1]
    assert cell[0] == "reserved"
    assert cell[1].startswith("Reserved 10:00–15:00 free again from 15:15")
    page = availability_page(client, overnight)
    tuesday, wednesday = grid_row(page, f"T{overnight}-01")[1:3]
    assert tuesday[1].startswith("Reserved 10:00–16:00") and "free again" not in tuesday[1]
    assert wednesday[0] == "reserved"
    assert wednesday[1].startswith("Charging and checking free again from 10:00")


# --- statement counts ------------------------------------------------------------------------


@contextmanager
def counted(app: Any) -> Iterator[list[str]]:
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _statements(app: Any, client: Any, url: str) -> int:
    with counted(app) as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_catalogue_reads_a_fixed_number_of_statements(app, client, auth):
    auth.login_as("teacher", locale="en")
    period = "?start_date=2026-12-01&start_time=10:00&end_date=2026-12-01&end_time=16:00"

    def catalogue(n: int) -> None:
        for i in range(n):
            category = make_category()
            first = make_type(category=category, assets=2, needs_approval=bool(i % 2))
            second = make_type(category=category, assets=1, turnaround_minutes=30 * i)
            make_kit(f"Kit {first.id}", {first: 1, second: 1})
            reserve_for(make_user().id, first.id, at(1, 10), at(1, 12))

    build(app, lambda: catalogue(2))
    small = _statements(app, client, "/equipment" + period)
    build(app, lambda: catalogue(15))
    assert _statements(app, client, "/equipment" + period) == small
    assert _statements(app, client, "/equipment") <= small


def test_my_reservations_read_a_fixed_number_of_statements(app, client, auth):
    teacher = auth.login_as("teacher", locale="en")

    def reservations(n: int) -> None:
        user = db.session.get(User, teacher.id)
        settings.put("lending.max_assets_per_borrower", 200, actor_id=None, now=NOW)
        camera = make_type(assets=n)
        kit = make_kit(f"Kit {camera.id}", {camera: 1})
        for i in range(n):
            start = at(1, 9) + i * (at(1, 10) - at(1, 9)) / 4
            reservation = make_reservation(
                user, kit=kit, starts_at=start, ends_at=at(1, 16), now=NOW
            )
            if i % 2:
                services.cancel_reservation(reservation, actor=user, now=NOW)

    build(app, lambda: reservations(2))
    small = _statements(app, client, "/reservations")
    home = _statements(app, client, "/")
    build(app, lambda: reservations(24))
    assert _statements(app, client, "/reservations") == small
    assert _statements(app, client, "/") == home


def test_availability_reads_a_fixed_number_of_statements(app, client, auth):
    auth.login_as("staff", locale="en")

    def busy_week(n: int) -> int:
        camera = make_type(assets=n)
        for _ in range(n):
            reserve_for(make_user().id, camera.id, at(1, 10), at(1, 12))
        return camera.id

    few = build(app, lambda: busy_week(2))
    many = build(app, lambda: busy_week(20))
    small = _statements(app, client, f"/equipment/types/{few}/availability")
    assert _statements(app, client, f"/equipment/types/{many}/availability") == small
