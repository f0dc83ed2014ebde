"""Authorisation rows for the lending desk, approvals, labels, all reservations (blueprint desk)."""

from __future__ import annotations

from tests.matrix import Row, staff_and_managers, staff_only

ROWS: dict[str, list[Row]] = {
    "desk.index": [Row("GET", "/desk", staff_only(200))],
    "desk.approvals": [Row("GET", "/desk/approvals", staff_only(200))],
    "desk.reservations": [Row("GET", "/desk/reservations", staff_and_managers(200))],
}
