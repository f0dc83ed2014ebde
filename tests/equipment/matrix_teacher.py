"""Authorisation rows for the teacher-facing lending routes (blueprint equipment)."""

from __future__ import annotations

from tests.matrix import Row, logged_in

ROWS: dict[str, list[Row]] = {
    "equipment.catalogue": [Row("GET", "/equipment", logged_in(200))],
    "equipment.mine": [Row("GET", "/reservations", logged_in(200))],
}
