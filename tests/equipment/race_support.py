"""Support for the concurrency tests: scratch databases, the seed, and the racing processes.

Nothing here touches the shared test database: every race runs in a database of its own
(an SQLite file, or ``straxlab_race_<uuid>`` on the PostgreSQL server of TEST_DATABASE_URL),
migrated with the project's own migrations and dropped afterwards.

The racers are spawned processes, each with its own app and its own database connections, as
gunicorn workers have. They are started once and reused for every round, so that a round costs
the race itself and not 16 interpreter start-ups.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests import scratch

RACERS = 16
# How long one round may take, from the release at the barrier to the last answer.
ROUND_TIMEOUT_S = 60.0
# How long a racer waits at the barrier for the other racers.
BARRIER_TIMEOUT_S = 60.0
TYPE_NAME = "Race recorder"
EXCLUSION_CONSTRAINT = "ex_reservation_item_no_overlap"


is_postgres = scratch.is_postgres


def scratch_database(directory: Path, label: str) -> contextlib.AbstractContextManager[str]:
    """A new, migrated database on the server the suite runs against; dropped afterwards.

    PostgreSQL when TEST_DATABASE_URL names one (a database ``straxlab_race_<uuid>`` next to
    the suite's own), else an SQLite file in ``directory``.
    """
    return scratch.migrated_database(
        os.environ.get("TEST_DATABASE_URL", ""), directory, f"straxlab_race_{label}"
    )


@dataclass(frozen=True)
class Seed:
    type_id: int
    asset_id: int
    teacher_ids: tuple[int, ...]
    teacher_emails: tuple[str, ...]


def seed(url: str, *, teachers: int = RACERS) -> Seed:
    """One equipment type with one free asset, and ``teachers`` teachers (English pages)."""
    from straxlab import create_app
    from straxlab.config import TestConfig
    from straxlab.extensions import db
    from tests.factories import make_type, make_user

    app = create_app(TestConfig(url))
    with app.app_context():
        recorder = make_type(name=TYPE_NAME, assets=1, max_advance_days=365)
        people = [
            make_user(role="teacher", email=f"racer{n:02d}@school.example", locale="en")
            for n in range(1, teachers + 1)
        ]
        db.session.commit()
        result = Seed(
            type_id=recorder.id,
            asset_id=db.session.scalar(
                sa.text("SELECT id FROM asset WHERE equipment_type_id = :t"), {"t": recorder.id}
            ),
            teacher_ids=tuple(p.id for p in people),
            teacher_emails=tuple(p.email for p in people),
        )
        db.session.remove()
        db.engine.dispose()
    return result


def drop_exclusion_constraint(url: str) -> None:
    """Take away the PostgreSQL backstop (scratch databases of the negative control only)."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                f"ALTER TABLE reservation_item DROP CONSTRAINT {EXCLUSION_CONSTRAINT}"
            )
    finally:
        engine.dispose()


def has_exclusion_constraint(url: str) -> bool:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(
                conn.scalar(
                    sa.text("SELECT count(*) FROM pg_constraint WHERE conname = :name"),
                    {"name": EXCLUSION_CONSTRAINT},
                )
            )
    finally:
        engine.dispose()


def active_items(url: str, asset_id: int, start: datetime, end: datetime) -> int:
    """How many active reservation items hold ``asset_id`` somewhere in ``[start, end)``."""
    from straxlab.core.db import UTCDateTime

    query = sa.text(
        "SELECT count(*) FROM reservation_item WHERE asset_id = :asset AND is_active "
        "AND starts_at < :end AND blocked_until > :start"
    ).bindparams(
        sa.bindparam("start", type_=UTCDateTime()), sa.bindparam("end", type_=UTCDateTime())
    )
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(query, {"asset": asset_id, "start": start, "end": end}) or 0)
    finally:
        engine.dispose()


def without_sqlite_discipline(engine: sa.Engine) -> None:
    """Undo ``core.db.configure_sqlite_engine`` on ``engine``: the negative control on SQLite.

    On SQLite the race guard is the transaction discipline itself (every write transaction
    begins with BEGIN IMMEDIATE). Without it the sqlite3 driver runs its legacy transactions:
    reads outside any transaction, BEGIN only before the first write, so two writers can both
    pass a check-then-insert. New connections get the driver's defaults again.
    """
    listeners = [("begin", fn) for fn in engine.dispatch.begin]
    listeners += [("connect", fn) for fn in engine.pool.dispatch.connect]
    ours = [
        (identifier, listener)
        for identifier, listener in listeners
        if getattr(listener, "__qualname__", "").startswith("configure_sqlite_engine.")
    ]
    if sorted(identifier for identifier, _ in ours) != ["begin", "connect"]:
        raise RuntimeError(f"core.db's SQLite listeners not found on the engine: {listeners}")
    for identifier, listener in ours:
        sa.event.remove(engine, identifier, listener)
    engine.dispose()


def desk_period(days_ahead: int, *, hours: int = 4) -> tuple[datetime, datetime]:
    """From 10:00 on a weekday at least ``days_ahead`` days from now, for ``hours`` hours."""
    from tests.factories import next_desk_morning

    start = next_desk_morning(days_ahead)
    return start, start + timedelta(hours=hours)


# --------------------------------------------------------------------------------------------
# The racers


@dataclass(frozen=True)
class Task:
    url: str
    guard: bool
    type_id: int
    teacher_id: int
    starts_at: datetime
    ends_at: datetime


def _build_app(url: str, guard: bool) -> Any:
    from straxlab import create_app
    from straxlab.config import TestConfig
    from straxlab.extensions import db

    config = TestConfig(url)
    config.LENDING_RACE_GUARD = guard
    app = create_app(config)
    if not guard and not is_postgres(url):
        with app.app_context():
            without_sqlite_discipline(db.engine)
    return app


def _warm_up(app: Any, task: Task) -> None:
    """Run the read side of a reservation once, so that the race starts level.

    The first call in a process imports, compiles and caches (mappers, SQL, translations)
    for a good part of a second; without this the racers of the first round arrive one by
    one and never meet.
    """
    from straxlab.auth.models import User
    from straxlab.core import clock
    from straxlab.core.errors import DomainError
    from straxlab.equipment import services
    from straxlab.equipment.models import EquipmentType
    from straxlab.equipment.rules import Interval
    from straxlab.extensions import db

    with app.app_context():
        try:
            teacher = db.session.get(User, task.teacher_id)
            equipment_type = db.session.get(EquipmentType, task.type_id)
            types = {task.type_id: equipment_type}
            period = Interval(task.starts_at, task.ends_at)
            now = clock.now()
            services.check_request(teacher, types, {task.type_id: 1}, period, now=now)
            with contextlib.suppress(DomainError):
                assets = services.lock_assets([task.type_id])
                services.allocate(types, {task.type_id: 1}, period, now=now, assets=assets)
            services.nearest_free_period(types, {task.type_id: 1}, period, now=now)
        finally:
            db.session.rollback()
            db.session.remove()


def _reserve(app: Any, task: Task, barrier: Any) -> str:
    from straxlab.auth.models import User
    from straxlab.core import clock
    from straxlab.core.errors import DomainError
    from straxlab.equipment import services
    from straxlab.equipment.models import EquipmentType
    from straxlab.equipment.rules import Interval
    from straxlab.extensions import db

    with app.app_context():
        barrier.wait(BARRIER_TIMEOUT_S)
        try:
            # Like a request: the first statement (the user loader's) begins the transaction.
            teacher = db.session.get(User, task.teacher_id)
            equipment_type = db.session.get(EquipmentType, task.type_id)
            services.request_reservation(
                teacher,
                actor=teacher,
                period=Interval(task.starts_at, task.ends_at),
                quantity=1,
                purpose="Race test",
                now=clock.now(),
                equipment_type=equipment_type,
            )
            db.session.commit()
        except DomainError:
            db.session.rollback()
            return "conflict"
        except Exception as exc:
            db.session.rollback()
            return f"error: {exc!r} at {_where(exc)}"
        finally:
            db.session.remove()
    return "ok"


def _where(exc: BaseException) -> str:
    """The innermost frame of the error, for the test's failure message."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"


def _racer(
    index: int,
    tasks: Any,
    results: Any,
    barrier: Any,
    build: Callable[[str, bool], Any],
    warm_up: Callable[[Any, Any], None],
    run: Callable[[Any, Any, Any], str],
) -> None:
    """One racer: builds an app per (database, guard), warms it up once, then runs each task
    it is given (``run`` waits at the barrier) and reports the outcome with the round."""
    apps: dict[tuple[str, bool], Any] = {}
    while True:
        item = tasks.get()
        if item is None:
            break
        round_, task = item
        try:
            key = (task.url, task.guard)
            if key not in apps:
                apps[key] = build(task.url, task.guard)
                warm_up(apps[key], task)
            outcome = run(apps[key], task, barrier)
        except BaseException as exc:
            outcome = f"error: {exc!r} at {_where(exc)}"
        results.put((round_, index, outcome))
    _dispose(apps.values())
    # Flush what is queued, then leave without the interpreter's slow teardown.
    results.close()
    results.join_thread()
    os._exit(0)


def _dispose(apps: Any) -> None:
    from straxlab.extensions import db

    for app in apps:
        with contextlib.suppress(Exception), app.app_context():
            db.session.remove()
            db.engine.dispose()


class RacePool:
    """Spawned processes that wait at one barrier and then act together, round after round.

    What they do is given as three module-level functions (spawned processes import them by
    name): ``build(url, guard)`` makes an app, ``warm_up(app, task)`` runs the read side once
    so that the racers start level, ``run(app, task, barrier)`` waits at the barrier, acts and
    returns "ok", "conflict..." or "error: ...". By default they reserve equipment.
    """

    def __init__(
        self,
        racers: int = RACERS,
        *,
        build: Callable[[str, bool], Any] = _build_app,
        warm_up: Callable[[Any, Any], None] = _warm_up,
        run: Callable[[Any, Any, Any], str] = _reserve,
        name: str = "racer",
    ) -> None:
        self.context = multiprocessing.get_context("spawn")
        self.racers = racers
        self.barrier = self.context.Barrier(racers)
        self.results = self.context.Queue()
        self.tasks = [self.context.Queue() for _ in range(racers)]
        self.processes = [
            self.context.Process(
                target=_racer,
                args=(index, self.tasks[index], self.results, self.barrier, build, warm_up, run),
                name=f"{name}-{index}",
                daemon=True,
            )
            for index in range(racers)
        ]
        for process in self.processes:
            process.start()
        self.round = 0
        self.stuck = False

    def race(
        self, url: str, seeded: Seed, start: datetime, end: datetime, *, guard: bool
    ) -> list[str]:
        """Every racer asks for the one asset for ``[start, end)``; their outcomes, in order."""
        return self.run_round(
            [
                Task(url, guard, seeded.type_id, seeded.teacher_ids[index], start, end)
                for index in range(self.racers)
            ]
        )

    def run_round(self, tasks: list[Any]) -> list[str]:
        """Racer i runs ``tasks[i]``; their outcomes, in order."""
        assert len(tasks) == self.racers
        self.round += 1
        outcomes = ["error: no answer within the round's timeout"] * self.racers
        if self.stuck:
            return ["error: a racer was stuck in an earlier round"] * self.racers
        if self.barrier.broken:
            self.barrier.reset()
        for index, task in enumerate(tasks):
            self.tasks[index].put((self.round, task))
        deadline = time.monotonic() + ROUND_TIMEOUT_S
        answered = 0
        while answered < self.racers:
            try:
                round_, index, outcome = self.results.get(timeout=1.0)
            except queue.Empty:
                if time.monotonic() > deadline:
                    self.stuck = True
                    break
                continue
            if round_ == self.round:
                outcomes[index] = outcome
                answered += 1
        return outcomes

    def close(self) -> None:
        for tasks in self.tasks:
            with contextlib.suppress(Exception):
                tasks.put(None)
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
        for q in [self.results, *self.tasks]:
            q.close()
            q.join_thread()


def tally(outcomes: list[str]) -> dict[str, int]:
    counts = {"ok": 0, "conflict": 0, "error": 0}
    for outcome in outcomes:
        counts["error" if outcome.startswith("error") else outcome] += 1
    return counts
