"""The jobs inside the development server (``make run``), started once.

``create_app`` calls :func:`start_in_dev_server` only when ``STRAXLAB_RUN_JOBS`` is set (the
Makefile's ``run`` target sets it). Even then the scheduler starts only in the process that
serves requests under ``flask run``: the reloader's child (``WERKZEUG_RUN_MAIN=true``), or the
one process when the reloader is off; never in the reloader's watching parent, never in other
``flask`` commands, never in tests, never in gunicorn. It takes the same lock as
``flask jobs``, in a thread of its own, so the server starts at once even while another
scheduler holds the lock.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Mapping
from typing import Any

import click
from flask import Flask
from flask.helpers import get_debug_flag

from straxlab.jobs import lock as locks
from straxlab.jobs import scheduler as runner
from straxlab.jobs.registry import JOBS

logger = logging.getLogger("straxlab.jobs")

ENV_FLAG = "STRAXLAB_RUN_JOBS"
_TRUE = {"1", "true", "yes", "on"}


def _reloader_enabled(context: click.Context) -> bool:
    """What ``flask run`` decides: ``--reload/--no-reload``, by default on with ``--debug``."""
    reload = context.params.get("reload")
    return get_debug_flag() if reload is None else bool(reload)


def should_start(
    app: Flask,
    environ: Mapping[str, str] = os.environ,
    context: click.Context | None = None,
) -> bool:
    """True only in the process of ``flask run`` that serves requests, when asked for."""
    if app.testing or environ.get(ENV_FLAG, "").strip().lower() not in _TRUE:
        return False
    context = context or click.get_current_context(silent=True)
    if context is None or context.command.name != "run":
        return False
    if environ.get("WERKZEUG_RUN_MAIN") == "true":
        return True
    return not _reloader_enabled(context)


def _run(app: Flask, stop: threading.Event, poll_seconds: float) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    lock = locks.lock_for(app.config["SQLALCHEMY_DATABASE_URI"], app.instance_path)
    if not locks.wait_for(lock, poll_seconds=poll_seconds, stop=stop):
        return
    runner.catch_up(app)
    scheduler = runner.build_scheduler(app, BackgroundScheduler)
    lost = threading.Event()
    runner.watch_lock(scheduler, lock, lost)
    scheduler.start()
    logger.info("Jobs run inside the development server (%d jobs)", len(JOBS))

    def stop_scheduler() -> None:
        stop.set()
        if scheduler.running:
            scheduler.shutdown(wait=False)
        lock.release()

    atexit.register(stop_scheduler)


def start_in_dev_server(
    app: Flask, *, poll_seconds: float = locks.DEFAULT_POLL_SECONDS, **kwargs: Any
) -> bool:
    """Start the jobs in a background thread if this is the serving dev-server process."""
    if not should_start(app, **kwargs):
        return False
    runner.configure_logging()
    stop = threading.Event()
    atexit.register(stop.set)
    threading.Thread(
        target=_run, args=(app, stop, poll_seconds), name="straxlab-jobs", daemon=True
    ).start()
    return True
