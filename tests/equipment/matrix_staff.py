"""Authorisation rows for the lending desk, approvals, labels, all reservations (blueprint desk).

The fixture's {reservation} is another teacher's pending request for a type that needs
approval, two days ahead; {item} is its item and {asset} the asset it holds.
"""

from __future__ import annotations

from tests.matrix import LOGIN, Row, staff_and_managers, staff_only

# Teachers and managers who scan a label are sent on to the equipment type's page.
SCANNED = {"anonymous": LOGIN, "teacher": 302, "staff": 200, "manager": 302}

ROWS: dict[str, list[Row]] = {
    "desk.index": [Row("GET", "/desk", staff_only(200))],
    # An unknown tag renders the desk again with the error and the typed tag (200).
    "desk.lookup": [Row("GET", "/desk/lookup?tag=nope", staff_only(200))],
    "desk.asset": [Row("GET", "/desk/assets/{asset}", SCANNED)],
    # The pending request cannot be handed out or taken back: the form shows why (200).
    "desk.check_out": [
        Row("GET", "/desk/reservations/{reservation}/check-out", staff_only(200)),
        Row("POST", "/desk/reservations/{reservation}/check-out", staff_only(200)),
    ],
    "desk.check_in": [
        Row("GET", "/desk/reservations/{reservation}/check-in", staff_only(200)),
        Row("POST", "/desk/reservations/{reservation}/check-in", staff_only(200)),
    ],
    # The type has a second, free asset: the swap succeeds and redirects.
    "desk.swap": [
        Row("POST", "/desk/reservations/{reservation}/items/{item}/swap", staff_only(302))
    ],
    "desk.approvals": [Row("GET", "/desk/approvals", staff_only(200))],
    "desk.approve": [
        Row("POST", "/desk/reservations/{reservation}/approve", staff_only(302)),
    ],
    "desk.reject": [
        Row("GET", "/desk/reservations/{reservation}/reject", staff_only(200)),
        Row(
            "POST",
            "/desk/reservations/{reservation}/reject",
            staff_only(302),
            {"reason": "Geen drone-instructie gevolgd"},
        ),
    ],
    "desk.reservations": [Row("GET", "/desk/reservations", staff_and_managers(200))],
    "desk.labels": [Row("GET", "/desk/labels", staff_only(200))],
    "desk.label_sheet": [
        Row("GET", "/desk/labels/sheet?asset={asset}", staff_only(200)),
        Row("GET", "/desk/labels/sheet?all=1", staff_only(200)),
    ],
}
