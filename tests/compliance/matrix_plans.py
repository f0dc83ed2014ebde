"""Authorisation rows for the compliance routes of blueprint `plans`.

{team} is another teacher's team whose plan is submitted and waits for a decision; {other_team}
has an approved plan (version 1). The matrix teacher is a member of neither: 404 hides them.
Staff read and write every team's plan but do not decide on it (403); managers read every plan
and decide on it, but do not write it (403). Each row runs against fresh objects.
"""

from __future__ import annotations

from tests.matrix import LOGIN, Row, managers_only

# Readers of a team's plan: staff and managers; the outside teacher gets 404.
READ = {"anonymous": LOGIN, "teacher": 404, "staff": 200, "manager": 200}
NOBODY = {"anonymous": LOGIN, "teacher": 404, "staff": 404, "manager": 404}


def write(status: int) -> dict[str, int]:
    """Written by staff (``status``); managers read the plan but may not write it (403)."""
    return {"anonymous": LOGIN, "teacher": 404, "staff": status, "manager": 403}


def decide(status: int) -> dict[str, int]:
    """Decided by managers (``status``); staff read the plan but may not decide (403)."""
    return {"anonymous": LOGIN, "teacher": 404, "staff": 403, "manager": status}


COMMENT = {"comment": "Noem wie de workshop leidt."}

ROWS: dict[str, list[Row]] = {
    "plans.plan": [
        Row("GET", "/teams/{team}/plan", READ),
        Row("GET", "/teams/{other_team}/plan", READ),
        Row("GET", "/teams/99999999/plan", NOBODY),
    ],
    "plans.edit": [
        # A submitted plan cannot be changed: the page explains why (200).
        Row("GET", "/teams/{team}/plan/edit", write(200)),
        Row("GET", "/teams/{other_team}/plan/edit", write(200)),
        # Saving a submitted plan is refused beside the form, which keeps the input (200).
        Row("POST", "/teams/{team}/plan/edit", write(200), {"goals": "Nieuwe doelen"}),
        # An approved plan saved again becomes a draft (302 to the plan).
        Row("POST", "/teams/{other_team}/plan/edit", write(302), {"goals": "Nieuwe doelen"}),
    ],
    # Already submitted, or approved: the refusal is flashed on the plan page (302).
    "plans.submit": [
        Row("POST", "/teams/{team}/plan/submit", write(302)),
        Row("POST", "/teams/{other_team}/plan/submit", write(302)),
    ],
    "plans.approve": [
        Row("POST", "/teams/{team}/plan/approve", decide(302)),
        # Decided already: said on the plan page (302), not a server error.
        Row("POST", "/teams/{other_team}/plan/approve", decide(302)),
    ],
    "plans.return_plan": [
        Row("POST", "/teams/{team}/plan/return", decide(302), COMMENT),
        # Without a comment the plan page shows the error beside the comment (200).
        Row("POST", "/teams/{team}/plan/return", decide(200)),
        Row("POST", "/teams/{other_team}/plan/return", decide(302), COMMENT),
    ],
    "plans.version": [
        Row("GET", "/teams/{team}/plan/versions/1", READ),
        Row("GET", "/teams/{other_team}/plan/versions/1", READ),
        Row("GET", "/teams/{team}/plan/versions/2", NOBODY),
    ],
    "plans.compare": [
        Row("GET", "/teams/{team}/plan/compare", READ),
        Row("GET", "/teams/{other_team}/plan/compare?from=1&to=draft", READ),
        # Versions that do not exist are a message on the page (200).
        Row("GET", "/teams/{other_team}/plan/compare?from=1&to=7", READ),
        Row("GET", "/teams/{other_team}/plan/compare?from=x", READ),
    ],
    "plans.queue": [Row("GET", "/compliance/plans", managers_only(200))],
}
