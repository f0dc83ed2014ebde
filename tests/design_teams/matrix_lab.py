"""Authorisation rows for the lab calendar (blueprint `lab`): week and month views for everyone
logged in, closures and the holiday import for lab staff; managers read the closures list.

{closure} lies about 200 days ahead and covers no design day.
"""

from __future__ import annotations

from tests.matrix import LOGIN, Row, logged_in, staff_and_managers, staff_only

# Managers read the closures (staff's read access) but change nothing.
STAFF_CHANGES = {"anonymous": LOGIN, "teacher": 403, "staff": 200, "manager": 403}

ROWS: dict[str, list[Row]] = {
    "lab.calendar": [Row("GET", "/lab", logged_in(200))],
    "lab.month": [Row("GET", "/lab/month", logged_in(200))],
    # An empty POST shows the form's errors again (200).
    "lab.closures": [
        Row("GET", "/lab/closures", staff_and_managers(200)),
        Row("POST", "/lab/closures", STAFF_CHANGES),
    ],
    # Fields missing from a POST keep the closure's values: it saves and redirects.
    "lab.edit_closure": [
        Row("GET", "/lab/closures/{closure}/edit", staff_only(200)),
        Row("POST", "/lab/closures/{closure}/edit", staff_only(302)),
    ],
    # Without the confirmation box ticked the page asks again (200).
    "lab.remove_closure": [Row("POST", "/lab/closures/{closure}/remove", staff_only(200))],
    # An empty POST names nothing to import: the preview shows the error (200).
    "lab.import_holidays": [
        Row("GET", "/lab/closures/import", staff_only(200)),
        Row("POST", "/lab/closures/import", staff_only(200)),
    ],
}
