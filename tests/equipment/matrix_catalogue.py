"""Authorisation rows for catalogue upkeep (blueprint catalogue).

An empty POST to a new-object form re-renders it with errors (200); to an edit form it keeps
the stored values (fields missing from a POST are not changed) and redirects (302), except where
a value must be sent (a type's numbers, a kit's rows): then it re-renders with errors (200).
"""

from __future__ import annotations

from tests.matrix import Row, logged_in, staff_only

# A well-formed photo name that no equipment type shows: 404 for everyone logged in.
MISSING_PHOTO = "0123456789abcdef0123456789abcdef.jpg"

ROWS: dict[str, list[Row]] = {
    "catalogue.index": [Row("GET", "/catalogue", staff_only(200))],
    "catalogue.new_category": [
        Row("GET", "/catalogue/categories/new", staff_only(200)),
        Row("POST", "/catalogue/categories/new", staff_only(200)),
    ],
    "catalogue.category": [
        Row("GET", "/catalogue/categories/{category}", staff_only(200)),
        Row("POST", "/catalogue/categories/{category}", staff_only(302)),
    ],
    "catalogue.new_type": [
        Row("GET", "/catalogue/types/new", staff_only(200)),
        Row("POST", "/catalogue/types/new", staff_only(200)),
    ],
    "catalogue.equipment_type": [
        Row("GET", "/catalogue/types/{type}", staff_only(200)),
        Row("POST", "/catalogue/types/{type}", staff_only(200)),
    ],
    "catalogue.retire_type": [Row("POST", "/catalogue/types/{type}/retire", staff_only(302))],
    "catalogue.restore_type": [Row("POST", "/catalogue/types/{type}/restore", staff_only(302))],
    "catalogue.remove_photo": [
        Row("POST", "/catalogue/types/{type}/photo/remove", staff_only(302))
    ],
    "catalogue.photo": [
        Row("GET", f"/catalogue/photos/{MISSING_PHOTO}", logged_in(404)),
        Row("GET", "/catalogue/photos/straxlab.sqlite", logged_in(404)),
    ],
    "catalogue.new_asset": [
        Row("GET", "/catalogue/types/{type}/assets/new", staff_only(200)),
        Row("POST", "/catalogue/types/{type}/assets/new", staff_only(200)),
    ],
    "catalogue.asset": [
        Row("GET", "/catalogue/assets/{asset}", staff_only(200)),
        Row("POST", "/catalogue/assets/{asset}", staff_only(302)),
    ],
    "catalogue.asset_status": [
        Row(
            "POST",
            "/catalogue/assets/{asset}/status",
            staff_only(302),
            {"status": "maintenance", "note": "Lens cracked"},
        )
    ],
    "catalogue.new_kit": [
        Row("GET", "/catalogue/kits/new", staff_only(200)),
        Row("POST", "/catalogue/kits/new", staff_only(200)),
    ],
    "catalogue.kit": [
        Row("GET", "/catalogue/kits/{kit}", staff_only(200)),
        Row("POST", "/catalogue/kits/{kit}", staff_only(200)),
    ],
    "catalogue.retire_kit": [Row("POST", "/catalogue/kits/{kit}/retire", staff_only(302))],
    "catalogue.restore_kit": [Row("POST", "/catalogue/kits/{kit}/restore", staff_only(302))],
    "catalogue.qualifications": [
        Row("GET", "/catalogue/qualifications", staff_only(200)),
        Row("POST", "/catalogue/qualifications", staff_only(200)),
    ],
    "catalogue.remove_qualification": [
        Row(
            "POST",
            "/catalogue/qualifications/{qualification}/remove",
            staff_only(302),
        )
    ],
}
