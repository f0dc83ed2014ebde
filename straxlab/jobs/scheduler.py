"""Running the jobs: one run in its own app context, the APScheduler set-up, and the scheduler
process of ``flask --app straxlab jobs`` (production).

Only one scheduler runs jobs at a time (``lock``); a second one waits. When it gets the lock a
scheduler first runs every job once, to catch up on what came due while none ran, then on
their schedules.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask

from straxlab.core import clock
from straxlab.jobs import lock as locks
from straxlab.jobs.registry import JOBS, JobDefinition

logger = logging.getLogger("straxlab.jobs")

# How often a running scheduler checks that its lock is still held.
LOCK_CHECK_SECONDS = 30
LOG_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"


def run_job(app: Flask, job: JobDefinition) -> int | None:
    """Run ``job`` now in a fresh app context; log what it did, or its error, and never raise
    (so the scheduler survives). None when it failed (its transaction rolled back)."""
    from straxlab.extensions import db

    with app.app_context():
        try:
            count = job.function(clock.now())
        except Exception:
            logger.exception("job %s failed", job.name)
            try:
                db.session.rollback()
            except Exception:  # the connection itself may be what failed
                logger.exception("job %s: rollback failed", job.name)
            return None
    logger.info("job %s did %d", job.name, count)
    return count


def catch_up(app: Flask, jobs: Iterable[JobDefinition] = JOBS) -> None:
    """Run every job once now: what came due while no scheduler ran is done at start."""
    logger.info("Catching up: every job runs once now")
    for job in jobs:
        run_job(app, job)


def lab_zone(app: Flask) -> ZoneInfo:
    return ZoneInfo(app.config["LAB_TIMEZONE"])


def build_scheduler(app: Flask, scheduler_class: type[Any]) -> Any:
    """A scheduler (``BlockingScheduler`` or ``BackgroundScheduler``) holding every job.

    One worker thread: jobs take turns, so on SQLite they never wait for each other's write
    lock. A run that is late (the worker was busy, the machine slept) still runs, once.
    """
    from apscheduler.executors.pool import ThreadPoolExecutor

    zone = lab_zone(app)
    scheduler = scheduler_class(
        timezone=zone,
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    for job in JOBS:
        scheduler.add_job(
            run_job,
            trigger=job.schedule.trigger(zone),
            args=(app, job),
            id=job.name,
            name=job.name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=job.misfire_grace_time,
            replace_existing=True,
        )
    return scheduler


def next_runs(zone: ZoneInfo, now: datetime) -> list[tuple[JobDefinition, datetime | None]]:
    """Each job with the next time its schedule fires after ``now``, in ``zone``."""
    found = []
    for job in JOBS:
        local = now.astimezone(zone)
        fire = job.schedule.trigger(zone, local).get_next_fire_time(None, local)
        found.append((job, fire.astimezone(zone) if fire is not None else None))
    return found


def configure_logging() -> None:
    """The jobs' INFO lines on stderr, with time and process id, once (not also through the
    app's logger, which would print each line twice)."""
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(logging.INFO)
    # APScheduler's own INFO lines ("Running job ...") repeat ours; its warnings stay.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def watch_lock(scheduler: Any, lock: locks.SchedulerLock, lost: threading.Event) -> None:
    """Add a check that stops the scheduler if its lock is gone (the database connection
    dropped): another scheduler may have taken over, and two must never run jobs."""

    from apscheduler.executors.pool import ThreadPoolExecutor

    def check() -> None:
        if not lock.is_held():
            logger.error("Lost the scheduler lock (database connection gone); stopping")
            lost.set()
            scheduler.shutdown(wait=False)

    # Its own thread: a long job in the default worker does not delay the check.
    scheduler.add_executor(ThreadPoolExecutor(max_workers=1), alias="lock")
    scheduler.add_job(
        check,
        "interval",
        seconds=LOCK_CHECK_SECONDS,
        id="_lock_check",
        executor="lock",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
    )


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(0)


def run_forever(app: Flask, *, poll_seconds: float = locks.DEFAULT_POLL_SECONDS) -> int:
    """The scheduler process: wait for the lock, catch up, then run the jobs on schedule
    until stopped. Returns the exit status (1 when the lock was lost)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    configure_logging()
    if not app.config["MAIL_SERVER"] and app.config["STRAXLAB_ENV"] == "production":
        # Not refused: a lab may run without mail for a while. But it must not pass unseen.
        logger.warning("MAIL_SERVER is not set: mail stays in the outbox until it is")
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    lock = locks.lock_for(app.config["SQLALCHEMY_DATABASE_URI"], app.instance_path)
    lost = threading.Event()
    scheduler = None
    try:
        locks.wait_for(lock, poll_seconds=poll_seconds)
        catch_up(app)
        scheduler = build_scheduler(app, BlockingScheduler)
        watch_lock(scheduler, lock, lost)
        logger.info("Scheduler started with %d jobs (lab time %s)", len(JOBS), lab_zone(app))
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
        lock.release()
        logger.info("Scheduler stopped")
    return 1 if lost.is_set() else 0
