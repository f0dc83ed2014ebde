"""A lab day never holds more teams than the capacity (DESIGN.md, invariant 2), under real
concurrency.

Ten processes, each with its own app and connections (as gunicorn workers have), wait at one
barrier and then approve ten programme requests of ten different teams for the same days, on
which the lab has one place left. Exactly one is approved, nine get the service's clean
"The lab is full" conflict, nobody gets an error, and no day holds more teams than the
capacity. Two more races: every racer approves the same request (one approves, the others
hear it has been dealt with, the days exist once), and ten teams that share one member ask
for the same day with places to spare (one approved: a teacher is never in two design days
at once).

The negative control switches the guard off in the racers (``lock_lab_days`` becomes a no-op;
on SQLite the transactions are also the driver's deferred ones instead of BEGIN IMMEDIATE, as
in the lending race) and must overfill a day: so these tests can fail.

Everything runs in a scratch database of its own (tests/scratch.py via race_support), on
SQLite by default and on PostgreSQL when TEST_DATABASE_URL names a server.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.equipment import race_support as race

RACERS = 10
ATTEMPTS = 3
# Three places a day, two taken by teams approved earlier: one place left.
CAPACITY = 3
INCUMBENTS = CAPACITY - 1
DAY_COUNT = 4
# Each round gets days of its own, this far after the previous round's.
ROUND_SPACING_DAYS = 35

FULL = "The lab is full on"
DEALT_WITH = "This request has already been dealt with."
BUSY = "Already in another team's design day on"

pytestmark = pytest.mark.timeout(240)


# --------------------------------------------------------------------------------------------
# The racers: spawned processes that wait at one barrier and then approve together


@dataclass(frozen=True)
class Task:
    url: str
    guard: bool
    programme_id: int
    staff_id: int


def _build_app(url: str, guard: bool) -> Any:
    from straxlab import create_app
    from straxlab.config import TestConfig
    from straxlab.extensions import db

    app = create_app(TestConfig(url))
    if not guard and not race.is_postgres(url):
        with app.app_context():
            race.without_sqlite_discipline(db.engine)
    return app


@contextlib.contextmanager
def _guard(on: bool) -> Iterator[None]:
    """The guard off: ``lock_lab_days`` takes no lock (the negative control only)."""
    from straxlab.lab_calendar import services as lab_calendar

    original = lab_calendar.lock_lab_days
    if not on:
        lab_calendar.lock_lab_days = lambda days: None
    try:
        yield
    finally:
        lab_calendar.lock_lab_days = original


def _approve(app: Any, task: Task, barrier: Any | None) -> str:
    """Approve the task's programme as its staff member and commit; "ok", "conflict: <message>"
    or "error: ..."."""
    from flask_babel import force_locale

    from straxlab.auth.models import User
    from straxlab.core import clock
    from straxlab.core.errors import Conflict
    from straxlab.design_teams import services
    from straxlab.design_teams.models import Programme
    from straxlab.extensions import db

    with app.app_context(), force_locale("en"), _guard(task.guard):
        if barrier is not None:
            barrier.wait(race.BARRIER_TIMEOUT_S)
        try:
            # Like a request: the first statement (the user loader's) begins the transaction.
            staff = db.session.get(User, task.staff_id)
            programme = db.session.get(Programme, task.programme_id)
            services.approve(programme, actor=staff, now=clock.now())
            db.session.commit()
        except Conflict as exc:
            db.session.rollback()
            return f"conflict: {exc}"
        except Exception as exc:
            db.session.rollback()
            return f"error: {exc!r} at {race._where(exc)}"
        finally:
            db.session.remove()
    return "ok"


def _warm_up(app: Any, task: Task) -> None:
    """Run one approval and roll it back, so that the racers start level (imports, mappers,
    compiled SQL and translations are cached before the barrier)."""
    from flask_babel import force_locale

    from straxlab.auth.models import User
    from straxlab.core import clock
    from straxlab.core.errors import DomainError
    from straxlab.design_teams import services
    from straxlab.design_teams.models import Programme
    from straxlab.extensions import db

    with app.app_context(), force_locale("en"), _guard(task.guard):
        try:
            staff = db.session.get(User, task.staff_id)
            programme = db.session.get(Programme, task.programme_id)
            with contextlib.suppress(DomainError):
                services.approve(programme, actor=staff, now=clock.now())
        finally:
            db.session.rollback()
            db.session.remove()


class ApprovalRace(race.RacePool):
    """``RACERS`` spawned processes, started once and reused for every round, that approve."""

    def __init__(self, racers: int = RACERS) -> None:
        super().__init__(racers, build=_build_app, warm_up=_warm_up, run=_approve, name="approver")

    def approve(self, url: str, pairs: list[tuple[int, int]], *, guard: bool) -> list[str]:
        """Racer i approves programme ``pairs[i][0]`` as staff member ``pairs[i][1]``."""
        return self.run_round([Task(url, guard, programme, staff) for programme, staff in pairs])


def tally(outcomes: list[str], expected: str) -> dict[str, int]:
    """ok, the expected conflict, and everything else (any other conflict is an error)."""
    counts = {"ok": 0, "conflict": 0, "error": 0}
    for outcome in outcomes:
        if outcome == "ok":
            counts["ok"] += 1
        elif outcome.startswith("conflict: ") and expected in outcome:
            counts["conflict"] += 1
        else:
            counts["error"] += 1
    return counts


# --------------------------------------------------------------------------------------------
# The scratch database and each round's teams


@dataclass(frozen=True)
class Round:
    pairs: list[tuple[int, int]]
    days: Sequence[date]


class Lab:
    """The scratch database, an app on it for seeding and checking, and fresh days per round."""

    def __init__(self, url: str) -> None:
        from straxlab import create_app
        from straxlab.config import TestConfig

        self.url = url
        self.app = create_app(TestConfig(url))
        self.offsets = itertools.count(1)

    def close(self) -> None:
        from straxlab.extensions import db

        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()

    def seed(self, *, incumbents: int, capacity: int, shared_member: bool = False) -> Round:
        """``incumbents`` approved teams and ``RACERS`` waiting requests, all for the same
        ``DAY_COUNT`` weekly days nobody else uses; every team has two members of its own
        (with ``shared_member`` the requesting teams' second member is one person)."""
        from straxlab.core import clock, settings
        from straxlab.design_teams import services
        from straxlab.extensions import db
        from straxlab.lab_calendar.settings import LAB_CAPACITY
        from tests.factories import make_programme, make_team, make_user, next_lab_day

        with self.app.app_context():
            first = next_lab_day(7 + ROUND_SPACING_DAYS * next(self.offsets))
            settings.put(LAB_CAPACITY.key, capacity, actor_id=None, now=clock.now())
            staff = [make_user(role="staff") for _ in range(RACERS)]
            for _ in range(incumbents):
                team = make_team(make_user(), [make_user()])
                make_programme(team, first_day=first, day_count=DAY_COUNT, approve_by=staff[0])
            shared = make_user() if shared_member else None
            requests = []
            for _ in range(RACERS):
                team = make_team(make_user(), [shared or make_user()])
                requests.append(make_programme(team, first_day=first, day_count=DAY_COUNT))
            db.session.commit()
            # The days every one of these programmes asks for (no closures here).
            sample = requests[0]
            days = services.plan(
                sample.team,
                weekday=sample.weekday,
                starts=sample.starts_at,
                ends=sample.ends_at,
                first_day=sample.first_day,
                day_count=sample.day_count,
            ).series.days
            pairs = [(p.id, s.id) for p, s in zip(requests, staff, strict=True)]
            db.session.remove()
        return Round(pairs, days)

    def teams_per_day(self, days: Sequence[date]) -> dict[date, int]:
        """How many teams take a place on each day (cancelled design days do not count)."""
        from straxlab.design_teams.models import DesignDay
        from straxlab.design_teams.rules import TAKING_PLACE
        from straxlab.extensions import db

        with self.app.app_context():
            rows = db.session.execute(
                sa.select(DesignDay.day, sa.func.count(sa.distinct(DesignDay.team_id)))
                .where(DesignDay.day.in_(days), DesignDay.status.in_(TAKING_PLACE))
                .group_by(DesignDay.day)
            ).all()
            db.session.remove()
        return {day: count for day, count in rows}

    def design_days(self, programme_id: int) -> int:
        from straxlab.design_teams.models import DesignDay
        from straxlab.extensions import db

        with self.app.app_context():
            count = db.session.scalar(
                sa.select(sa.func.count(DesignDay.id)).where(DesignDay.programme_id == programme_id)
            )
            db.session.remove()
        return int(count or 0)

    def busiest_member(self, days: Sequence[date]) -> int:
        """The most design days any one person is in on one of ``days``."""
        from straxlab.design_teams.models import DesignDay, Membership
        from straxlab.design_teams.rules import TAKING_PLACE
        from straxlab.extensions import db

        with self.app.app_context():
            most = db.session.scalar(
                sa.select(sa.func.max(sa.literal_column("n"))).select_from(
                    sa.select(sa.func.count(DesignDay.id).label("n"))
                    .join(Membership, Membership.team_id == DesignDay.team_id)
                    .where(DesignDay.day.in_(days), DesignDay.status.in_(TAKING_PLACE))
                    .group_by(Membership.user_id, DesignDay.day)
                    .subquery()
                )
            )
            db.session.remove()
        return int(most or 0)


@pytest.fixture(scope="module")
def racers() -> Iterator[ApprovalRace]:
    pool = ApprovalRace()
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    directory: Path = tmp_path_factory.mktemp("design-race")
    with race.scratch_database(directory, "teams") as url:
        scratch_lab = Lab(url)
        try:
            yield scratch_lab
        finally:
            scratch_lab.close()


# --------------------------------------------------------------------------------------------
# The races


@pytest.mark.parametrize("run", [1, 2])
def test_ten_approvals_for_the_last_place_exactly_one_wins(racers, lab, run):
    seeded = lab.seed(incumbents=INCUMBENTS, capacity=CAPACITY)
    assert set(lab.teams_per_day(seeded.days).values()) == {INCUMBENTS}

    outcomes = racers.approve(lab.url, seeded.pairs, guard=True)

    counts = tally(outcomes, FULL)
    print(f"last place, guarded, run {run}: {counts}")
    errors = [o for o in outcomes if o != "ok" and FULL not in o]
    assert counts == {"ok": 1, "conflict": RACERS - 1, "error": 0}, errors
    per_day = lab.teams_per_day(seeded.days)
    assert len(per_day) == DAY_COUNT
    assert set(per_day.values()) == {CAPACITY}, per_day
    winner = seeded.pairs[outcomes.index("ok")][0]
    assert lab.design_days(winner) == DAY_COUNT
    losers = [p for (p, _), o in zip(seeded.pairs, outcomes, strict=True) if o != "ok"]
    assert all(lab.design_days(p) == 0 for p in losers)


def test_ten_staff_approving_the_same_request_approve_it_once(racers, lab):
    seeded = lab.seed(incumbents=0, capacity=CAPACITY)
    programme_id = seeded.pairs[0][0]
    # Every racer approves the first request, each as a different staff member.
    pairs = [(programme_id, staff_id) for _, staff_id in seeded.pairs]

    outcomes = racers.approve(lab.url, pairs, guard=True)

    counts = tally(outcomes, DEALT_WITH)
    print(f"same request: {counts}")
    errors = [o for o in outcomes if o != "ok" and DEALT_WITH not in o]
    assert counts == {"ok": 1, "conflict": RACERS - 1, "error": 0}, errors
    assert lab.design_days(programme_id) == DAY_COUNT
    assert set(lab.teams_per_day(seeded.days).values()) == {1}


def test_ten_teams_sharing_a_member_only_one_gets_the_day(racers, lab):
    # Places to spare: only the shared member stands in the way.
    seeded = lab.seed(incumbents=0, capacity=RACERS + 5, shared_member=True)

    outcomes = racers.approve(lab.url, seeded.pairs, guard=True)

    counts = tally(outcomes, BUSY)
    print(f"shared member: {counts}")
    errors = [o for o in outcomes if o != "ok" and BUSY not in o]
    assert counts == {"ok": 1, "conflict": RACERS - 1, "error": 0}, errors
    assert set(lab.teams_per_day(seeded.days).values()) == {1}
    assert lab.busiest_member(seeded.days) == 1


def test_negative_control_without_the_lab_day_lock_overfills_a_day(racers, lab):
    seen = []
    for attempt in range(1, ATTEMPTS + 1):
        seeded = lab.seed(incumbents=INCUMBENTS, capacity=CAPACITY)
        outcomes = racers.approve(lab.url, seeded.pairs, guard=False)
        seen.append(tally(outcomes, FULL))
        print(f"last place, unguarded, attempt {attempt}: {seen[-1]}")
        if seen[-1]["ok"] > 1:
            # What the racers reported is what the database holds: a day over capacity.
            per_day = lab.teams_per_day(seeded.days)
            assert max(per_day.values()) == INCUMBENTS + seen[-1]["ok"] > CAPACITY, per_day
            break
    assert any(counts["ok"] > 1 for counts in seen), seen
