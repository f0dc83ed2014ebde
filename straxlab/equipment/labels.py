"""The words and badge kinds of reservation and asset statuses, shared by every lending page.

A badge always shows its word; the kind (ok, warn, bad, off) only adds colour.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from straxlab.equipment.rules import AssetStatus, ReservationStatus

RESERVATION_STATUS_LABELS: dict[ReservationStatus, Any] = {
    ReservationStatus.PENDING: _l("Awaiting approval"),
    ReservationStatus.APPROVED: _l("Approved"),
    ReservationStatus.CHECKED_OUT: _l("Picked up"),
    ReservationStatus.RETURNED: _l("Returned"),
    ReservationStatus.REJECTED: _l("Rejected"),
    ReservationStatus.CANCELLED: _l("Cancelled"),
    ReservationStatus.EXPIRED: _l("Expired"),
}
RESERVATION_STATUS_KINDS: dict[ReservationStatus, str] = {
    ReservationStatus.PENDING: "warn",
    ReservationStatus.APPROVED: "ok",
    ReservationStatus.CHECKED_OUT: "ok",
    ReservationStatus.RETURNED: "off",
    ReservationStatus.REJECTED: "bad",
    ReservationStatus.CANCELLED: "off",
    ReservationStatus.EXPIRED: "off",
}
ASSET_STATUS_LABELS: dict[AssetStatus, Any] = {
    AssetStatus.AVAILABLE: _l("Available"),
    AssetStatus.MAINTENANCE: _l("In maintenance"),
    AssetStatus.RETIRED: _l("Retired"),
}
ASSET_STATUS_KINDS: dict[AssetStatus, str] = {
    AssetStatus.AVAILABLE: "ok",
    AssetStatus.MAINTENANCE: "warn",
    AssetStatus.RETIRED: "off",
}


def init_app(app: Flask) -> None:
    """Make the status words and kinds available to every template."""
    app.jinja_env.globals.update(
        reservation_status_label=RESERVATION_STATUS_LABELS.__getitem__,
        reservation_status_kind=RESERVATION_STATUS_KINDS.__getitem__,
        asset_status_label=ASSET_STATUS_LABELS.__getitem__,
        asset_status_kind=ASSET_STATUS_KINDS.__getitem__,
    )
