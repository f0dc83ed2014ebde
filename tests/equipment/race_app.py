"""The app that gunicorn serves in the HTTP race test (tests/equipment/test_concurrency.py).

    STRAXLAB_RACE_DATABASE_URL  the scratch database, already migrated and seeded
    STRAXLAB_RACE_GUARD         "off" for the negative control (default "on")

gunicorn imports this module in every worker (no --preload), so each worker builds its own
app and engine after the fork.
"""

from __future__ import annotations

import os

from straxlab import create_app
from straxlab.config import TestConfig
from straxlab.extensions import db
from tests.equipment.race_support import is_postgres, without_sqlite_discipline

_url = os.environ["STRAXLAB_RACE_DATABASE_URL"]
_guard = os.environ.get("STRAXLAB_RACE_GUARD", "on") != "off"

_config = TestConfig(_url)
_config.LENDING_RACE_GUARD = _guard
# Sixteen logins from one address: the login throttle is not what is under test.
_config.RATELIMIT_ENABLED = False  # type: ignore[attr-defined]

app = create_app(_config)

if not _guard and not is_postgres(_url):
    with app.app_context():
        without_sqlite_discipline(db.engine)
