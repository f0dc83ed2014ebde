"""Catalogue upkeep services against the real database: names, tags, assets, kits, photos."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from PIL import ExifTags, Image

from straxlab.core.audit import AuditEvent
from straxlab.core.errors import Conflict, InvalidRequest, NotAllowed
from straxlab.equipment import catalogue, services
from straxlab.equipment.catalogue import TypeDetails
from straxlab.equipment.models import Asset, KitComponent, Qualification
from straxlab.equipment.rules import AssetStatus, ReservationStatus
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


def at(day: int, hour: int) -> datetime:
    """An instant in December 2026 on the lab's wall clock."""
    return datetime(2026, 12, day, hour, 0, tzinfo=AMS).astimezone(UTC)


@pytest.fixture
def staff(app_ctx):
    return make_user(role="staff")


@pytest.fixture
def photo_dir(app_ctx, tmp_path, monkeypatch):
    """Uploads go to a temporary instance folder, not the project's."""
    monkeypatch.setattr(app_ctx, "instance_path", str(tmp_path))
    return tmp_path / "uploads" / "equipment"


def events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def details(category_id: int, name: str = "Zoom H5 recorder", **overrides) -> TypeDetails:
    return TypeDetails(category_id=category_id, name=name, **overrides)


# Categories and types


def test_category_names_are_unique_whatever_the_case(staff):
    audio = catalogue.create_category(actor=staff, name="  Audio ", now=NOW)
    assert audio.name == "Audio"
    with pytest.raises(Conflict) as caught:
        catalogue.create_category(actor=staff, name="AUDIO", now=NOW)
    assert caught.value.field == "name"
    video = catalogue.create_category(actor=staff, name="Video", now=NOW)
    with pytest.raises(Conflict):
        catalogue.update_category(video, actor=staff, name="audio", now=NOW)
    # Renaming to itself in another case is not a clash.
    catalogue.update_category(video, actor=staff, name="VIDEO", description="Camera's", now=NOW)
    [changed] = events("category.changed")
    assert changed.actor_id == staff.id
    assert changed.details["changes"]["name"] == ["Video", "VIDEO"]
    assert [e.object_id for e in events("category.created")] == [audio.id, video.id]


def test_only_staff_change_the_catalogue(app_ctx):
    teacher = make_user(role="teacher")
    manager = make_user(role="manager")
    for user in (teacher, manager):
        with pytest.raises(NotAllowed):
            catalogue.create_category(actor=user, name="Drones", now=NOW)


def test_type_is_created_with_its_lending_rules_and_audited(staff):
    category = make_category("Drones")
    drone = catalogue.create_type(
        details(
            category.id,
            name="DJI Mini 4",
            needs_approval=True,
            turnaround_minutes=60,
            max_loan_days=3,
            max_advance_days=30,
            required_qualification="  Drone pilot   A1/A3 ",
            holds_recordings=True,
        ),
        actor=staff,
        now=NOW,
    )
    assert (drone.category_id, drone.needs_approval, drone.turnaround_minutes) == (
        category.id,
        True,
        60,
    )
    assert (drone.max_loan_days, drone.max_advance_days) == (3, 30)
    assert drone.required_qualification == "Drone pilot A1/A3"
    assert drone.holds_recordings and not drone.is_retired and drone.photo is None
    [created] = events("equipment_type.created")
    assert created.object_id == drone.id and created.details["name"] == "DJI Mini 4"
    with pytest.raises(Conflict) as caught:
        catalogue.create_type(details(category.id, name="dji mini 4"), actor=staff, now=NOW)
    assert caught.value.field == "name"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"turnaround_minutes": -1}, "turnaround_minutes"),
        ({"turnaround_minutes": 3 * 24 * 60 + 1}, "turnaround_minutes"),
        ({"max_loan_days": 0}, "max_loan_days"),
        ({"max_loan_days": 61}, "max_loan_days"),
        ({"max_advance_days": 0}, "max_advance_days"),
        ({"max_advance_days": 731}, "max_advance_days"),
        ({"max_advance_days": None}, "max_advance_days"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"required_qualification": "q" * 81}, "required_qualification"),
    ],
)
def test_type_rules_out_of_bounds_are_refused_on_their_field(staff, overrides, field):
    category = make_category()
    with pytest.raises(InvalidRequest) as caught:
        catalogue.create_type(details(category.id, **overrides), actor=staff, now=NOW)
    assert caught.value.field == field


def test_type_bounds_themselves_are_accepted(staff):
    category = make_category()
    edge = catalogue.create_type(
        details(
            category.id, turnaround_minutes=3 * 24 * 60, max_loan_days=60, max_advance_days=730
        ),
        actor=staff,
        now=NOW,
    )
    assert edge.max_advance_days == 730


def test_type_needs_an_existing_category(staff):
    with pytest.raises(InvalidRequest) as caught:
        catalogue.create_type(details(9999), actor=staff, now=NOW)
    assert caught.value.field == "category"


def test_update_type_records_what_changed(staff):
    first, second = make_category("Audio"), make_category("Video")
    recorder = make_type(name="Zoom H5", category=first)
    catalogue.update_type(
        recorder,
        details(second.id, name="Zoom H5", max_loan_days=14, max_advance_days=365),
        actor=staff,
        now=NOW,
    )
    assert recorder.category_id == second.id
    [changed] = events("equipment_type.changed")
    assert changed.details["changes"]["category_id"] == [first.id, second.id]
    assert "name" not in changed.details["changes"]


def test_a_retired_type_cannot_be_reserved_and_comes_back(staff):
    teacher = make_user()
    camera = make_type(name="Insta360", assets=1)
    catalogue.retire_type(camera, actor=staff, now=NOW)
    with pytest.raises(InvalidRequest):
        make_reservation(
            teacher, equipment_type=camera, starts_at=at(1, 10), ends_at=at(1, 12), now=NOW
        )
    with pytest.raises(Conflict):
        catalogue.retire_type(camera, actor=staff, now=NOW)
    catalogue.restore_type(camera, actor=staff, now=NOW)
    reservation = make_reservation(
        teacher, equipment_type=camera, starts_at=at(1, 10), ends_at=at(1, 12), now=NOW
    )
    assert reservation.status is ReservationStatus.APPROVED
    assert [e.action for e in events("equipment_type.retired")] == ["equipment_type.retired"]
    assert len(events("equipment_type.restored")) == 1


# Assets


@pytest.mark.parametrize("raw", ["H5-01", "  cam_2.b ", "A", "x" * 32, "DJI.MINI-4_01"])
def test_valid_tags_are_kept_trimmed(raw):
    assert catalogue.normalise_tag(raw) == raw.strip()


@pytest.mark.parametrize("raw", ["", "   ", "H5 01", "x" * 33, "H5/01", "ü-1", "tag#1"])
def test_invalid_tags_are_refused(raw):
    with pytest.raises(InvalidRequest) as caught:
        catalogue.normalise_tag(raw)
    assert caught.value.field == "tag"


def test_asset_tags_are_unique_whatever_the_case(staff):
    recorder = make_type(name="Zoom H5")
    asset = catalogue.add_asset(
        recorder, actor=staff, tag=" H5-01 ", serial_number=" SN123 ", now=NOW
    )
    assert (asset.tag, asset.serial_number, asset.status) == (
        "H5-01",
        "SN123",
        AssetStatus.AVAILABLE,
    )
    with pytest.raises(Conflict) as caught:
        catalogue.add_asset(recorder, actor=staff, tag="h5-01", now=NOW)
    assert caught.value.field == "tag"
    other = catalogue.add_asset(recorder, actor=staff, tag="H5-02", now=NOW)
    with pytest.raises(Conflict):
        catalogue.update_asset(other, actor=staff, tag="H5-01", now=NOW)
    catalogue.update_asset(
        other, actor=staff, tag="H5-02", condition_note="Kras op scherm", now=NOW
    )
    [changed] = events("asset.changed")
    assert changed.details["changes"] == {"condition_note": ["", "Kras op scherm"]}
    assert len(events("asset.created")) == 2


def test_no_assets_are_added_to_a_retired_type(staff):
    recorder = make_type(is_retired=True)
    with pytest.raises(Conflict):
        catalogue.add_asset(recorder, actor=staff, tag="R-1", now=NOW)
    with pytest.raises(Conflict):
        catalogue.add_assets(recorder, actor=staff, prefix="R-", count=2, now=NOW)


def test_bulk_add_numbers_the_box_and_skips_tags_that_exist(staff):
    recorder = make_type(name="Zoom H5")
    make_asset(recorder, tag="h5-03")
    result = catalogue.add_assets(recorder, actor=staff, prefix="H5-", count=6, now=NOW)
    assert [a.tag for a in result.added] == ["H5-01", "H5-02", "H5-04", "H5-05", "H5-06", "H5-07"]
    assert result.skipped == ["H5-03"]
    assert all(a.status is AssetStatus.AVAILABLE and a.id for a in result.added)
    created = events("asset.created")
    assert len(created) == 6 and all(e.details["bulk"] for e in created)
    # A second box continues after the first.
    again = catalogue.add_assets(recorder, actor=staff, prefix="H5-", count=2, now=NOW)
    assert [a.tag for a in again.added] == ["H5-08", "H5-09"]


def test_bulk_prefix_with_like_wildcards_is_taken_literally(staff):
    recorder = make_type()
    make_asset(recorder, tag="AB01")
    result = catalogue.add_assets(recorder, actor=staff, prefix="A_", count=1, now=NOW)
    assert [a.tag for a in result.added] == ["A_01"] and result.skipped == []


@pytest.mark.parametrize(
    ("prefix", "count", "field"),
    [
        ("H5 ", 0, "count"),
        ("H5-", 51, "count"),
        ("H5-", None, "count"),
        ("H 5", 2, "prefix"),
        ("x" * 31, 2, "prefix"),
    ],
)
def test_bulk_add_refuses_bad_input(staff, prefix, count, field):
    recorder = make_type()
    with pytest.raises(InvalidRequest) as caught:
        catalogue.add_assets(recorder, actor=staff, prefix=prefix, count=count, now=NOW)
    assert caught.value.field == field
    assert db.session.scalar(sa.select(sa.func.count(Asset.id))) == 0


def test_status_changes_are_audited_with_who_old_new_and_note(staff):
    recorder = make_type(assets=1)
    [asset] = catalogue.assets_of(recorder)
    catalogue.set_asset_status(
        asset, actor=staff, status=AssetStatus.MAINTENANCE, note=" Batterijklep kapot ", now=NOW
    )
    catalogue.set_asset_status(asset, actor=staff, status=AssetStatus.AVAILABLE, now=NOW)
    catalogue.set_asset_status(asset, actor=staff, status=AssetStatus.RETIRED, now=NOW)
    catalogue.set_asset_status(asset, actor=staff, status=AssetStatus.AVAILABLE, now=NOW)
    moves = events("asset.status_changed")
    assert [(e.details["old"], e.details["new"]) for e in moves] == [
        ("available", "maintenance"),
        ("maintenance", "available"),
        ("available", "retired"),
        ("retired", "available"),
    ]
    assert moves[0].details["note"] == "Batterijklep kapot" and "note" not in moves[1].details
    assert all(e.actor_id == staff.id and e.at == NOW for e in moves)
    with pytest.raises(InvalidRequest) as caught:
        catalogue.set_asset_status(asset, actor=staff, status=AssetStatus.AVAILABLE, now=NOW)
    assert caught.value.field == "status"


def test_maintenance_lists_the_upcoming_reservations_that_hold_the_asset(staff):
    teacher = make_user(name="Sanne de Vries")
    camera = make_type(name="Insta360", assets=1)
    [asset] = catalogue.assets_of(camera)
    upcoming = make_reservation(
        teacher, equipment_type=camera, starts_at=at(2, 10), ends_at=at(2, 12), now=NOW
    )
    cancelled = make_reservation(
        teacher, equipment_type=camera, starts_at=at(3, 10), ends_at=at(3, 12), now=NOW
    )
    services.cancel_reservation(cancelled, actor=teacher, now=NOW)
    held = catalogue.set_asset_status(asset, actor=staff, status=AssetStatus.MAINTENANCE, now=NOW)
    assert [item.reservation_id for item in held] == [upcoming.id]
    assert held[0].reservation.requester.name == "Sanne de Vries"
    # Once its period is over, a reservation is no longer "upcoming".
    assert catalogue.upcoming_holds([asset.id], now=at(2, 13)) == []
    # Making it available again needs no swapping.
    assert (
        catalogue.set_asset_status(asset, actor=staff, status=AssetStatus.AVAILABLE, now=NOW) == []
    )


# Kits


def test_kit_with_components_is_created_and_edited_in_place(staff):
    drone = make_type(name="Drone")
    battery = make_type(name="Accu")
    case = make_type(name="Koffer")
    kit = catalogue.create_kit(
        actor=staff,
        name="Dronekit",
        description="Alles in de koffer",
        components=[(drone.id, 1), (battery.id, 2)],
        now=NOW,
    )
    assert {(c.equipment_type_id, c.quantity) for c in kit.components} == {
        (drone.id, 1),
        (battery.id, 2),
    }
    catalogue.update_kit(
        kit,
        actor=staff,
        name="Dronekit",
        description="Alles in de koffer",
        components=[(battery.id, 3), (case.id, 1)],
        now=NOW,
    )
    db.session.flush()
    stored = db.session.execute(
        sa.select(KitComponent.equipment_type_id, KitComponent.quantity).where(
            KitComponent.kit_id == kit.id
        )
    ).all()
    assert sorted(stored) == sorted([(battery.id, 3), (case.id, 1)])
    [changed] = events("kit.changed")
    assert changed.details["changes"]["components"] == [
        sorted([[drone.id, 1], [battery.id, 2]]),
        sorted([[battery.id, 3], [case.id, 1]]),
    ]
    assert len(events("kit.created")) == 1


@pytest.mark.parametrize(
    "rows",
    [
        [],
        [("drone", 1), ("drone", 2)],
        [("drone", 0)],
        [("drone", 11)],
        [("drone", None)],
        [("missing", 1)],
    ],
)
def test_kit_components_are_checked(staff, rows):
    drone = make_type(name="Drone")
    ids = {"drone": drone.id, "missing": 999_999}
    with pytest.raises(InvalidRequest) as caught:
        catalogue.create_kit(
            actor=staff, name="Kit", components=[(ids[t], q) for t, q in rows], now=NOW
        )
    assert caught.value.field == "components"


def test_kit_names_are_unique_and_retired_types_stay_out(staff):
    drone = make_type(name="Drone")
    old = make_type(name="Oude drone", is_retired=True)
    make_kit("Dronekit", {drone: 1})
    with pytest.raises(Conflict) as caught:
        catalogue.create_kit(actor=staff, name="DRONEKIT", components=[(drone.id, 1)], now=NOW)
    assert caught.value.field == "name"
    with pytest.raises(InvalidRequest) as caught:
        catalogue.create_kit(actor=staff, name="Oud", components=[(old.id, 1)], now=NOW)
    assert "Oude drone" in str(caught.value)


def test_a_type_retired_later_may_stay_in_its_kit(staff):
    drone = make_type(name="Drone")
    kit = make_kit("Dronekit", {drone: 1})
    catalogue.retire_type(drone, actor=staff, now=NOW)
    catalogue.update_kit(kit, actor=staff, name="Dronekit", components=[(drone.id, 2)], now=NOW)
    assert kit.components[0].quantity == 2


def test_retire_and_restore_a_kit(staff):
    kit = make_kit("Vlogkit", {make_type(): 1})
    catalogue.retire_kit(kit, actor=staff, now=NOW)
    assert kit.is_retired
    with pytest.raises(Conflict):
        catalogue.retire_kit(kit, actor=staff, now=NOW)
    catalogue.restore_kit(kit, actor=staff, now=NOW)
    assert not kit.is_retired
    assert [e.action for e in events("kit.retired") + events("kit.restored")] == [
        "kit.retired",
        "kit.restored",
    ]


# Qualifications


def test_qualification_is_added_renewed_and_removed_with_audit(staff):
    pilot = make_user(name="Piet Piloot")
    qualification, renewed = catalogue.add_qualification(
        actor=staff,
        user_id=pilot.id,
        kind=" Drone pilot A1/A3 ",
        valid_until=date(2027, 6, 1),
        note="Certificaat 123",
        now=NOW,
    )
    assert not renewed
    assert (qualification.kind, qualification.checked_by_id, qualification.checked_at) == (
        "Drone pilot A1/A3",
        staff.id,
        NOW,
    )
    again, renewed = catalogue.add_qualification(
        actor=staff, user_id=pilot.id, kind="drone pilot a1/a3", valid_until=None, now=NOW
    )
    assert renewed and again.id == qualification.id and again.valid_until is None
    [added] = events("qualification.added")
    assert added.details == {
        "user_id": pilot.id,
        "kind": "Drone pilot A1/A3",
        "valid_until": "2027-06-01",
    }
    assert len(events("qualification.renewed")) == 1
    catalogue.remove_qualification(again, actor=staff, now=NOW)
    db.session.flush()
    assert db.session.scalar(sa.select(sa.func.count(Qualification.id))) == 0
    [removed] = events("qualification.removed")
    assert removed.object_id == qualification.id and removed.details["user_id"] == pilot.id


def test_a_recorded_qualification_lets_the_borrower_reserve(staff):
    pilot = make_user()
    drone = make_type(assets=1, required_qualification="Drone pilot A1/A3")
    with pytest.raises(InvalidRequest):
        make_reservation(
            pilot, equipment_type=drone, starts_at=at(1, 10), ends_at=at(1, 12), now=NOW
        )
    catalogue.add_qualification(
        actor=staff, user_id=pilot.id, kind="Drone pilot A1/A3", valid_until=None, now=NOW
    )
    reservation = make_reservation(
        pilot, equipment_type=drone, starts_at=at(1, 10), ends_at=at(1, 12), now=NOW
    )
    assert reservation.id


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"valid_until": date(2026, 11, 29)}, "valid_until"),
        ({"kind": "  "}, "kind"),
        ({"kind": "k" * 81}, "kind"),
        ({"user_id": None}, "user"),
        ({"user_id": "inactive"}, "user"),
    ],
)
def test_qualification_input_is_checked(staff, change, field):
    holder = make_user()
    inactive = make_user(is_active=False)
    values = {"user_id": holder.id, "kind": "Drone pilot A1/A3", "valid_until": None, **change}
    if values["user_id"] == "inactive":
        values["user_id"] = inactive.id
    with pytest.raises(InvalidRequest) as caught:
        catalogue.add_qualification(actor=staff, now=NOW, **values)
    assert caught.value.field == field


def test_qualification_valid_until_today_is_accepted(staff):
    holder = make_user()
    qualification, _ = catalogue.add_qualification(
        actor=staff, user_id=holder.id, kind="VR", valid_until=date(2026, 11, 30), now=NOW
    )
    assert qualification.valid_until == date(2026, 11, 30)


def test_kind_suggestions_come_from_the_types(app_ctx):
    make_type(required_qualification="Drone pilot A1/A3")
    make_type(required_qualification="Drone pilot A1/A3")
    make_type(required_qualification="BHV")
    make_type()
    assert catalogue.qualification_kinds() == ["BHV", "Drone pilot A1/A3"]


# Photos


def jpeg_with_exif(size=(2400, 1200)) -> bytes:
    """A landscape JPEG that says "rotate 90°" and where it was taken."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "Spy camera"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 58.0, 0.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (6.0, 17.0, 0.0)
    out = BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"Lokaal 2.14, Doetinchem")
    return out.getvalue()


def test_photo_is_re_encoded_upright_smaller_and_without_exif(staff, photo_dir):
    raw = jpeg_with_exif()
    with Image.open(BytesIO(raw)) as original:
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test can fail
    drone = catalogue.create_type(
        details(make_category().id), actor=staff, now=NOW, photo=BytesIO(raw)
    )
    assert catalogue.PHOTO_NAME.fullmatch(drone.photo) and drone.photo.endswith(".jpg")
    stored = photo_dir / drone.photo
    with Image.open(stored) as image:
        assert image.format == "JPEG"
        # Turned upright (portrait now) and at most 1600 px on its longest side.
        assert image.size == (800, 1600)
        assert not image.getexif()
        assert "exif" not in image.info and "comment" not in image.info
    assert b"Spy camera" not in stored.read_bytes() and b"Doetinchem" not in stored.read_bytes()
    assert catalogue.photo_in_use(drone.photo)


def test_transparent_png_stays_png_and_opaque_png_becomes_jpeg(staff, photo_dir):
    transparent = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    opaque = Image.new("RGBA", (40, 30), (0, 0, 255, 255))
    prepared = []
    for image in (transparent, opaque):
        buffer = BytesIO()
        image.save(buffer, "PNG")
        buffer.seek(0)
        prepared.append(catalogue.prepare_photo(buffer))
    assert [p.extension for p in prepared] == ["png", "jpg"]
    with Image.open(BytesIO(prepared[0].data)) as image:
        assert image.mode == "RGBA" and image.getpixel((0, 0))[3] == 0


def test_webp_is_accepted(app_ctx):
    buffer = BytesIO()
    Image.new("RGB", (20, 20), (10, 200, 10)).save(buffer, "WEBP")
    buffer.seek(0)
    assert catalogue.prepare_photo(buffer).extension == "jpg"


@pytest.mark.parametrize(
    "payload",
    [
        b"%PDF-1.4 not a photo at all",
        b"",
        b"\xff\xd8\xff\xe0" + b"\x00" * 100,  # a JPEG header and nothing behind it
        b"GIF89a" + b"\x00" * 50,
    ],
)
def test_a_file_that_is_not_a_usable_image_is_refused(staff, photo_dir, payload):
    category = make_category()
    with pytest.raises(InvalidRequest) as caught:
        catalogue.create_type(details(category.id), actor=staff, now=NOW, photo=BytesIO(payload))
    assert caught.value.field == "photo"
    assert not photo_dir.exists() or not any(photo_dir.iterdir())


def test_a_gif_is_refused_even_though_pillow_reads_it(app_ctx):
    buffer = BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "GIF")
    buffer.seek(0)
    with pytest.raises(InvalidRequest):
        catalogue.prepare_photo(buffer)


def test_a_photo_over_5_mb_is_refused(app_ctx):
    with pytest.raises(InvalidRequest) as caught:
        catalogue.prepare_photo(BytesIO(b"\xff" * (5 * 1024 * 1024 + 1)))
    assert caught.value.field == "photo" and "5 MB" in str(caught.value)


def test_replacing_and_removing_a_photo_deletes_the_old_file_after_commit(staff, photo_dir):
    category = make_category()
    camera = catalogue.create_type(
        details(category.id), actor=staff, now=NOW, photo=BytesIO(jpeg_with_exif((200, 100)))
    )
    first = camera.photo
    catalogue.update_type(
        camera,
        details(category.id),
        actor=staff,
        now=NOW,
        photo=BytesIO(jpeg_with_exif((300, 100))),
    )
    assert camera.photo != first
    catalogue.discard_photo_file(first)
    assert not (photo_dir / first).exists() and (photo_dir / camera.photo).exists()
    second = catalogue.remove_photo(camera, actor=staff, now=NOW)
    db.session.flush()
    catalogue.discard_photo_file(second)
    assert camera.photo is None and not (photo_dir / second).exists()
    assert [e.details["photo"] for e in events("equipment_type.photo_removed")] == [second]
    with pytest.raises(Conflict):
        catalogue.remove_photo(camera, actor=staff, now=NOW)


def test_a_photo_still_in_use_is_not_discarded(staff, photo_dir):
    camera = catalogue.create_type(
        details(make_category().id), actor=staff, now=NOW, photo=BytesIO(jpeg_with_exif((50, 50)))
    )
    catalogue.discard_photo_file(camera.photo)
    catalogue.discard_photo_file("../../straxlab.sqlite")
    assert (photo_dir / camera.photo).exists()


@pytest.mark.parametrize(
    "name", ["../secret.jpg", "0123456789abcdef0123456789abcdef.gif", "ABCDEF" * 6 + ".jpg", ""]
)
def test_photo_names_outside_the_pattern_are_never_in_use(app_ctx, name):
    assert not catalogue.photo_in_use(name)


# Overview


def test_overview_counts_assets_per_status_and_sorts_by_name(app_ctx):
    audio = make_category("audio")
    make_category("Drones")
    recorder = make_type(name="Zoom H5", category=audio, assets=3)
    microphone = make_type(name="Rode mic", category=audio)
    tags = [a.tag for a in catalogue.assets_of(recorder)]
    db.session.execute(
        sa.update(Asset).where(Asset.tag == tags[0]).values(status=AssetStatus.MAINTENANCE)
    )
    db.session.execute(
        sa.update(Asset).where(Asset.tag == tags[1]).values(status=AssetStatus.RETIRED)
    )
    summary = catalogue.overview()
    assert [s.category.name for s in summary] == ["audio", "Drones"]
    rows = {row.equipment_type.name: row for row in summary[0].types}
    assert [row.equipment_type.name for row in summary[0].types] == ["Rode mic", "Zoom H5"]
    assert (rows["Zoom H5"].available, rows["Zoom H5"].maintenance, rows["Zoom H5"].retired) == (
        1,
        1,
        1,
    )
    assert rows["Rode mic"].available == 0 and microphone.id
    assert summary[1].types == []


def test_upcoming_holds_ignore_gear_already_handed_out(staff):
    teacher = make_user()
    camera = make_type(assets=1)
    [asset] = catalogue.assets_of(camera)
    reservation = make_reservation(
        teacher, equipment_type=camera, starts_at=at(1, 10), ends_at=at(1, 12), now=NOW
    )
    services.check_out(reservation, actor=staff, now=at(1, 10))
    assert catalogue.upcoming_holds([asset.id], now=NOW) == []
