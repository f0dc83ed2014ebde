"""Authorisation rows for self-service password reset (blueprint `auth`).

Anyone may ask for a reset link, logged in or not. A link that is not valid (here: not a
token at all) gives the "this link no longer works" page with status 400, never a 500.
The outbox page (blueprint `outbox`) is for lab staff and managers.
"""

from __future__ import annotations

from tests.matrix import Row, everyone, staff_and_managers

ROWS: dict[str, list[Row]] = {
    "auth.forgot_password": [
        Row("GET", "/password/forgot", everyone(200)),
        # Without an address the form asks for one (200); with one it always redirects.
        Row("POST", "/password/forgot", everyone(200)),
        Row("POST", "/password/forgot", everyone(302), {"email": "niemand@school.example"}),
    ],
    "auth.reset_password": [
        Row("GET", "/password/reset/not-a-token", everyone(400)),
        Row("POST", "/password/reset/not-a-token", everyone(400)),
    ],
    "outbox.index": [Row("GET", "/admin/outbox", staff_and_managers(200))],
}
