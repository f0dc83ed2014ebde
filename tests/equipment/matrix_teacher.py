"""Authorisation rows for the teacher-facing lending routes (blueprint equipment).

{reservation} is another teacher's pending request: a teacher may not know it exists (404),
staff and managers see it; staff may change or cancel it, managers only look (403).
An empty change form is re-shown with its errors (200), and so is a cancel without its ticked
confirmation box; staff cancelling it with the box ticked are redirected (302).
"""

from __future__ import annotations

from tests.matrix import LOGIN, Row, logged_in

OTHERS_RESERVATION = {"anonymous": LOGIN, "teacher": 404, "staff": 200, "manager": 200}

ROWS: dict[str, list[Row]] = {
    "equipment.catalogue": [Row("GET", "/equipment", logged_in(200))],
    "equipment.reserve": [
        Row("GET", "/equipment/reserve?type={type}", logged_in(200)),
        Row("POST", "/equipment/reserve?type={type}", logged_in(200)),
    ],
    "equipment.mine": [Row("GET", "/reservations", logged_in(200))],
    "equipment.reservation": [
        Row("GET", "/reservations/{reservation}", OTHERS_RESERVATION),
        Row(
            "POST",
            "/reservations/{reservation}",
            {"anonymous": LOGIN, "teacher": 404, "staff": 200, "manager": 403},
        ),
    ],
    "equipment.cancel": [
        Row(
            "POST",
            "/reservations/{reservation}/cancel",
            {"anonymous": LOGIN, "teacher": 404, "staff": 200, "manager": 403},
        ),
        Row(
            "POST",
            "/reservations/{reservation}/cancel",
            {"anonymous": LOGIN, "teacher": 404, "staff": 302, "manager": 403},
            data={"confirm": "y"},
        ),
    ],
    "equipment.equipment_type": [Row("GET", "/equipment/types/{type}", logged_in(200))],
    "equipment.availability": [Row("GET", "/equipment/types/{type}/availability", logged_in(200))],
}
