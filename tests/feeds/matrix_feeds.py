"""Authorisation rows for the calendar feeds: blueprint `feeds` (the page, making links,
downloads; logged in) and blueprint `calendar` (subscription links; by token, no session).

{team} is another teacher's team (the matrix teacher may not read it: 404); {type} an
equipment type. The subscription rows use a well-formed token that belongs to nobody: it is
404 for every role, because the session plays no part there. What a real token may read is
proven in tests/feeds/test_views.py.
"""

from __future__ import annotations

from tests.matrix import LOGIN, Row, logged_in, staff_and_managers, staff_only

NOBODY = "A" * 43
NOT_FOUND = dict.fromkeys(("anonymous", "teacher", "staff", "manager"), 404)
# Readable by staff and managers; the matrix teacher does not learn the team exists.
TEAM_READERS = {"anonymous": LOGIN, "teacher": 404, "staff": 200, "manager": 200}

ROWS: dict[str, list[Row]] = {
    "feeds.index": [Row("GET", "/calendar", logged_in(200))],
    # A first POST makes the links and shows them on the page (200, no redirect: shown once).
    "feeds.token": [Row("POST", "/calendar/token", logged_in(200))],
    "feeds.download_mine": [Row("GET", "/calendar/download/mine.ics", logged_in(200))],
    "feeds.download_team": [Row("GET", "/calendar/download/team/{team}.ics", TEAM_READERS)],
    "feeds.download_lab": [Row("GET", "/calendar/download/lab.ics", staff_and_managers(200))],
    "feeds.download_type": [Row("GET", "/calendar/download/type/{type}.ics", staff_only(200))],
    "calendar.mine": [Row("GET", f"/calendar/{NOBODY}/mine.ics", NOT_FOUND)],
    "calendar.team": [Row("GET", f"/calendar/{NOBODY}/team/{{team}}.ics", NOT_FOUND)],
    "calendar.lab": [Row("GET", f"/calendar/{NOBODY}/lab.ics", NOT_FOUND)],
    "calendar.equipment_type": [Row("GET", f"/calendar/{NOBODY}/type/{{type}}.ics", NOT_FOUND)],
}
