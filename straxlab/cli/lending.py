"""``flask lending ...``: lending upkeep that the scheduler will run too (expire stale requests)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from straxlab.core import clock
from straxlab.equipment import services
from straxlab.extensions import db

lending_group = AppGroup("lending", help="Lending upkeep.")


@lending_group.command("expire-stale")
def expire_stale() -> None:
    """Expire requests still awaiting approval after their pickup time; frees their assets."""
    count = services.expire_stale(now=clock.now())
    db.session.commit()
    click.echo(f"{count} request(s) expired.")
