"""``flask lab ...``: lab-calendar upkeep that the scheduler will run too (close past days)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from straxlab.core import clock
from straxlab.design_teams import services
from straxlab.extensions import db

lab_group = AppGroup("lab", help="Lab calendar upkeep.")


@lab_group.command("close-days")
def close_days() -> None:
    """Mark design days that are over as held; finish programmes with no days left."""
    count = services.close_past_days(clock.now())
    db.session.commit()
    click.echo(f"{count} design day(s) marked held or programme(s) finished.")
