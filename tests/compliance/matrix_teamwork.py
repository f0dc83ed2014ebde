"""Authorisation rows for the compliance routes (teamwork): milestones, log, scenarios.

{team} is another teacher's team: the matrix teacher is no member, so it gets 404. Staff
write every team's milestones, log and scenarios; managers read them (200) but write
nothing (403). {entry} was written by {team}'s coordinator, so nobody in the matrix may
change it: staff and managers read the team, so they get 403. Empty POSTs show the form's
errors (200).
"""

from __future__ import annotations

from tests.matrix import LOGIN, Row

READ = {"anonymous": LOGIN, "teacher": 404, "staff": 200, "manager": 200}


def write(status: int) -> dict[str, int]:
    """Written by staff (``status``); managers read but do not write (403)."""
    return {"anonymous": LOGIN, "teacher": 404, "staff": status, "manager": 403}


# Only the author changes a log entry; readers who are not the author get 403.
AUTHOR_ONLY = {"anonymous": LOGIN, "teacher": 404, "staff": 403, "manager": 403}

ROWS: dict[str, list[Row]] = {
    "teamwork.milestones": [Row("GET", "/teams/{team}/milestones", READ)],
    "teamwork.new_milestone": [
        Row("GET", "/teams/{team}/milestones/new", write(200)),
        Row("POST", "/teams/{team}/milestones/new", write(200)),
    ],
    "teamwork.edit_milestone": [
        Row("GET", "/teams/{team}/milestones/{milestone}/edit", write(200)),
        Row("POST", "/teams/{team}/milestones/{milestone}/edit", write(200)),
    ],
    "teamwork.remove_milestone": [
        Row("POST", "/teams/{team}/milestones/{milestone}/remove", write(302), {"confirm": "y"})
    ],
    "teamwork.progress": [Row("GET", "/teams/{team}/progress", READ)],
    "teamwork.add_progress": [Row("POST", "/teams/{team}/progress", write(200))],
    "teamwork.edit_progress": [
        Row("GET", "/teams/{team}/progress/{entry}/edit", AUTHOR_ONLY),
        Row("POST", "/teams/{team}/progress/{entry}/edit", AUTHOR_ONLY),
    ],
    "teamwork.scenarios": [Row("GET", "/teams/{team}/scenarios", READ)],
    "teamwork.new_scenario": [
        Row("GET", "/teams/{team}/scenarios/new", write(200)),
        Row("POST", "/teams/{team}/scenarios/new", write(200)),
    ],
    "teamwork.edit_scenario": [
        Row("GET", "/teams/{team}/scenarios/{scenario}/edit", write(200)),
        Row("POST", "/teams/{team}/scenarios/{scenario}/edit", write(200)),
    ],
}
