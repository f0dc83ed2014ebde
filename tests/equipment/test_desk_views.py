"""The lending desk pages: staff home, lookup, the asset page, check-out and take-back, swaps,
the approval queue, all reservations and the QR label sheet."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
import segno
import sqlalchemy as sa
from flask import url_for
from werkzeug.routing import BuildError

from straxlab.core import clock
from straxlab.equipment.models import Asset, Reservation, ReservationItem
from straxlab.equipment.rules import AssetStatus, ReservationStatus
from straxlab.extensions import db
from tests.equipment.test_desk_queries import (
    BOOKED,
    NOW,
    at,
    build_desk_scenario,
    count_statements,
)
from tests.factories import make_asset, make_kit, make_reservation, make_type, make_user


@pytest.fixture
def scenario(app):
    with app.app_context():
        return build_desk_scenario()


@pytest.fixture
def staff(auth):
    return auth.login_as("staff", locale="en", name="Dirk Desk")


def get(client, path, *, when=NOW, **kwargs):
    with clock.frozen(when):
        return client.get(path, **kwargs)


def post(client, path, data=None, *, when=NOW):
    with clock.frozen(when):
        return client.post(path, data=data or {})


def page(response) -> str:
    return response.get_data(as_text=True)


def checkbox(body: str, name: str, value: int) -> str:
    """The <input> tag of one checkbox."""
    tags = re.findall(r"<input[^>]*>", body)
    found = [t for t in tags if f'name="{name}"' in t and f'value="{value}"' in t]
    assert len(found) == 1, found
    return found[0]


def fetch(app, model, object_id):
    with app.app_context():
        obj = db.session.get(model, object_id)
        if isinstance(obj, Reservation):
            obj.items  # noqa: B018  (load before the session closes)
        return obj


# Staff home and the desk ---------------------------------------------------------------


def test_staff_home_lists_overdue_first_then_today_in_time_order(client, scenario, staff):
    body = page(get(client, "/"))
    assert "Welcome, Dirk Desk" in body
    names = ["Xander Laat", "Pim Ophaal", "Quinten Terug", "Rosa Middag"]
    positions = [body.index(name) for name in names]
    assert positions == sorted(positions)
    overdue_row = body[body.index('desk-row--overdue"') : body.index("Pim Ophaal")]
    assert "Overdue" in overdue_row and "badge--bad" in overdue_row
    assert "3 requests are awaiting approval." in body
    assert 'href="/desk/approvals"' in body
    assert 'action="/desk/lookup"' in body and '<label class="field__label" for="tag">' in body
    # The pickup due at 10:00 can be handed out now; Rosa's at 14:00 not yet.
    assert f"/desk/reservations/{scenario['pickup']}/check-out" in body
    assert f"/desk/reservations/{scenario['afternoon']}/check-out" not in body
    assert f"/desk/reservations/{scenario['loan']}/check-in" in body


def test_a_pickup_nobody_came_for_shows_as_not_picked_up(client, scenario, staff):
    pickup = scenario["pickup"]  # Pim's, at 10:00
    body = page(get(client, "/", when=at(2, 10, 15)))
    assert "Ready for pickup" in body and "Not picked up" not in body
    for path in ("/", "/desk"):
        body = page(get(client, path, when=at(2, 10, 31)))
        row = body[body.index("Pim Ophaal") - 1500 : body.index("Pim Ophaal")]
        assert "Not picked up (pickup was 10:00)" in row and "Ready for pickup" not in row
        # Late pickup still possible; or open the reservation to cancel it.
        after = body[body.index("Pim Ophaal") :]
        assert f"/desk/reservations/{pickup}/check-out" in after
        assert f'href="/reservations/{pickup}"' in after
        assert "Open the reservation to cancel it" in after
    # The desk pages that show the status say so too.
    body = page(get(client, f"/desk/reservations/{pickup}/check-out", when=at(2, 10, 31)))
    assert "Not picked up (pickup was 10:00)" in body
    body = page(get(client, "/desk/reservations", when=at(2, 13)))
    assert "Not picked up (pickup was 10:00)" in body


def test_staff_home_without_anything_today_says_what_to_expect(client, staff):
    body = page(get(client, "/"))
    assert "No pickups or returns today" in body
    assert "No requests are awaiting approval." in body


def test_desk_shows_the_endangered_reservation_and_swaps_it(app, client, scenario, staff):
    body = page(get(client, "/desk"))
    section = body[body.index('id="endangered-heading"') :]
    assert "Xander Laat" in section and "xander@school.example" in section
    assert "Yara Volgend" in section and "mailto:yara@school.example" in section
    swap = f"/desk/reservations/{scenario['waiting']}/items/{scenario['waiting_item']}/swap"
    assert swap in section
    response = post(client, swap, {"next": "/desk"})
    assert response.status_code == 302 and response.location == "/desk"
    item = fetch(app, ReservationItem, scenario["waiting_item"])
    assert item.asset_id != scenario["overdue_asset"]
    body = page(get(client, "/desk"))
    assert "has been swapped for" in body
    section = body[body.index('id="endangered-heading"') :]
    assert "Yara Volgend" not in section
    # Vera's request still holds the headset in maintenance.
    assert "Vera Virtueel" in section and "Held item is in maintenance." in section


def test_desk_lists_reservations_holding_an_asset_in_maintenance(app, client, scenario, staff):
    body = page(get(client, "/desk"))
    section = body[body.index('id="endangered-heading"') :]
    row = section[section.index("Vera Virtueel") - 2000 : section.index("Vera Virtueel") + 2000]
    assert "Held item is in maintenance." in row and "In maintenance" in row
    headset = fetch(app, Asset, scenario["vr_asset"])
    swap = f"/desk/reservations/{scenario['vr']}/items/"
    assert swap in row and f"Swap {headset.tag} for another free one" in row
    # The staff home page counts them (the overdue drone's next one and Vera's).
    home = page(get(client, "/"))
    assert "2 reservations hold an asset that is overdue or in maintenance." in home
    assert 'href="/desk#endangered"' in home


def test_desk_without_trouble_says_so(client, staff):
    body = page(get(client, "/desk"))
    assert "No reservation holds overdue equipment or equipment in maintenance." in body
    assert "hold an asset that is overdue" not in page(get(client, "/"))


def test_desk_tables_scroll_in_a_labelled_focusable_region(client, scenario, staff):
    body = page(get(client, "/desk"))
    for caption in ("today-caption", "endangered-caption"):
        assert f'role="region" aria-labelledby="{caption}" tabindex="0"' in body
        assert f'<caption id="{caption}">' in body
    body = page(get(client, f"/desk/reservations/{scenario['pickup']}/check-out"))
    assert 'role="region" aria-labelledby="items-caption" tabindex="0"' in body
    body = page(get(client, "/desk/reservations"))
    assert 'role="region" aria-labelledby="reservations-caption" tabindex="0"' in body


def test_swap_without_a_free_asset_says_so(app, client, scenario, staff):
    with app.app_context():
        drone_tags = db.session.scalars(
            sa.select(Asset).where(Asset.equipment_type_id == scenario["drone"])
        ).all()
        for asset in drone_tags:
            if asset.id != scenario["overdue_asset"]:
                asset.status = AssetStatus.MAINTENANCE
        db.session.commit()
    swap = f"/desk/reservations/{scenario['waiting']}/items/{scenario['waiting_item']}/swap"
    response = post(client, swap, {"next": "/desk"})
    assert response.status_code == 302
    assert "No DJI Mini 4 is free in this period." in page(get(client, "/desk"))
    assert (
        fetch(app, ReservationItem, scenario["waiting_item"]).asset_id
        == (scenario["overdue_asset"])
    )


def test_swap_refuses_an_item_of_another_reservation(client, scenario, staff):
    path = f"/desk/reservations/{scenario['rival']}/items/{scenario['waiting_item']}/swap"
    assert post(client, path).status_code == 404


def test_lookup_finds_a_tag_whatever_its_case_and_spaces(app, client, scenario, staff):
    asset = fetch(app, Asset, scenario["overdue_asset"])
    response = get(client, "/desk/lookup", query_string={"tag": f"  {asset.tag.lower()} "})
    assert response.status_code == 302
    assert response.location == f"/desk/assets/{asset.id}"


def test_lookup_of_an_unknown_tag_keeps_what_was_typed(client, scenario, staff):
    response = get(client, "/desk/lookup", query_string={"tag": "DRONE-99"})
    assert response.status_code == 200
    body = page(response)
    assert 'value="DRONE-99"' in body and 'aria-invalid="true"' in body
    assert "No asset has the tag “DRONE-99”." in body
    assert "<title>Error: Lending desk" in body
    body = page(get(client, "/desk/lookup", query_string={"tag": "   "}))
    assert "Scan a label or type an asset tag." in body


# The asset page (QR label) -------------------------------------------------------------


def test_asset_page_offers_take_back_for_gear_that_is_out(app, client, scenario, staff):
    body = page(get(client, f"/desk/assets/{scenario['overdue_asset']}"))
    assert f"/desk/reservations/{scenario['loan']}/check-in" in body
    assert "Take back" in body and "Xander Laat" in body and "Overdue" in body
    # The next reservation that holds it is shown too.
    assert "Yara Volgend" in body


def test_asset_page_offers_check_out_when_the_pickup_is_due(app, client, scenario, staff):
    pickup = fetch(app, Reservation, scenario["pickup"])
    path = f"/desk/assets/{pickup.items[0].asset_id}"
    body = page(get(client, path))
    assert f"/desk/reservations/{pickup.id}/check-out" in body and "Pim Ophaal" in body
    body = page(get(client, path, when=at(2, 8)))
    assert f"/desk/reservations/{pickup.id}/check-out" not in body
    assert "Nothing to hand out or take back now." in body


def test_asset_page_warns_about_maintenance_and_links_to_the_catalogue(client, scenario, staff):
    body = page(get(client, f"/desk/assets/{scenario['vr_asset']}"))
    assert "This asset is in maintenance" in body and "In maintenance" in body
    assert f'href="/catalogue/assets/{scenario["vr_asset"]}"' in body
    assert "Repaired? Set it available in the catalogue" in body
    body = page(get(client, f"/desk/assets/{scenario['overdue_asset']}"))
    assert "Repaired?" not in body


@pytest.mark.parametrize("role", ["teacher", "manager"])
def test_teachers_and_managers_who_scan_a_label_see_the_type(app, client, auth, scenario, role):
    auth.login_as(role)
    response = client.get(f"/desk/assets/{scenario['overdue_asset']}")
    assert response.status_code == 302
    with app.test_request_context():
        try:
            expected = url_for("equipment.equipment_type", type_id=scenario["drone"])
        except BuildError:
            expected = "/"
    assert response.location == expected


def test_asset_page_of_an_unknown_asset_is_404(client, staff):
    assert client.get("/desk/assets/999999").status_code == 404


# Check-out -------------------------------------------------------------------------------


def test_check_out_too_early_keeps_the_note_and_says_when(app, client, scenario, staff):
    path = f"/desk/reservations/{scenario['afternoon']}/check-out"
    body = page(get(client, path))
    assert "It is too early: this reservation can be picked up from" in body
    response = post(client, path, {"condition": "Kras op de behuizing"})
    assert response.status_code == 200
    body = page(response)
    assert "It is too early" in body and "Kras op de behuizing" in body
    assert fetch(app, Reservation, scenario["afternoon"]).status is ReservationStatus.APPROVED


def test_check_out_hands_everything_out_and_goes_back(app, client, scenario, staff):
    path = f"/desk/reservations/{scenario['pickup']}/check-out"
    body = page(get(client, path, query_string={"next": "/desk"}))
    assert "Pim Ophaal" in body and "pim@school.example" in body
    assert 'name="next" type="hidden" value="/desk"' in body
    response = post(client, path, {"condition": "Compleet", "next": "/desk"})
    assert response.status_code == 302 and response.location == "/desk"
    reservation = fetch(app, Reservation, scenario["pickup"])
    assert reservation.status is ReservationStatus.CHECKED_OUT
    assert reservation.items[0].condition_out == "Compleet"
    assert "Handed out to Pim Ophaal" in page(get(client, "/desk"))


def test_check_out_refuses_an_unsafe_next_and_goes_to_the_asset(app, client, scenario, staff):
    path = f"/desk/reservations/{scenario['pickup']}/check-out"
    response = post(client, path, {"next": "https://evil.example/"})
    asset_id = fetch(app, Reservation, scenario["pickup"]).items[0].asset_id
    assert response.location == f"/desk/assets/{asset_id}"


def test_check_out_of_a_pending_request_shows_why_not(client, scenario, staff):
    path = f"/desk/reservations/{scenario['waiting']}/check-out"
    response = post(client, path)
    assert response.status_code == 200
    assert "This request has not been approved yet." in page(response)


def test_check_out_of_a_kit_lists_every_asset(app, client, staff):
    with app.app_context():
        teacher = make_user(name="Kees Kit", email="kees@school.example")
        drone = make_type(name="Drone", assets=1)
        battery = make_type(name="Accu", assets=2)
        kit = make_kit("Dronekit", {drone: 1, battery: 2})
        reservation = make_reservation(
            teacher, kit=kit, starts_at=at(2, 10), ends_at=at(2, 16), now=BOOKED
        )
        db.session.commit()
        tags = [item.asset.tag for item in reservation.items]
        path = f"/desk/reservations/{reservation.id}/check-out"
    body = page(get(client, path))
    assert all(tag in body for tag in tags) and len(tags) == 3
    assert "A kit goes out as one" in body and "kees@school.example" in body


# Take back -------------------------------------------------------------------------------


def _out_on_loan(app, *, quantity=2, holds_recordings=False):
    with app.app_context():
        teacher = make_user(name="Lotte Lener", email="lotte@school.example")
        staff = make_user(role="staff")
        camera = make_type(name="Insta360", assets=quantity, holds_recordings=holds_recordings)
        reservation = make_reservation(
            teacher,
            equipment_type=camera,
            quantity=quantity,
            starts_at=at(1, 10),
            ends_at=at(2, 12),
            now=BOOKED,
        )
        from straxlab.equipment import services

        services.check_out(reservation, actor=staff, now=at(1, 10))
        db.session.commit()
        return reservation.id, [item.asset_id for item in reservation.items]


def test_take_back_ticks_everything_out_by_default(app, client, staff):
    reservation_id, asset_ids = _out_on_loan(app)
    body = page(get(client, f"/desk/reservations/{reservation_id}/check-in"))
    for asset_id in asset_ids:
        assert " checked" in checkbox(body, "asset_ids", asset_id)
        assert " checked" not in checkbox(body, "damaged", asset_id)
    # No recording device: no memory card question.
    assert "Memory card wiped" not in body


def test_partial_take_back_with_damage_sends_the_asset_to_maintenance(app, client, staff):
    reservation_id, (broken, kept) = _out_on_loan(app)
    path = f"/desk/reservations/{reservation_id}/check-in"
    response = post(
        client,
        path,
        {"asset_ids": [broken], "damaged": [broken], "damage_report": "Lens gebarsten"},
    )
    assert response.status_code == 302
    assert fetch(app, Asset, broken).status is AssetStatus.MAINTENANCE
    assert fetch(app, Asset, kept).status is AssetStatus.AVAILABLE
    reservation = fetch(app, Reservation, reservation_id)
    assert reservation.status is ReservationStatus.CHECKED_OUT
    assert {i.asset_id: i.damage_report for i in reservation.items}[broken] == "Lens gebarsten"
    body = page(get(client, path))
    assert "Some items are still out." in body
    assert f'value="{broken}"' not in body and f'value="{kept}"' in body
    assert "Already back" in body and "Lens gebarsten" in body


def _held_next(app, asset_id, *, name, day):
    """A later approved reservation of someone else that holds this asset."""
    with app.app_context():
        asset = db.session.get(Asset, asset_id)
        reservation = make_reservation(
            make_user(name=name),
            equipment_type=asset.equipment_type,
            starts_at=at(day, 10),
            ends_at=at(day, 12),
            now=BOOKED,
        )
        reservation.items[0].asset = asset
        db.session.commit()
        return reservation.id, reservation.items[0].id


def test_damaged_take_back_names_the_reservations_that_hold_the_asset_next(app, client, staff):
    reservation_id, (broken, kept) = _out_on_loan(app)
    first, _ = _held_next(app, broken, name="Hanna <Haast>", day=3)
    second, item = _held_next(app, broken, name="Ivo Inhaal", day=4)
    response = post(
        client,
        f"/desk/reservations/{reservation_id}/check-in",
        {"asset_ids": [broken, kept], "damaged": [broken], "damage_report": "Lens gebarsten"},
    )
    assert response.status_code == 302
    body = page(get(client, "/desk"))
    flashes = body[body.index('class="flashes"') : body.index("</div>", body.index("flashes"))]
    tag = fetch(app, Asset, broken).tag
    assert "flash--warning" in flashes
    assert f"{tag} has gone to maintenance, and upcoming reservations hold it:" in flashes
    link = f'<a href="/reservations/{first}">{tag}: Hanna &lt;Haast&gt;, pickup Thu 3 Dec 10:00</a>'
    assert link in flashes and f'href="/reservations/{second}"' in flashes
    assert "<Haast>" not in flashes
    # The desk lists both, with a swap for each.
    section = body[body.index('id="endangered-heading"') :]
    assert section.count("Held item is in maintenance.") == 2
    assert "Lens gebarsten" in section
    swap = f"/desk/reservations/{second}/items/{item}/swap"
    assert swap in section
    assert post(client, swap, {"next": "/desk"}).status_code == 302
    assert fetch(app, ReservationItem, item).asset_id == kept
    section = page(get(client, "/desk"))
    assert section.count("Held item is in maintenance.") == 1


def test_take_back_links_at_most_five_reservations_in_the_flash(app, client, staff):
    reservation_id, (broken, _kept) = _out_on_loan(app)
    held = [
        _held_next(app, broken, name=f"Lener {day}", day=day)[0]
        for day in (3, 4, 7, 8, 9, 10, 11, 14)
    ]
    post(
        client,
        f"/desk/reservations/{reservation_id}/check-in",
        {"asset_ids": [broken], "damaged": [broken], "damage_report": "Kapot"},
    )
    body = page(get(client, "/desk"))
    flashes = body[body.index('class="flashes"') : body.index("</div>", body.index("flashes"))]
    assert [f'href="/reservations/{r}"' in flashes for r in held] == [True] * 5 + [False] * 3
    assert '<a href="/desk#endangered">3 more</a>' in flashes


def test_take_back_to_maintenance_without_later_reservations_says_so(app, client, staff):
    reservation_id, (broken, _kept) = _out_on_loan(app)
    post(
        client,
        f"/desk/reservations/{reservation_id}/check-in",
        {"asset_ids": [broken], "damaged": [broken], "damage_report": "Kapot"},
    )
    body = page(get(client, "/desk"))
    tag = fetch(app, Asset, broken).tag
    assert f"{tag} has gone to maintenance. No upcoming reservation holds it." in body


def test_recorder_without_a_wiped_card_goes_to_maintenance_and_warns(app, client, staff):
    reservation_id, (recorder,) = _out_on_loan(app, quantity=1, holds_recordings=True)
    later, _ = _held_next(app, recorder, name="Jet Opname", day=3)
    path = f"/desk/reservations/{reservation_id}/check-in"
    assert "goes to maintenance until the card is wiped" in page(get(client, path))
    response = post(client, path, {"asset_ids": [recorder]})
    assert response.status_code == 302
    asset = fetch(app, Asset, recorder)
    assert asset.status is AssetStatus.MAINTENANCE
    body = page(get(client, "/desk"))
    assert f"{asset.tag} has gone to maintenance" in body
    assert f'href="/reservations/{later}"' in body
    section = body[body.index('id="endangered-heading"') :]
    assert "Jet Opname" in section and "Held item is in maintenance." in section
    # The asset page shows why, and where to put it back into service.
    body = page(get(client, f"/desk/assets/{recorder}"))
    assert "Memory card not confirmed wiped" in body
    assert f'href="/catalogue/assets/{recorder}"' in body


def test_damage_without_a_report_keeps_the_form(app, client, staff):
    reservation_id, (first, second) = _out_on_loan(app)
    path = f"/desk/reservations/{reservation_id}/check-in"
    response = post(
        client, path, {"asset_ids": [first, second], "damaged": [first], "condition": "Vuil"}
    )
    assert response.status_code == 200
    body = page(response)
    assert 'id="damage_report-error"' in body and "Describe the damage." in body
    assert re.search(r">\s*Vuil</textarea>", body)
    assert fetch(app, Reservation, reservation_id).status is ReservationStatus.CHECKED_OUT


def test_nothing_ticked_is_refused(app, client, staff):
    reservation_id, _ = _out_on_loan(app)
    response = post(client, f"/desk/reservations/{reservation_id}/check-in", {"condition": ""})
    assert response.status_code == 200
    assert "Tick at least one item that has come back." in page(response)


def test_recorders_ask_whether_the_memory_card_was_wiped(app, client, staff):
    reservation_id, asset_ids = _out_on_loan(app, quantity=1, holds_recordings=True)
    path = f"/desk/reservations/{reservation_id}/check-in"
    body = page(get(client, path))
    assert "Memory card wiped" in body and "personal data" in body
    response = post(client, path, {"asset_ids": asset_ids, "card_wiped": "y"})
    assert response.status_code == 302
    reservation = fetch(app, Reservation, reservation_id)
    assert reservation.status is ReservationStatus.RETURNED
    assert reservation.items[0].card_wiped is True


def test_take_back_of_a_reservation_that_is_not_out(client, scenario, staff):
    path = f"/desk/reservations/{scenario['waiting']}/check-in"
    assert "nothing to take back" in page(get(client, path))
    response = post(client, path)
    assert response.status_code == 200
    assert "This reservation is not out on loan." in page(response)


# Approvals --------------------------------------------------------------------------------


def test_approval_queue_lists_requests_with_their_findings(client, scenario, staff):
    body = page(get(client, "/desk/approvals"))
    positions = [body.index(f'id="request-{scenario[key]}"') for key in ("waiting", "rival", "vr")]
    assert positions == sorted(positions)
    yara = body[positions[0] : positions[1]]
    assert "Yara Volgend" in yara and "Thursday 3 December 10:00" in yara
    assert "Yara Volgend has no valid “Drone pilot A1/A3” on file." in yara
    assert "Needs attention" in yara and ">Check<" not in yara
    assert "Zeno Tegelijk" in yara and "Competing requests" in yara
    assert "is still out and overdue" in yara
    zeno = body[positions[1] : positions[2]]
    assert "would hold 2 items at once" in zeno
    vera = body[positions[2] :]
    assert "is in maintenance" in vera and "Not enough free" in vera


def test_approve_with_a_note(app, client, scenario, staff):
    path = f"/desk/reservations/{scenario['rival']}/approve"
    response = post(client, path, {"note": "Veel vliegplezier"})
    assert response.status_code == 302 and response.location == "/desk/approvals"
    reservation = fetch(app, Reservation, scenario["rival"])
    assert reservation.status is ReservationStatus.APPROVED
    assert reservation.decision_note == "Veel vliegplezier"
    body = page(get(client, "/desk/approvals"))
    assert "Approved: DJI Mini 4 for Zeno Tegelijk." in body
    assert f'id="request-{scenario["rival"]}"' not in body


def test_approval_that_fails_keeps_the_note_beside_the_request(app, client, scenario, staff):
    path = f"/desk/reservations/{scenario['vr']}/approve"
    response = post(client, path, {"note": "Fijne les"})
    assert response.status_code == 200
    body = page(response)
    card = body[body.index(f'id="request-{scenario["vr"]}"') :]
    assert "No Meta Quest 3 is free in this period." in card
    assert re.search(r">\s*Fijne les</textarea>", card)
    assert fetch(app, Reservation, scenario["vr"]).status is ReservationStatus.PENDING


def test_reject_needs_a_reason_and_keeps_the_form(app, client, scenario, staff):
    path = f"/desk/reservations/{scenario['waiting']}/reject"
    assert "Reject request" in page(get(client, path))
    response = post(client, path, {"reason": "   "})
    assert response.status_code == 200
    body = page(response)
    assert 'id="reason-error"' in body
    assert "Give the reason for rejecting, for the teacher." in body
    assert fetch(app, Reservation, scenario["waiting"]).status is ReservationStatus.PENDING
    response = post(client, path, {"reason": "Geen geldig brevet"})
    assert response.status_code == 302
    reservation = fetch(app, Reservation, scenario["waiting"])
    assert reservation.status is ReservationStatus.REJECTED
    assert reservation.decision_note == "Geen geldig brevet"


def test_rejecting_a_request_dealt_with_keeps_the_reason(client, scenario, staff):
    path = f"/desk/reservations/{scenario['pickup']}/reject"
    response = post(client, path, {"reason": "Te laat gezien"})
    assert response.status_code == 200
    body = page(response)
    assert "This request has already been dealt with." in body and "Te laat gezien" in body


def test_approval_queue_is_empty_with_a_way_on(client, staff):
    body = page(get(client, "/desk/approvals"))
    assert "No requests are awaiting approval." in body


def test_approval_queue_takes_the_same_number_of_statements_for_more_requests(app, client, staff):
    from tests.equipment.test_desk_queries import _pending_requests

    def statements() -> int:
        with app.app_context(), count_statements() as seen:
            assert get(client, "/desk/approvals").status_code == 200
        return len(seen)

    with app.app_context():
        _pending_requests(2, "a")
    few = statements()
    with app.app_context():
        _pending_requests(6, "b")
    assert statements() == few


# All reservations ------------------------------------------------------------------------


def _spread_reservations(app):
    """Anna's cancelled reservation tomorrow, Bram's the day after, Cor's in five weeks."""
    with app.app_context():
        anna = make_user(name="Anna de Vries")
        bram = make_user(name="Bram Bakker")
        cor = make_user(name="Cor Later")
        camera = make_type(name="Sony ZV-1", assets=3)
        soon = make_reservation(
            anna, equipment_type=camera, starts_at=at(3, 10), ends_at=at(3, 12), now=BOOKED
        )
        make_reservation(
            cor,
            equipment_type=camera,
            starts_at=at(3, 10) + timedelta(days=35),
            ends_at=at(3, 12) + timedelta(days=35),
            now=BOOKED,
        )
        from straxlab.equipment import services

        services.cancel_reservation(soon, actor=anna, now=BOOKED)
        make_reservation(
            bram, equipment_type=camera, starts_at=at(4, 10), ends_at=at(4, 12), now=BOOKED
        )
        db.session.commit()


@pytest.mark.parametrize("role", ["staff", "manager"])
def test_all_reservations_from_today_for_four_weeks(app, client, auth, role):
    auth.login_as(role, locale="en")
    _spread_reservations(app)
    body = page(get(client, "/desk/reservations"))
    assert "Anna de Vries" in body and "Bram Bakker" in body and "Cancelled" in body
    assert 'value="2026-12-02"' in body and 'value="2026-12-29"' in body
    assert "Cor Later" not in body
    body = page(get(client, "/desk/reservations", query_string={"last": "2027-01-31"}))
    assert "Cor Later" in body
    # Asset tags open the desk's asset page: for staff only.
    assert ("/desk/assets/" in body) is (role == "staff")


def test_all_reservations_filter_by_status_and_name(app, client, staff):
    _spread_reservations(app)
    body = page(get(client, "/desk/reservations", query_string={"status": "cancelled"}))
    assert "Anna de Vries" in body and "Bram Bakker" not in body
    body = page(get(client, "/desk/reservations", query_string={"q": "bakker"}))
    assert "Bram Bakker" in body and "Anna de Vries" not in body
    body = page(get(client, "/desk/reservations", query_string={"q": "nobody"}))
    assert "match these filters" in body


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"first": "0001-01-01"}, "first"),
        ({"last": "9999-12-31"}, "last"),
        ({"first": "9999-12-30"}, "first"),
        ({"first": "1999-12-31", "last": "2026-12-10"}, "first"),
        ({"first": "2026-12-01", "last": "2101-01-01"}, "last"),
    ],
)
def test_all_reservations_refuses_dates_outside_2000_to_2100(client, staff, query, field):
    response = get(client, "/desk/reservations", query_string=query)
    assert response.status_code == 200
    body = page(response)
    assert f'id="{field}-error"' in body
    assert "Choose a date in the years 2000 to 2100." in body
    assert f'value="{query[field]}"' in body  # what was typed stays
    assert "<title>Error: All reservations" in body


def test_all_reservations_up_to_the_last_day_2100(client, staff):
    body = page(get(client, "/desk/reservations", query_string={"first": "2100-12-31"}))
    assert "Choose a date" not in body
    assert 'value="2100-12-31"' in body


def test_all_reservations_always_list_loans_that_are_still_out(app, client, scenario, staff):
    # Xander's drone was due back yesterday: before the default window, but still out.
    body = page(get(client, "/desk/reservations"))
    assert "Xander Laat" in body and "Overdue" in body
    far = {"first": "2027-06-01", "last": "2027-06-02"}
    body = page(get(client, "/desk/reservations", query_string=far))
    assert "Xander Laat" in body and "Quinten Terug" in body and "Pim Ophaal" not in body
    body = page(get(client, "/desk/reservations", query_string={**far, "status": "approved"}))
    assert "Xander Laat" not in body and "match these filters" in body


def test_all_reservations_refuses_a_backwards_range(app, client, staff):
    response = get(
        client, "/desk/reservations", query_string={"first": "2026-12-10", "last": "2026-12-01"}
    )
    assert response.status_code == 200
    assert "The last day must not be before the first day." in page(response)


def test_all_reservations_paginate_in_a_fixed_number_of_statements(app, client, staff):
    def statements(page_number: int) -> int:
        with app.app_context(), count_statements() as seen:
            response = get(client, "/desk/reservations", query_string={"page": page_number})
            assert response.status_code == 200
        return len(seen)

    with app.app_context():
        camera = make_type(assets=30)
        for _ in range(30):
            make_reservation(
                make_user(),
                equipment_type=camera,
                starts_at=at(3, 10),
                ends_at=at(3, 12),
                now=BOOKED,
            )
        db.session.commit()
    first = statements(1)
    body = page(get(client, "/desk/reservations", query_string={"page": 2}))
    assert "Page 2 of 2" in body
    assert statements(2) == first


def test_desk_takes_the_same_number_of_statements_for_more_rows(app, client, staff):
    def statements() -> int:
        with app.app_context(), count_statements() as seen:
            assert get(client, "/desk").status_code == 200
        return len(seen)

    with app.app_context():
        build_desk_scenario()
    few = statements()
    with app.app_context():
        camera = make_type(assets=6)
        for _ in range(6):
            make_reservation(
                make_user(),
                equipment_type=camera,
                starts_at=at(2, 13),
                ends_at=at(2, 15),
                now=BOOKED,
            )
        db.session.commit()
    assert statements() == few


# QR labels -------------------------------------------------------------------------------


def test_label_sheet_holds_a_qr_code_of_the_assets_address(app, client, staff):
    app.config["BASE_URL"] = "https://strax.example.org/"
    with app.app_context():
        camera = make_type(name="GoPro Hero", assets=0)
        asset = make_asset(camera, tag="GOPRO-07")
        db.session.commit()
        asset_id = asset.id
    response = get(client, "/desk/labels/sheet", query_string={"asset": asset_id})
    assert response.status_code == 200
    body = page(response)
    url = f"https://strax.example.org/desk/assets/{asset_id}"
    expected = segno.make(url, error="m").svg_data_uri(scale=4, border=1)
    sources = [
        html.unescape(s) for s in re.findall(r'<img class="qr-label__qr" src="([^"]+)"', body)
    ]
    assert sources == [expected]
    assert sources[0].startswith("data:image/svg+xml")
    assert 'alt="QR code for GOPRO-07"' in body
    assert "GOPRO-07" in body and "GoPro Hero" in body


def test_label_sheet_for_all_assets_skips_retired_ones_and_fills_pages(app, client, staff):
    with app.app_context():
        camera = make_type(name="Camera", assets=25)
        make_asset(camera, tag="OUD-01", status=AssetStatus.RETIRED)
        db.session.commit()
    body = page(get(client, "/desk/labels/sheet", query_string={"all": "1"}))
    assert body.count('class="qr-label"') == 25
    assert body.count('class="qr-label-page"') == 2  # 24 to a sheet
    assert "OUD-01" not in body


@pytest.mark.parametrize("query", ["", "?asset=abc", "?asset=99999999999", "?asset=0"])
def test_label_sheet_without_a_usable_choice_says_what_to_do(client, staff, query):
    response = get(client, f"/desk/labels/sheet{query}")
    assert response.status_code == 200
    assert "No assets chosen." in page(response)


def test_labels_page_lets_staff_tick_assets_per_type(app, client, staff):
    body = page(get(client, "/desk/labels"))
    assert "There are no assets yet." in body
    with app.app_context():
        camera = make_type(name="Camera", assets=2)
        db.session.commit()
        ids = [a.id for a in db.session.scalars(sa.select(Asset)).all()]
        assert camera.id
    body = page(get(client, "/desk/labels"))
    assert "<legend" in body and "Camera" in body
    for asset_id in ids:
        assert f'name="asset" value="{asset_id}"' in body
    assert 'href="/desk/labels/sheet?all=1"' in body
