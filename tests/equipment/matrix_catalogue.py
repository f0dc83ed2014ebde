"""Authorisation rows for catalogue upkeep (blueprint catalogue)."""

from __future__ import annotations

from tests.matrix import Row, staff_only

ROWS: dict[str, list[Row]] = {
    "catalogue.index": [Row("GET", "/catalogue", staff_only(200))],
}
