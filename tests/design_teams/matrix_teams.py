"""Authorisation rows for the design-team routes of blueprint `teams`.

{team} is another teacher's team (the matrix teacher is not a member, so it gets 404);
{membership} is an ordinary member's membership of {team}. Staff run every team; managers
read every team but change none (403).
"""

from __future__ import annotations

from tests.matrix import LOGIN, Row, logged_in

# Readable by staff and managers only; teachers outside the team do not learn it exists.
READ = {"anonymous": LOGIN, "teacher": 404, "staff": 200, "manager": 200}


def run(status: int) -> dict[str, int]:
    """Changed by staff (``status``) only; managers may read but not change (403)."""
    return {"anonymous": LOGIN, "teacher": 404, "staff": status, "manager": 403}


ROWS: dict[str, list[Row]] = {
    "teams.index": [Row("GET", "/teams", logged_in(200))],
    # Everyone may create a team they coordinate; an empty form shows its errors (200).
    "teams.new": [
        Row("GET", "/teams/new", logged_in(200)),
        Row("POST", "/teams/new", logged_in(200)),
    ],
    "teams.team": [Row("GET", "/teams/{team}", READ)],
    # An empty POST shows the form's errors (200).
    "teams.edit": [
        Row("GET", "/teams/{team}/edit", run(200)),
        Row("POST", "/teams/{team}/edit", run(200)),
    ],
    # An unknown address is shown as an error on the team page (200).
    "teams.add_member": [
        Row(
            "POST",
            "/teams/{team}/members",
            run(200),
            {"email": "nobody@school.example"},
        )
    ],
    "teams.end_membership": [
        Row(
            "POST",
            "/teams/{team}/members/{membership}/end",
            run(302),
            {"confirm": "y"},
        )
    ],
}
