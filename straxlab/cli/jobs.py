"""``flask jobs``: the scheduler process, one job now, the list of jobs and their schedules."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from straxlab.core import clock
from straxlab.jobs import lock as locks
from straxlab.jobs import scheduler
from straxlab.jobs.registry import BY_NAME, JOBS


@click.group(
    "jobs",
    cls=AppGroup,
    invoke_without_command=True,
    help=(
        "Without a command: run the scheduler in the foreground (production; one process, "
        "a second one waits for the lock)."
    ),
)
@click.option(
    "--lock-poll",
    type=click.FloatRange(min=0.1),
    default=locks.DEFAULT_POLL_SECONDS,
    show_default=True,
    help="Seconds between tries while another scheduler holds the lock.",
)
@with_appcontext
@click.pass_context
def jobs_group(context: click.Context, lock_poll: float) -> None:
    if context.invoked_subcommand is None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        context.exit(scheduler.run_forever(app, poll_seconds=lock_poll))


@jobs_group.command("run-once")
@click.argument("name")
def run_once(name: str) -> None:
    """Run the job NAME now and print how many things it did."""
    job = BY_NAME.get(name)
    if job is None:
        raise click.UsageError(f"There is no job {name!r}. The jobs are: {', '.join(BY_NAME)}.")
    count = scheduler.run_job(current_app._get_current_object(), job)  # type: ignore[attr-defined]
    if count is None:
        raise click.ClickException(f"{name} failed; the log above says why.")
    click.echo(f"{name}: {count}")


@jobs_group.command("list")
def list_jobs() -> None:
    """Every job with its schedule and next run time (lab time)."""
    zone = scheduler.lab_zone(current_app)
    width = max(len(job.name) for job in JOBS)
    for job, next_run in scheduler.next_runs(zone, clock.now()):
        when = f"{next_run:%Y-%m-%d %H:%M %Z}" if next_run else "never"
        click.echo(f"{job.name:<{width}}  next {when}  ({job.schedule})")
        click.echo(f"{'':<{width}}  {job.description}")
