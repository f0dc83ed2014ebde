"""``flask compliance ...``: the weekly snapshot and the attendance retention, which the
scheduler will run too."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from straxlab.compliance import services
from straxlab.compliance.rules import iso_week
from straxlab.core import clock
from straxlab.design_teams.models import DesignTeam
from straxlab.design_teams.services import today
from straxlab.extensions import db

compliance_group = AppGroup("compliance", help="Compliance snapshots and retention.")


@compliance_group.command("snapshot")
def snapshot() -> None:
    """Store this ISO week's status of every team (a second run in the week adds nothing)."""
    now = clock.now()
    year, week = iso_week(today(now))
    count = services.take_snapshots(now)
    db.session.commit()
    label = f"{year}-W{week:02d}"
    if count:
        click.echo(f"{count} snapshot{'' if count == 1 else 's'} stored for week {label}.")
    elif not db.session.scalar(sa.select(sa.func.count(DesignTeam.id))):
        click.echo("Nothing to do: there are no design teams yet.")
    else:
        click.echo(f"Nothing to do: week {label} already has a snapshot for every team.")


@compliance_group.command("erase-details")
def erase_details() -> None:
    """Erase check-in times and correction reasons of programmes past the retention period."""
    count = services.erase_attendance_details(clock.now())
    db.session.commit()
    click.echo(f"Attendance details erased from {count} record(s).")
