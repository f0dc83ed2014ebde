"""Catalogue upkeep: categories, equipment types and their photos, assets, kits, qualifications.

Lab staff's use cases, shaped like the lending services: plain functions that take the acting
user and ``now``, write through ``db.session``, record an audit event for every change, raise
domain errors and never commit. The read-side queries of the catalogue pages live here too.
"""

from __future__ import annotations

import os
import re
import uuid
import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import IO, Any, TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.exc import IntegrityError

from straxlab.auth.models import User
from straxlab.auth.rules import Permission
from straxlab.core import audit
from straxlab.core.errors import Conflict, InvalidRequest, NotAllowed
from straxlab.equipment import rules
from straxlab.equipment.labels import ASSET_STATUS_LABELS
from straxlab.equipment.models import (
    Asset,
    Category,
    EquipmentType,
    Kit,
    KitComponent,
    Qualification,
    Reservation,
    ReservationItem,
)
from straxlab.equipment.rules import AssetStatus
from straxlab.equipment.services import lab_zone
from straxlab.extensions import db

# Bounds of a type's lending rules (the turnaround and loan bounds live in rules.py, because
# they also bound the overlap query).
MAX_ADVANCE_DAYS = 730
MAX_KIT_QUANTITY = 10
MAX_BULK_ASSETS = 50
TAG_MAX_LENGTH = 32
TAG_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,32}")
NAME_LENGTHS = {Category: 80, EquipmentType: 120, Kit: 120}
TEXT_MAX_LENGTH = 5000

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_SIDE = 1600
# Refused before decoding: a small file can unpack into a huge bitmap (a decompression bomb).
PHOTO_MAX_PIXELS = 50_000_000
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP")
# The only names the photo folder holds: what store_photo generates.
PHOTO_NAME = re.compile(r"[0-9a-f]{32}\.(?:jpg|png)")


def _require_staff(actor: User) -> None:
    if not actor.can(Permission.MANAGE_CATALOGUE):
        raise NotAllowed(_l("Only lab staff can change the catalogue."))


def _record(
    action: str, actor: User, object_type: str, object_id: int, now: datetime, **details: Any
) -> None:
    audit.record(
        action,
        actor_id=actor.id,
        object_type=object_type,
        object_id=object_id,
        now=now,
        **{key: value for key, value in details.items() if value is not None},
    )


def _apply(obj: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set the attributes that differ; return them as ``{name: [old, new]}`` for the audit."""
    changes: dict[str, list[Any]] = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            changes[name] = [old, new]
            setattr(obj, name, new)
    return changes


def _clean_text(raw: str | None, *, field_name: str, max_length: int = TEXT_MAX_LENGTH) -> str:
    text = (raw or "").strip()
    if len(text) > max_length:
        raise InvalidRequest(
            _l("Use at most %(max)s characters.", max=max_length), field=field_name
        )
    return text


def _clean_name(raw: str | None, model: type[Any]) -> str:
    name = " ".join((raw or "").split())
    if not name:
        raise InvalidRequest(_l("Enter a name."), field="name")
    return _clean_text(name, field_name="name", max_length=NAME_LENGTHS[model])


def _name_taken(model: type[Any], name: str, exclude_id: int | None) -> bool:
    query = sa.select(model.id).where(sa.func.lower(model.name) == name.lower())
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    return db.session.scalar(query.limit(1)) is not None


def _flush_unique(message: Any, field_name: str) -> None:
    """Flush; a unique index that a concurrent request beat us to is the same refusal."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(message, field=field_name) from None


# Categories


CATEGORY_TAKEN = _l("There is already a category with this name.")


def _check_category_name(name: str | None, exclude_id: int | None) -> str:
    clean = _clean_name(name, Category)
    if _name_taken(Category, clean, exclude_id):
        raise Conflict(CATEGORY_TAKEN, field="name")
    return clean


def create_category(*, actor: User, name: str, description: str = "", now: datetime) -> Category:
    """A new category (drones, audio, VR) to group equipment types."""
    _require_staff(actor)
    category = Category(
        name=_check_category_name(name, None),
        description=_clean_text(description, field_name="description"),
    )
    db.session.add(category)
    _flush_unique(CATEGORY_TAKEN, "name")
    _record("category.created", actor, "category", category.id, now, name=category.name)
    return category


def update_category(
    category: Category, *, actor: User, name: str, description: str = "", now: datetime
) -> Category:
    """Rename a category or change its description."""
    _require_staff(actor)
    changes = _apply(
        category,
        {
            "name": _check_category_name(name, category.id),
            "description": _clean_text(description, field_name="description"),
        },
    )
    if changes:
        _flush_unique(CATEGORY_TAKEN, "name")
        _record("category.changed", actor, "category", category.id, now, changes=changes)
    return category


# Equipment types


TYPE_TAKEN = _l("There is already an equipment type with this name.")


@dataclass(frozen=True)
class TypeDetails:
    """What staff fill in for an equipment type (everything but the photo)."""

    category_id: int | None
    name: str
    description: str = ""
    needs_approval: bool = False
    turnaround_minutes: int | None = 0
    max_loan_days: int | None = 7
    max_advance_days: int | None = 90
    required_qualification: str = ""
    holds_recordings: bool = False


def _in_range(value: int | None, low: int, high: int, field_name: str) -> int:
    if value is None or not low <= value <= high:
        raise InvalidRequest(
            _l("Enter a whole number from %(min)s to %(max)s.", min=low, max=high),
            field=field_name,
        )
    return value


def _check_type_details(details: TypeDetails, exclude_id: int | None) -> dict[str, Any]:
    name = _clean_name(details.name, EquipmentType)
    category = db.session.get(Category, details.category_id) if details.category_id else None
    if category is None:
        raise InvalidRequest(_l("Choose a category."), field="category")
    values = {
        "category_id": category.id,
        "name": name,
        "description": _clean_text(details.description, field_name="description"),
        "needs_approval": bool(details.needs_approval),
        "turnaround_minutes": _in_range(
            details.turnaround_minutes, 0, rules.MAX_TURNAROUND_MINUTES, "turnaround_minutes"
        ),
        "max_loan_days": _in_range(details.max_loan_days, 1, rules.MAX_LOAN_DAYS, "max_loan_days"),
        "max_advance_days": _in_range(
            details.max_advance_days, 1, MAX_ADVANCE_DAYS, "max_advance_days"
        ),
        "required_qualification": _clean_text(
            " ".join((details.required_qualification or "").split()),
            field_name="required_qualification",
            max_length=80,
        )
        or None,
        "holds_recordings": bool(details.holds_recordings),
    }
    if _name_taken(EquipmentType, name, exclude_id):
        raise Conflict(TYPE_TAKEN, field="name")
    return values


def create_type(
    details: TypeDetails, *, actor: User, now: datetime, photo: IO[bytes] | None = None
) -> EquipmentType:
    """A new equipment type, with an optional photo (re-encoded, see ``prepare_photo``)."""
    _require_staff(actor)
    values = _check_type_details(details, None)
    prepared = prepare_photo(photo) if photo is not None else None
    equipment_type = EquipmentType(**values)
    db.session.add(equipment_type)
    _flush_unique(TYPE_TAKEN, "name")
    if prepared is not None:
        equipment_type.photo = store_photo(prepared)
    _record(
        "equipment_type.created",
        actor,
        "equipment_type",
        equipment_type.id,
        now,
        name=equipment_type.name,
        photo=equipment_type.photo,
    )
    return equipment_type


def update_type(
    equipment_type: EquipmentType,
    details: TypeDetails,
    *,
    actor: User,
    now: datetime,
    photo: IO[bytes] | None = None,
) -> EquipmentType:
    """Change a type's details; a new photo replaces the old one.

    The replaced file stays on disk until the caller has committed and calls
    ``discard_photo_file`` (a rollback must not leave the type without its photo).
    """
    _require_staff(actor)
    values = _check_type_details(details, equipment_type.id)
    prepared = prepare_photo(photo) if photo is not None else None
    changes = _apply(equipment_type, values)
    if changes:
        _flush_unique(TYPE_TAKEN, "name")
    if prepared is not None:
        old = equipment_type.photo
        equipment_type.photo = store_photo(prepared)
        changes["photo"] = [old, equipment_type.photo]
    if changes:
        _record(
            "equipment_type.changed",
            actor,
            "equipment_type",
            equipment_type.id,
            now,
            changes=changes,
        )
    return equipment_type


def retire_type(equipment_type: EquipmentType, *, actor: User, now: datetime) -> EquipmentType:
    """Take a type out of the catalogue: it can no longer be reserved (history stays)."""
    refusal = _l("This equipment type is already retired.")
    return _set_retired(equipment_type, "equipment_type", True, refusal, actor=actor, now=now)


def restore_type(equipment_type: EquipmentType, *, actor: User, now: datetime) -> EquipmentType:
    """Bring a retired type back into the catalogue."""
    refusal = _l("This equipment type is not retired.")
    return _set_retired(equipment_type, "equipment_type", False, refusal, actor=actor, now=now)


R = TypeVar("R", EquipmentType, Kit)


def _set_retired(
    thing: R, object_type: str, retired: bool, refusal: Any, *, actor: User, now: datetime
) -> R:
    """Retire (or bring back) a type or kit, refusing when it already is; on its history."""
    _require_staff(actor)
    if thing.is_retired is retired:
        raise Conflict(refusal)
    thing.is_retired = retired
    action = "retired" if retired else "restored"
    _record(f"{object_type}.{action}", actor, object_type, thing.id, now)
    return thing


# Photos


@dataclass(frozen=True)
class PreparedPhoto:
    """A verified, re-encoded image, ready to be written."""

    data: bytes
    extension: str


def _not_an_image() -> InvalidRequest:
    return InvalidRequest(
        _l("This file is not a photo we can use. Upload a JPEG, PNG or WebP image."),
        field="photo",
    )


def prepare_photo(stream: IO[bytes]) -> PreparedPhoto:
    """Verify an upload and re-encode it: upright, at most 1600 px, no EXIF or GPS data.

    Only the pixels are kept: JPEG, or PNG when the image really has transparent parts.
    """
    raw = stream.read(PHOTO_MAX_BYTES + 1)
    if len(raw) > PHOTO_MAX_BYTES:
        raise InvalidRequest(_l("The photo is larger than 5 MB; use a smaller one."), field="photo")
    if not raw:
        raise _not_an_image()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(raw), formats=PHOTO_FORMATS) as probe:
                if probe.width * probe.height > PHOTO_MAX_PIXELS:
                    raise _not_an_image()
                probe.verify()
            with Image.open(BytesIO(raw), formats=PHOTO_FORMATS) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
    ):
        raise _not_an_image() from None
    upright.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
    icc_profile = upright.info.get("icc_profile")
    out = BytesIO()
    if _has_transparency(upright):
        clean = upright.convert("RGBA")
        clean.info = {}
        clean.save(out, "PNG", optimize=True, icc_profile=icc_profile)
        extension = "png"
    else:
        clean = upright.convert("RGB")
        clean.info = {}
        clean.save(out, "JPEG", quality=85, optimize=True, icc_profile=icc_profile)
        extension = "jpg"
    return PreparedPhoto(out.getvalue(), extension)


def _has_transparency(image: Image.Image) -> bool:
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        # Fully opaque alpha (many PNG exports) is no transparency: those become JPEG.
        return bool(image.getchannel("A").getextrema() != (255, 255))
    return False


def photo_folder() -> Path:
    return Path(current_app.instance_path) / "uploads" / "equipment"


def store_photo(prepared: PreparedPhoto) -> str:
    """Write a prepared photo under a fresh random name; returns the name."""
    folder = photo_folder()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{uuid.uuid4().hex}.{prepared.extension}"
    partial = folder / f"{name}.part"
    partial.write_bytes(prepared.data)
    os.replace(partial, folder / name)
    return name


def photo_in_use(name: str) -> bool:
    """True for a well-formed photo name that an equipment type shows."""
    if not PHOTO_NAME.fullmatch(name):
        return False
    query = sa.select(EquipmentType.id).where(EquipmentType.photo == name).limit(1)
    return db.session.scalar(query) is not None


def discard_photo_file(name: str | None) -> None:
    """Delete a photo file that no type shows any more (call after the commit)."""
    if name and PHOTO_NAME.fullmatch(name) and not photo_in_use(name):
        (photo_folder() / name).unlink(missing_ok=True)


def remove_photo(equipment_type: EquipmentType, *, actor: User, now: datetime) -> str:
    """Take the photo off a type; returns the file name for ``discard_photo_file``."""
    _require_staff(actor)
    old = equipment_type.photo
    if not old:
        raise Conflict(_l("This equipment type has no photo."))
    equipment_type.photo = None
    _record(
        "equipment_type.photo_removed", actor, "equipment_type", equipment_type.id, now, photo=old
    )
    return old


# Assets


TAG_TAKEN = _l("There is already an asset with this asset tag.")


def normalise_tag(raw: str | None, *, field_name: str = "tag") -> str:
    """An asset tag as stored: trimmed; 1 to 32 letters, digits, "-", "_" or "."."""
    tag = (raw or "").strip()
    if not tag:
        raise InvalidRequest(_l("Enter the asset tag."), field=field_name)
    if not TAG_PATTERN.fullmatch(tag):
        raise InvalidRequest(
            _l(
                "An asset tag has 1 to 32 characters: letters, digits, “-”, “_” or “.”, "
                "without spaces."
            ),
            field=field_name,
        )
    return tag


def _tag_taken(tag: str, exclude_id: int | None = None) -> bool:
    query = sa.select(Asset.id).where(sa.func.lower(Asset.tag) == tag.lower())
    if exclude_id is not None:
        query = query.where(Asset.id != exclude_id)
    return db.session.scalar(query.limit(1)) is not None


def _check_open_type(equipment_type: EquipmentType) -> None:
    if equipment_type.is_retired:
        raise Conflict(
            _l("This equipment type is retired. Bring it back into use before adding assets.")
        )


def add_asset(
    equipment_type: EquipmentType,
    *,
    actor: User,
    tag: str,
    serial_number: str = "",
    condition_note: str = "",
    now: datetime,
) -> Asset:
    """Add one physical item of a type, available at once."""
    _require_staff(actor)
    _check_open_type(equipment_type)
    tag = normalise_tag(tag)
    if _tag_taken(tag):
        raise Conflict(TAG_TAKEN, field="tag")
    asset = Asset(
        equipment_type=equipment_type,
        tag=tag,
        serial_number=_clean_text(serial_number, field_name="serial_number", max_length=64),
        condition_note=_clean_text(condition_note, field_name="condition_note"),
        status=AssetStatus.AVAILABLE,
        created_at=now,
    )
    db.session.add(asset)
    _flush_unique(TAG_TAKEN, "tag")
    _record("asset.created", actor, "asset", asset.id, now, tag=tag, type_id=equipment_type.id)
    return asset


@dataclass
class BulkResult:
    added: list[Asset] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def add_assets(
    equipment_type: EquipmentType, *, actor: User, prefix: str, count: int | None, now: datetime
) -> BulkResult:
    """Add ``count`` assets tagged ``prefix`` + 01, 02, ...: a box of new gear at once.

    Numbers whose tag exists already are skipped (reported), so the box always adds
    ``count`` new assets: with H5-01 to H5-03 on file, prefix "H5-" and 3 add H5-04 to H5-06.
    """
    _require_staff(actor)
    _check_open_type(equipment_type)
    prefix = (prefix or "").strip()
    if prefix and not TAG_PATTERN.fullmatch(prefix):
        raise InvalidRequest(
            _l("The prefix may hold letters, digits, “-”, “_” and “.” only."), field="prefix"
        )
    count = _in_range(count, 1, MAX_BULK_ASSETS, "count")
    pattern = prefix.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    existing = set(
        db.session.scalars(
            sa.select(sa.func.lower(Asset.tag)).where(
                sa.func.lower(Asset.tag).like(f"{pattern}%", escape="\\")
            )
        )
    )
    result = BulkResult()
    number = 0
    while len(result.added) < count:
        number += 1
        tag = f"{prefix}{number:02d}"
        if len(tag) > TAG_MAX_LENGTH:
            raise InvalidRequest(
                _l("The prefix is too long for the numbers; use a shorter one."), field="prefix"
            )
        if tag.lower() in existing:
            result.skipped.append(tag)
            continue
        asset = Asset(
            equipment_type=equipment_type,
            tag=tag,
            status=AssetStatus.AVAILABLE,
            created_at=now,
        )
        db.session.add(asset)
        result.added.append(asset)
    _flush_unique(TAG_TAKEN, "prefix")
    for asset in result.added:
        _record(
            "asset.created",
            actor,
            "asset",
            asset.id,
            now,
            tag=asset.tag,
            type_id=equipment_type.id,
            bulk=True,
        )
    return result


def update_asset(
    asset: Asset,
    *,
    actor: User,
    tag: str,
    serial_number: str = "",
    condition_note: str = "",
    now: datetime,
) -> Asset:
    """Correct an asset's tag or serial number, or note its condition."""
    _require_staff(actor)
    tag = normalise_tag(tag)
    if _tag_taken(tag, exclude_id=asset.id):
        raise Conflict(TAG_TAKEN, field="tag")
    changes = _apply(
        asset,
        {
            "tag": tag,
            "serial_number": _clean_text(serial_number, field_name="serial_number", max_length=64),
            "condition_note": _clean_text(condition_note, field_name="condition_note"),
        },
    )
    if changes:
        _flush_unique(TAG_TAKEN, "tag")
        _record("asset.changed", actor, "asset", asset.id, now, changes=changes)
    return asset


def set_asset_status(
    asset: Asset, *, actor: User, status: AssetStatus, note: str = "", now: datetime
) -> list[ReservationItem]:
    """Move an asset between available, in maintenance and retired, saying why.

    Allowed while reservations hold the asset; those that are still to be picked up are
    returned, so that staff can swap them for another asset at the desk.
    """
    _require_staff(actor)
    status = AssetStatus(status)
    note = _clean_text(note, field_name="note", max_length=500)
    if asset.status is status:
        raise InvalidRequest(
            _l(
                "This asset is already “%(status)s”.",
                status=str(ASSET_STATUS_LABELS[status]).lower(),
            ),
            field="status",
        )
    old = asset.status
    asset.status = status
    _record(
        "asset.status_changed",
        actor,
        "asset",
        asset.id,
        now,
        old=old.value,
        new=status.value,
        note=note or None,
    )
    if status is AssetStatus.AVAILABLE:
        return []
    return upcoming_holds([asset.id], now=now)


def upcoming_holds(
    asset_ids: Sequence[int], *, now: datetime, limit: int = 100
) -> list[ReservationItem]:
    """Active reservation items on these assets not yet handed out whose period is not over.

    Read-only: the desk swaps them. Bounded below by the longest loan, like the overlap query.
    """
    if not asset_ids:
        return []
    query = (
        sa.select(ReservationItem)
        .join(Reservation, Reservation.id == ReservationItem.reservation_id)
        .where(
            ReservationItem.asset_id.in_(list(asset_ids)),
            ReservationItem.is_active,
            ReservationItem.checked_out_at.is_(None),
            ReservationItem.starts_at > now - rules.LOOKBACK,
            Reservation.ends_at > now,
        )
        .options(so.contains_eager(ReservationItem.reservation))
        .order_by(ReservationItem.starts_at, ReservationItem.id)
        .limit(limit)
    )
    return list(db.session.scalars(query).unique())


# Kits


KIT_TAKEN = _l("There is already a kit with this name.")


def _check_components(
    components: Iterable[tuple[int, int | None]], kit: Kit | None
) -> dict[int, int]:
    wanted: dict[int, int] = {}
    for type_id, quantity in components:
        if type_id in wanted:
            raise InvalidRequest(
                _l("Each equipment type can be in a kit once; add up the quantities."),
                field="components",
            )
        if quantity is None or not 1 <= quantity <= MAX_KIT_QUANTITY:
            raise InvalidRequest(
                _l(
                    "Choose a quantity from 1 to %(max)s for each part of the kit.",
                    max=MAX_KIT_QUANTITY,
                ),
                field="components",
            )
        wanted[type_id] = quantity
    if not wanted:
        raise InvalidRequest(_l("A kit needs at least one equipment type."), field="components")
    found = {
        t.id: t
        for t in db.session.scalars(sa.select(EquipmentType).where(EquipmentType.id.in_(wanted)))
    }
    if set(wanted) - set(found):
        raise InvalidRequest(_l("Choose equipment types from the list."), field="components")
    already = {c.equipment_type_id for c in kit.components} if kit is not None else set()
    retired = sorted(t.name for t in found.values() if t.is_retired and t.id not in already)
    if retired:
        raise InvalidRequest(
            _l("%(names)s is retired and cannot be added to a kit.", names=", ".join(retired)),
            field="components",
        )
    return wanted


def _set_components(kit: Kit, wanted: dict[int, int]) -> None:
    # In place: a removed and re-added (kit, type) pair would clash on the primary key.
    current = {c.equipment_type_id: c for c in kit.components}
    for type_id, component in current.items():
        if type_id not in wanted:
            kit.components.remove(component)
        else:
            component.quantity = wanted[type_id]
    for type_id, quantity in wanted.items():
        if type_id not in current:
            kit.components.append(KitComponent(equipment_type_id=type_id, quantity=quantity))


def _component_list(kit: Kit) -> list[list[int]]:
    return sorted([c.equipment_type_id, c.quantity] for c in kit.components)


def create_kit(
    *,
    actor: User,
    name: str,
    description: str = "",
    components: Iterable[tuple[int, int | None]],
    now: datetime,
) -> Kit:
    """A bundle of types reserved as one, such as a drone with two batteries and a case."""
    _require_staff(actor)
    name = _clean_name(name, Kit)
    if _name_taken(Kit, name, None):
        raise Conflict(KIT_TAKEN, field="name")
    description = _clean_text(description, field_name="description")
    wanted = _check_components(components, None)
    kit = Kit(name=name, description=description)
    db.session.add(kit)
    _set_components(kit, wanted)
    _flush_unique(KIT_TAKEN, "name")
    _record("kit.created", actor, "kit", kit.id, now, name=name, components=_component_list(kit))
    return kit


def update_kit(
    kit: Kit,
    *,
    actor: User,
    name: str,
    description: str = "",
    components: Iterable[tuple[int, int | None]],
    now: datetime,
) -> Kit:
    """Rename a kit or change what is in it."""
    _require_staff(actor)
    name = _clean_name(name, Kit)
    if _name_taken(Kit, name, kit.id):
        raise Conflict(KIT_TAKEN, field="name")
    description = _clean_text(description, field_name="description")
    wanted = _check_components(components, kit)
    before = _component_list(kit)
    changes = _apply(kit, {"name": name, "description": description})
    _set_components(kit, wanted)
    after = _component_list(kit)
    if before != after:
        changes["components"] = [before, after]
    if changes:
        _flush_unique(KIT_TAKEN, "name")
        _record("kit.changed", actor, "kit", kit.id, now, changes=changes)
    return kit


def retire_kit(kit: Kit, *, actor: User, now: datetime) -> Kit:
    """Stop offering a kit (its types stay reservable one by one)."""
    refusal = _l("This kit is already retired.")
    return _set_retired(kit, "kit", True, refusal, actor=actor, now=now)


def restore_kit(kit: Kit, *, actor: User, now: datetime) -> Kit:
    """Offer a retired kit again."""
    return _set_retired(kit, "kit", False, _l("This kit is not retired."), actor=actor, now=now)


# Qualifications


def add_qualification(
    *,
    actor: User,
    user_id: int | None,
    kind: str,
    valid_until: date | None,
    note: str = "",
    now: datetime,
) -> tuple[Qualification, bool]:
    """Record a certificate a borrower showed; the same kind again renews the one on file.

    Returns the qualification and whether it was a renewal.
    """
    _require_staff(actor)
    user = db.session.get(User, user_id) if user_id else None
    if user is None or not user.is_active:
        raise InvalidRequest(_l("Choose an active user."), field="user")
    kind = " ".join((kind or "").split())
    if not kind:
        raise InvalidRequest(_l("Enter the kind of qualification."), field="kind")
    kind = _clean_text(kind, field_name="kind", max_length=80)
    today = now.astimezone(lab_zone()).date()
    if valid_until is not None and valid_until < today:
        raise InvalidRequest(
            _l("This date has passed; the qualification has expired."), field="valid_until"
        )
    note = _clean_text(note, field_name="note", max_length=500)
    existing = db.session.scalar(
        sa.select(Qualification).where(
            Qualification.user_id == user.id, sa.func.lower(Qualification.kind) == kind.lower()
        )
    )
    renewed = existing is not None
    qualification = existing or Qualification(user_id=user.id)
    qualification.kind = kind
    qualification.valid_until = valid_until
    qualification.checked_by_id = actor.id
    qualification.checked_at = now
    qualification.note = note
    db.session.add(qualification)
    db.session.flush()
    _record(
        "qualification.renewed" if renewed else "qualification.added",
        actor,
        "qualification",
        qualification.id,
        now,
        user_id=user.id,
        kind=kind,
        valid_until=valid_until.isoformat() if valid_until else None,
    )
    return qualification, renewed


def remove_qualification(qualification: Qualification, *, actor: User, now: datetime) -> None:
    """Take a qualification off file (withdrawn or recorded by mistake)."""
    _require_staff(actor)
    _record(
        "qualification.removed",
        actor,
        "qualification",
        qualification.id,
        now,
        user_id=qualification.user_id,
        kind=qualification.kind,
        valid_until=qualification.valid_until.isoformat() if qualification.valid_until else None,
    )
    db.session.delete(qualification)


def qualification_kinds() -> list[str]:
    """What the types ask for, as suggestions for the qualification field."""
    query = (
        sa.select(EquipmentType.required_qualification)
        .where(EquipmentType.required_qualification.is_not(None))
        .distinct()
    )
    return sorted({kind for kind in db.session.scalars(query) if kind}, key=str.lower)


# Read side of the catalogue pages


@dataclass
class TypeSummary:
    """An equipment type with how many of its assets are in each status."""

    equipment_type: EquipmentType
    counts: dict[AssetStatus, int]

    @property
    def available(self) -> int:
        return self.counts.get(AssetStatus.AVAILABLE, 0)

    @property
    def maintenance(self) -> int:
        return self.counts.get(AssetStatus.MAINTENANCE, 0)

    @property
    def retired(self) -> int:
        return self.counts.get(AssetStatus.RETIRED, 0)


@dataclass
class CategorySummary:
    category: Category
    types: list[TypeSummary]


def asset_counts(type_ids: Iterable[int] | None = None) -> dict[int, dict[AssetStatus, int]]:
    """Assets per type and status, in one query."""
    query = sa.select(Asset.equipment_type_id, Asset.status, sa.func.count(Asset.id)).group_by(
        Asset.equipment_type_id, Asset.status
    )
    if type_ids is not None:
        query = query.where(Asset.equipment_type_id.in_(list(type_ids)))
    counts: dict[int, dict[AssetStatus, int]] = defaultdict(dict)
    for type_id, status, number in db.session.execute(query):
        counts[type_id][AssetStatus(status)] = number
    return counts


def overview() -> list[CategorySummary]:
    """Every category with its types and their asset counts: three queries, whatever the size."""
    categories = db.session.scalars(
        sa.select(Category).order_by(sa.func.lower(Category.name), Category.id)
    ).all()
    types = db.session.scalars(
        sa.select(EquipmentType).order_by(sa.func.lower(EquipmentType.name), EquipmentType.id)
    ).all()
    counts = asset_counts()
    by_category: dict[int, list[TypeSummary]] = defaultdict(list)
    for equipment_type in types:
        by_category[equipment_type.category_id].append(
            TypeSummary(equipment_type, counts.get(equipment_type.id, {}))
        )
    return [CategorySummary(c, by_category.get(c.id, [])) for c in categories]


def all_kits() -> list[Kit]:
    """Every kit with its components (loaded in one extra query)."""
    return list(db.session.scalars(sa.select(Kit).order_by(sa.func.lower(Kit.name), Kit.id)))


def categories() -> list[Category]:
    return list(
        db.session.scalars(sa.select(Category).order_by(sa.func.lower(Category.name), Category.id))
    )


def types_of(category: Category) -> list[TypeSummary]:
    types = db.session.scalars(
        sa.select(EquipmentType)
        .where(EquipmentType.category_id == category.id)
        .order_by(sa.func.lower(EquipmentType.name))
    ).all()
    counts = asset_counts([t.id for t in types])
    return [TypeSummary(t, counts.get(t.id, {})) for t in types]


def all_types() -> list[EquipmentType]:
    return list(
        db.session.scalars(
            sa.select(EquipmentType).order_by(sa.func.lower(EquipmentType.name), EquipmentType.id)
        )
    )


def assets_of(equipment_type: EquipmentType) -> list[Asset]:
    return list(
        db.session.scalars(
            sa.select(Asset)
            .where(Asset.equipment_type_id == equipment_type.id)
            .order_by(sa.func.lower(Asset.tag), Asset.id)
        )
    )


def kits_with(equipment_type: EquipmentType) -> list[Kit]:
    return list(
        db.session.scalars(
            sa.select(Kit)
            .join(KitComponent)
            .where(KitComponent.equipment_type_id == equipment_type.id)
            .order_by(sa.func.lower(Kit.name))
        )
    )


def active_users() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User).where(User.is_active.is_(True)).order_by(User.name, User.id)
        )
    )


def qualifications_query(name: str = "") -> sa.Select[Any]:
    """Qualifications on file, by the holder's name, optionally filtered on a part of it."""
    query = (
        sa.select(Qualification)
        .join(User, User.id == Qualification.user_id)
        .order_by(sa.func.lower(User.name), User.id, sa.func.lower(Qualification.kind))
    )
    needle = name.strip().lower()
    if needle:
        query = query.where(sa.func.lower(User.name).contains(needle, autoescape=True))
    return query
