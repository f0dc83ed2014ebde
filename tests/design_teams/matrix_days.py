"""Authorisation rows for the design-team routes of blueprint `days`.

{design_day} is the first upcoming day (about a week ahead) of another teacher's team; the
matrix teacher is no member of it, staff run every team, managers read but change nothing.
"""

from __future__ import annotations

from tests.matrix import LOGIN, Row, logged_in, staff_only

# Teachers do not learn that another team's day exists; managers read, but do not change it.
READ = {"anonymous": LOGIN, "teacher": 404, "staff": 200, "manager": 200}


def change(status: int) -> dict[str, int]:
    return {"anonymous": LOGIN, "teacher": 404, "staff": status, "manager": 403}


# The door's check-in page refuses everyone who is not a member that day, in plain words.
NOT_A_MEMBER = {"anonymous": LOGIN, "teacher": 403, "staff": 403, "manager": 403}

ROWS: dict[str, list[Row]] = {
    "days.day": [Row("GET", "/lab/days/{design_day}", READ)],
    "days.cancel": [
        Row("POST", "/lab/days/{design_day}/cancel", change(302), {"reason": "Studiereis"}),
    ],
    # An empty POST shows the form again with its errors (200).
    "days.move": [
        Row("GET", "/lab/days/{design_day}/move", change(200)),
        Row("POST", "/lab/days/{design_day}/move", change(200)),
    ],
    "days.add": [
        Row("GET", "/lab/days/new?programme={programme}", change(200)),
        Row("POST", "/lab/days/new?programme={programme}", change(200)),
    ],
    "days.check_in": [
        Row("GET", "/lab/days/{design_day}/check-in", NOT_A_MEMBER),
        Row("POST", "/lab/days/{design_day}/check-in", NOT_A_MEMBER),
    ],
    "days.qr": [Row("GET", "/lab/days/{design_day}/qr.svg", staff_only(200))],
    "days.door": [Row("GET", "/lab/days/today", staff_only(200))],
    # Without a member chosen, staff see the day page with the error (200); the row's data
    # takes no placeholders.
    "days.record": [
        Row("POST", "/lab/days/{design_day}/attendance", staff_only(200), {"present": "present"}),
    ],
    "days.mine": [Row("GET", "/lab/days/mine", logged_in(200))],
}
