"""Catalogue pages: forms keep what was typed, happy paths redirect with a message, no N+1."""

from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO

import pytest
import sqlalchemy as sa
from PIL import Image

from straxlab.core.audit import AuditEvent
from straxlab.equipment.models import (
    Asset,
    Category,
    EquipmentType,
    Kit,
    Qualification,
)
from straxlab.equipment.rules import AssetStatus
from straxlab.extensions import db
from tests.factories import (
    make_asset,
    make_category,
    make_kit,
    make_reservation,
    make_type,
    make_user,
    next_desk_morning,
)


@pytest.fixture
def staff(auth):
    """Logged in as lab staff, reading English (the source text)."""
    return auth.login_as("staff", locale="en", name="Sam Staff")


@pytest.fixture
def photo_dir(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path / "uploads" / "equipment"


def build(app, factory, *args, **kwargs):
    """Run a factory in its own context and commit; returns the new object's id."""
    with app.app_context():
        obj = factory(*args, **kwargs)
        db.session.commit()
        return obj.id


def fetch(app, model, **where):
    with app.app_context():
        return db.session.scalar(sa.select(model).filter_by(**where))


def text(response) -> str:
    return response.get_data(as_text=True)


def type_form(category_id, **overrides):
    return {
        "category": str(category_id),
        "name": "Zoom H5 recorder",
        "description": "Met windkap",
        "turnaround_minutes": "30",
        "max_loan_days": "7",
        "max_advance_days": "90",
        "required_qualification": "",
        **overrides,
    }


def jpeg(size=(64, 48)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, (0, 120, 200)).save(out, "JPEG")
    return out.getvalue()


# Overview and categories


def test_empty_catalogue_tells_staff_to_start_with_a_category(client, staff):
    page = text(client.get("/catalogue"))
    assert "Start with a category" in page
    assert 'href="/catalogue/categories/new"' in page
    assert "No kits yet" in page
    assert "There are no equipment types to put in a kit yet." in text(
        client.get("/catalogue/kits/new")
    )


def test_category_is_created_and_a_duplicate_name_is_a_field_error(app, client, staff):
    response = client.post("/catalogue/categories/new", data={"name": "Drones"})
    assert response.status_code == 302
    category = fetch(app, Category, name="Drones")
    assert response.location == f"/catalogue/categories/{category.id}"
    assert "Category “Drones” added." in text(client.get(response.location))
    response = client.post(
        "/catalogue/categories/new", data={"name": "DRONES", "description": "Tweede poging"}
    )
    page = text(response)
    assert response.status_code == 200
    assert 'id="name-error"' in page and "There is already a category with this name." in page
    assert 'value="DRONES"' in page and "Tweede poging" in page
    assert "<title>Error:" in page


def test_category_is_renamed(app, client, staff):
    category_id = build(app, make_category, "Audio")
    response = client.post(
        f"/catalogue/categories/{category_id}", data={"name": "Audio en podcast"}
    )
    assert response.status_code == 302
    assert "Category “Audio en podcast” saved." in text(client.get(response.location))


def test_overview_lists_types_with_counts_and_kits(app, client, staff):
    with app.app_context():
        audio = make_category("Audio")
        recorder = make_type(name="Zoom H5", category=audio, assets=3, needs_approval=True)
        make_asset(recorder, tag="H5-X", status=AssetStatus.MAINTENANCE)
        make_type(name="Oude recorder", category=audio, is_retired=True)
        make_kit("Podcastkit", {recorder: 2})
        make_category("VR")
        db.session.commit()
    page = text(client.get("/catalogue"))
    row = re.search(r"Zoom H5</a></th>(.*?)</tr>", page, re.S).group(1)
    assert re.findall(r'class="numeric">(\d+)<', row) == ["3", "1", "0"]
    assert "Needs approval" in row
    assert "Type retired" in page
    assert "2 × Zoom H5" in page and "Podcastkit" in page
    assert "No equipment types in this category yet." in page  # VR


def test_overview_issues_a_bounded_number_of_statements(app, client, staff):
    def statements_for_overview() -> int:
        count = 0

        def counter(*_args, **_kwargs):
            nonlocal count
            count += 1

        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", counter)
        try:
            assert client.get("/catalogue").status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", counter)
        return count

    def add_types(n: int, start: int) -> None:
        with app.app_context():
            for index in range(start, start + n):
                category = make_category(f"Categorie {index}")
                equipment_type = make_type(name=f"Type {index}", category=category, assets=2)
                make_kit(f"Kit {index}", {equipment_type: 1})
            db.session.commit()

    add_types(3, 0)
    few = statements_for_overview()
    add_types(27, 3)
    many = statements_for_overview()
    assert "Type 29" in text(client.get("/catalogue"))
    assert many == few
    assert many <= 10


# Equipment types and photos


def test_new_type_without_categories_sends_staff_to_make_one(client, staff):
    response = client.get("/catalogue/types/new")
    assert response.status_code == 302 and response.location == "/catalogue/categories/new"
    assert "Start with a category" in text(client.get(response.location))


def test_type_form_keeps_input_and_shows_errors(app, client, staff):
    category_id = build(app, make_category, "Audio")
    build(app, make_type, name="Zoom H5 recorder")
    response = client.post(
        "/catalogue/types/new",
        data=type_form(category_id, max_loan_days="99", description="Met windkap en kabel"),
    )
    page = text(response)
    assert response.status_code == 200
    assert 'id="max_loan_days-error"' in page and 'value="99"' in page
    assert "Met windkap en kabel" in page
    page = text(client.post("/catalogue/types/new", data=type_form(category_id)))
    assert "There is already an equipment type with this name." in page
    assert 'value="Zoom H5 recorder"' in page


def test_type_is_created_with_a_photo_that_any_logged_in_user_sees(
    app, client, auth, staff, photo_dir
):
    category_id = build(app, make_category, "Audio")
    data = type_form(category_id, needs_approval="y", holds_recordings="y")
    data["photo"] = (BytesIO(jpeg()), "recorder.jpg")
    response = client.post("/catalogue/types/new", data=data)
    assert response.status_code == 302
    created = fetch(app, EquipmentType, name="Zoom H5 recorder")
    assert created.needs_approval and created.holds_recordings and created.turnaround_minutes == 30
    page = text(client.get(response.location))
    assert "Equipment type “Zoom H5 recorder” added." in page
    photo_url = f"/catalogue/photos/{created.photo}"
    assert photo_url in page
    auth.logout()
    assert client.get(photo_url).status_code == 302  # to the login page
    auth.login_as("teacher")
    response = client.get(photo_url)
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_a_file_that_is_not_an_image_is_a_field_error(app, client, staff, photo_dir):
    category_id = build(app, make_category, "Audio")
    data = type_form(category_id, name="Rode mic")
    data["photo"] = (BytesIO(b"%PDF-1.7 rekening"), "foto.jpg")
    response = client.post("/catalogue/types/new", data=data)
    page = text(response)
    assert response.status_code == 200
    assert 'id="photo-error"' in page and "This file is not a photo we can use." in page
    assert 'value="Rode mic"' in page
    data = type_form(category_id, name="Rode mic")
    data["photo"] = (BytesIO(b"hello"), "notes.txt")
    page = text(client.post("/catalogue/types/new", data=data))
    assert "Upload a JPEG, PNG or WebP image." in page
    assert fetch(app, EquipmentType, name="Rode mic") is None


def test_photo_is_replaced_and_removed(app, client, staff, photo_dir):
    category_id = build(app, make_category, "Audio")
    data = type_form(category_id)
    data["photo"] = (BytesIO(jpeg()), "a.jpg")
    client.post("/catalogue/types/new", data=data)
    first = fetch(app, EquipmentType, name="Zoom H5 recorder")
    data = type_form(category_id)
    data["photo"] = (BytesIO(jpeg((30, 90))), "b.jpg")
    assert client.post(f"/catalogue/types/{first.id}", data=data).status_code == 302
    second = fetch(app, EquipmentType, id=first.id)
    page = text(client.get(f"/catalogue/types/{first.id}"))
    assert f'<option selected value="{category_id}">' in page
    assert 'value="Zoom H5 recorder"' in page and 'name="turnaround_minutes"' in page
    assert second.photo != first.photo
    assert not (photo_dir / first.photo).exists()
    assert client.get(f"/catalogue/photos/{first.photo}").status_code == 404
    # Saving without a new file keeps the photo.
    assert (
        client.post(f"/catalogue/types/{first.id}", data=type_form(category_id)).status_code == 302
    )
    assert fetch(app, EquipmentType, id=first.id).photo == second.photo
    response = client.post(f"/catalogue/types/{first.id}/photo/remove")
    assert response.status_code == 302
    assert "The photo has been removed." in text(client.get(response.location))
    assert fetch(app, EquipmentType, id=first.id).photo is None
    assert not (photo_dir / second.photo).exists()
    assert client.get(f"/catalogue/photos/{second.photo}").status_code == 404


def test_retire_and_restore_a_type(app, client, staff):
    type_id = build(app, make_type, name="Oculus Quest")
    response = client.post(f"/catalogue/types/{type_id}/retire")
    assert "“Oculus Quest” is retired" in text(client.get(response.location))
    assert fetch(app, EquipmentType, id=type_id).is_retired
    response = client.post(f"/catalogue/types/{type_id}/retire")
    assert "already retired" in text(client.get(response.location))
    response = client.post(f"/catalogue/types/{type_id}/restore")
    assert "can be reserved again" in text(client.get(response.location))
    assert not fetch(app, EquipmentType, id=type_id).is_retired


# Assets


def test_type_page_shows_its_assets_with_status_words(app, client, staff):
    with app.app_context():
        recorder = make_type(name="Zoom H5")
        make_asset(recorder, tag="H5-01", serial_number="SN-1")
        make_asset(recorder, tag="H5-02", status=AssetStatus.MAINTENANCE, condition_note="Kapot")
        db.session.commit()
        type_id = recorder.id
    page = text(client.get(f"/catalogue/types/{type_id}"))
    assert "H5-01" in page and "SN-1" in page
    assert '<span class="badge badge--warn">In maintenance</span>' in page and "Kapot" in page
    assert '<span class="badge badge--ok">Available</span>' in page


def test_add_one_asset_and_a_duplicate_tag_keeps_the_input(app, client, staff):
    type_id = build(app, make_type, name="Zoom H5")
    response = client.post(
        f"/catalogue/types/{type_id}/assets/new", data={"tag": " H5-01 ", "serial_number": "A1"}
    )
    assert response.status_code == 302
    assert "Asset H5-01 added." in text(client.get(response.location))
    response = client.post(
        f"/catalogue/types/{type_id}/assets/new", data={"tag": "h5-01", "serial_number": "B2"}
    )
    page = text(response)
    assert response.status_code == 200
    assert "There is already an asset with this asset tag." in page
    assert 'value="h5-01"' in page and 'value="B2"' in page
    page = text(client.post(f"/catalogue/types/{type_id}/assets/new", data={"tag": "H5 02"}))
    assert 'id="tag-error"' in page and "without spaces" in page


def test_bulk_add_from_the_box_form(app, client, staff):
    with app.app_context():
        recorder = make_type(name="Zoom H5")
        make_asset(recorder, tag="H5-02")
        db.session.commit()
        type_id = recorder.id
    response = client.post(
        f"/catalogue/types/{type_id}/assets/new",
        data={"prefix": "H5-", "count": "3", "bulk_submit": "Add these assets"},
    )
    assert response.status_code == 302
    page = text(client.get(response.location))
    assert "3 assets added: H5-01 to H5-04. Skipped because they exist already: H5-02." in page
    with app.app_context():
        tags = db.session.scalars(sa.select(Asset.tag).order_by(Asset.tag)).all()
    assert tags == ["H5-01", "H5-02", "H5-03", "H5-04"]
    response = client.post(
        f"/catalogue/types/{type_id}/assets/new",
        data={"prefix": "H 5", "count": "3", "bulk_submit": "Add these assets"},
    )
    page = text(response)
    assert response.status_code == 200 and 'id="prefix-error"' in page
    assert 'value="H 5"' in page and 'value="3"' in page
    # The single-asset form is not judged when the box form was sent.
    assert 'id="tag-error"' not in page


def test_asset_details_are_edited(app, client, staff):
    with app.app_context():
        asset = make_asset(make_type(), tag="CAM-1")
        db.session.commit()
        asset_id = asset.id
    response = client.post(
        f"/catalogue/assets/{asset_id}",
        data={"tag": "CAM-01", "serial_number": "X9", "condition_note": "Kras op lens"},
    )
    assert response.status_code == 302
    page = text(client.get(response.location))
    assert "Asset CAM-01 saved." in page
    assert "Details changed; asset tag CAM-1 became CAM-01" in page and "by Sam Staff" in page


def test_maintenance_lists_the_reservations_to_swap(app, client, staff):
    with app.app_context():
        teacher = make_user(name="Sanne de Vries")
        camera = make_type(name="Insta360", assets=1)
        start = next_desk_morning()
        reservation = make_reservation(
            teacher, equipment_type=camera, starts_at=start, ends_at=start + timedelta(hours=3)
        )
        db.session.commit()
        asset_id = reservation.items[0].asset_id
    page = text(client.get(f"/catalogue/assets/{asset_id}"))
    assert "Sanne de Vries" in page and "not available, but these reservations" not in page
    response = client.post(
        f"/catalogue/assets/{asset_id}/status",
        data={"status": "maintenance", "note": "Lens gebarsten"},
    )
    assert response.status_code == 302
    page = text(client.get(response.location))
    assert "Available → In maintenance" in page
    assert "Upcoming reservations still hold this asset" in page
    assert "not available, but these reservations still hold it" in page
    assert "Sanne de Vries" in page
    assert "Status changed from Available to In maintenance: Lens gebarsten" in page
    with app.app_context():
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "asset.status_changed")
        )
    assert event.details == {"old": "available", "new": "maintenance", "note": "Lens gebarsten"}
    assert event.actor_id == staff.id


def test_retiring_an_asset_asks_for_confirmation(app, client, staff):
    with app.app_context():
        asset = make_asset(make_type(), tag="VR-1")
        db.session.commit()
        asset_id = asset.id
    response = client.post(
        f"/catalogue/assets/{asset_id}/status",
        data={"retire": "1", "retire_note": "Verloren op excursie"},
    )
    page = text(response)
    assert response.status_code == 200
    assert "Tick the box to confirm" in page and 'value="Verloren op excursie"' in page
    assert fetch(app, Asset, id=asset_id).status is AssetStatus.AVAILABLE
    response = client.post(
        f"/catalogue/assets/{asset_id}/status",
        data={"retire": "1", "retire_note": "Verloren op excursie", "confirm": "y"},
    )
    assert response.status_code == 302
    assert fetch(app, Asset, id=asset_id).status is AssetStatus.RETIRED
    page = text(client.get(response.location))
    assert "Bring back into use" in page
    response = client.post(f"/catalogue/assets/{asset_id}/status", data={"status": "available"})
    assert response.status_code == 302
    assert fetch(app, Asset, id=asset_id).status is AssetStatus.AVAILABLE
    page = text(client.post(f"/catalogue/assets/{asset_id}/status", data={"status": "available"}))
    assert "This asset is already “available”." in page


# Kits


def kit_rows(*rows):
    data = {}
    for index, (type_id, quantity) in enumerate(rows):
        data[f"components-{index}-equipment_type"] = str(type_id)
        data[f"components-{index}-quantity"] = str(quantity)
    return data


def test_kit_is_created_from_rows_and_empty_rows_are_ignored(app, client, staff):
    drone_id = build(app, make_type, name="DJI Mini")
    battery_id = build(app, make_type, name="Accu")
    data = {
        "name": "Dronekit",
        "description": "In de grijze koffer",
        **kit_rows((drone_id, 1), ("", 1), (battery_id, 2), ("", "")),
    }
    response = client.post("/catalogue/kits/new", data=data)
    assert response.status_code == 302
    assert "Kit “Dronekit” added." in text(client.get(response.location))
    kit = fetch(app, Kit, name="Dronekit")
    with app.app_context():
        kit = db.session.get(Kit, kit.id)
        assert {(c.equipment_type.name, c.quantity) for c in kit.components} == {
            ("DJI Mini", 1),
            ("Accu", 2),
        }
    page = text(client.get(f"/catalogue/kits/{kit.id}"))
    assert 'value="2"' in page and "Retire this kit" in page


def test_kit_form_errors_keep_the_rows(app, client, staff):
    drone_id = build(app, make_type, name="DJI Mini")
    response = client.post(
        "/catalogue/kits/new",
        data={"name": "Dronekit", **kit_rows((drone_id, 1), (drone_id, 3))},
    )
    page = text(response)
    assert response.status_code == 200
    assert "Each equipment type can be in a kit once" in page
    assert 'value="3"' in page and 'value="Dronekit"' in page
    page = text(client.post("/catalogue/kits/new", data={"name": "Leeg"}))
    assert "A kit needs at least one equipment type." in page
    page = text(
        client.post("/catalogue/kits/new", data={"name": "Te veel", **kit_rows((drone_id, 11))})
    )
    assert 'id="components-0-quantity"' in page and "Number must be between 1 and 10." in page
    assert fetch(app, Kit, name="Dronekit") is None


def test_kit_is_edited_retired_and_restored(app, client, staff):
    with app.app_context():
        drone = make_type(name="DJI Mini")
        battery = make_type(name="Accu")
        kit = make_kit("Dronekit", {drone: 1})
        db.session.commit()
        kit_id, battery_id, drone_id = kit.id, battery.id, drone.id
    response = client.post(
        f"/catalogue/kits/{kit_id}",
        data={"name": "Dronekit groot", **kit_rows((drone_id, 1), (battery_id, 4))},
    )
    assert response.status_code == 302
    assert "Kit “Dronekit groot” saved." in text(client.get(response.location))
    response = client.post(f"/catalogue/kits/{kit_id}/retire")
    assert "can no longer be reserved" in text(client.get(response.location))
    assert fetch(app, Kit, id=kit_id).is_retired
    response = client.post(f"/catalogue/kits/{kit_id}/restore")
    assert "can be reserved again" in text(client.get(response.location))
    assert not fetch(app, Kit, id=kit_id).is_retired


# Qualifications


def test_qualification_is_added_listed_filtered_and_removed(app, client, staff):
    pilot_id = build(app, make_user, name="Piet Piloot")
    build(app, make_user, name="Anna Anders")
    build(app, make_type, required_qualification="Drone pilot A1/A3")
    page = text(client.get("/catalogue/qualifications"))
    assert "No qualifications on file yet." in page
    assert '<option value="Drone pilot A1/A3">' in page
    response = client.post(
        "/catalogue/qualifications",
        data={"user": str(pilot_id), "kind": "Drone pilot A1/A3", "valid_until": "2099-01-31"},
    )
    assert response.status_code == 302
    page = text(client.get(response.location))
    assert "“Drone pilot A1/A3” recorded for Piet Piloot." in page
    assert "Jan 31, 2099" in page and "Sam Staff" in page
    assert "Piet Piloot" in text(client.get("/catalogue/qualifications?q=piet"))
    filtered = text(client.get("/catalogue/qualifications?q=anna"))
    assert "No qualifications for this name." in filtered
    qualification = fetch(app, Qualification, user_id=pilot_id)
    response = client.post(f"/catalogue/qualifications/{qualification.id}/remove")
    assert response.status_code == 302
    assert "“Drone pilot A1/A3” of Piet Piloot removed." in text(client.get(response.location))
    assert fetch(app, Qualification, user_id=pilot_id) is None


def test_qualification_form_keeps_input_on_errors(app, client, staff):
    pilot_id = build(app, make_user, name="Piet Piloot")
    response = client.post(
        "/catalogue/qualifications",
        data={"user": str(pilot_id), "kind": "BHV", "valid_until": "2001-01-01"},
    )
    page = text(response)
    assert response.status_code == 200
    assert 'id="valid_until-error"' in page and "has passed" in page
    assert 'value="BHV"' in page and f'<option selected value="{pilot_id}">' in page
    page = text(client.post("/catalogue/qualifications", data={"kind": "BHV"}))
    assert 'id="user-error"' in page


def test_photos_of_names_outside_the_pattern_are_not_served(client, auth):
    auth.login_as("teacher")
    assert client.get("/catalogue/photos/straxlab.sqlite").status_code == 404
    assert client.get("/catalogue/photos/..%2F..%2Fstraxlab.sqlite").status_code == 404


def test_kit_rows_with_a_unicode_digit_are_ignored_not_a_server_error(client, staff):
    # WTForms reads "²" as a row number and int() then fails: core.forms.RowList skips it.
    response = client.post(
        "/catalogue/kits/new",
        data={"name": "Dronekit", "components-²-equipment_type": "1", "components-²-quantity": "1"},
    )
    assert response.status_code == 200
