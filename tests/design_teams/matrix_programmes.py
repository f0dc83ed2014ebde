"""Authorisation rows for the design-team routes of blueprint `programmes`.

{team} is another teacher's team (the matrix teacher is no member: 404); {programme} is its
approved programme; {request} is a second team's waiting request. Staff run every team and
decide requests; managers read (200) but change nothing (403).
"""

from __future__ import annotations

from tests.matrix import LOGIN, Row, staff_only

# Readers of a team's programme: staff and managers; the outside teacher gets 404.
READ = {"anonymous": LOGIN, "teacher": 404, "staff": 200, "manager": 200}
# Running a team's programme: staff may; managers read the team but may not (403).
RUN_FORM = {"anonymous": LOGIN, "teacher": 404, "staff": 200, "manager": 403}
RUN_DONE = {"anonymous": LOGIN, "teacher": 404, "staff": 302, "manager": 403}
NO_TEAM = {"anonymous": LOGIN, "teacher": 404, "staff": 404, "manager": 404}

ROWS: dict[str, list[Row]] = {
    "programmes.new": [
        Row("GET", "/programmes/new?team={team}", RUN_FORM),
        Row("GET", "/programmes/new", NO_TEAM),
        Row("GET", "/programmes/new?team=nope", NO_TEAM),
        Row("GET", "/programmes/new?team=99999999999", NO_TEAM),
        # An empty form shows its errors (200).
        Row("POST", "/programmes/new?team={team}", RUN_FORM),
    ],
    "programmes.programme": [
        Row("GET", "/programmes/{programme}", READ),
        Row("GET", "/programmes/{request}", READ),
    ],
    "programmes.withdraw": [
        Row("POST", "/programmes/{request}/withdraw", RUN_DONE, {"confirm": "y"}),
    ],
    "programmes.approve": [Row("POST", "/programmes/{request}/approve", staff_only(302))],
    "programmes.reject": [
        Row("GET", "/programmes/{request}/reject", staff_only(200)),
        Row(
            "POST",
            "/programmes/{request}/reject",
            staff_only(302),
            {"reason": "Dinsdag is vol; kies de donderdag"},
        ),
    ],
    "programmes.queue": [Row("GET", "/programmes", staff_only(200))],
}
