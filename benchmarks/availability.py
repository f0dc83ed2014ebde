"""Does the availability query stay fast as the history grows?

Times, for one equipment type over one week:

- ``services.busy_asset_ids`` (the overlap check every reservation runs, bounded below by
  ``rules.LOOKBACK``),
- ``queries.week_items`` (the availability week grid of a type), and
- ``queries.free_counts`` (the catalogue's free count for a period),

in a database of 10^3 reservations and in one of 10^6, and at 10^6 for a late week (now) and
an early week (years back). Prints the medians, then the ratios per query; the two final lines
give the worst of the three, the last one being ``availability-late-vs-early: <ratio>
(target <= 1.5)``. An overlap query without the LOOKBACK bound is timed for comparison.

The data (see ``generate``): 40 types of 20 assets. Every asset lends in 4-day slots (a loan
of 2 h to 3 days starting somewhere in the first 20 h of the slot), so loans of one asset never
overlap. The measured type has the same recent calendar in both databases (91 days back to
35 days ahead: returned, out, one overdue, reserved); the rest of the reservations are
history before that, spread over all 800 assets: a few days of it at 10^3, about 13.7 years
at 10^6. So the rows a correct query must read are the same in both; only the history
differs. Run ``--explain`` for the query plans.

    .venv/bin/python benchmarks/availability.py
    .venv/bin/python benchmarks/availability.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import _common as common
import sqlalchemy as sa

SLOT = timedelta(days=4)
RECENT_BACK = timedelta(days=91)
RECENT_AHEAD = timedelta(days=35)
CHUNK = 50_000
ZONE = ZoneInfo("Europe/Amsterdam")

TARGET_HISTORY = 2.5
TARGET_LATE_EARLY = 1.5

RESERVATION_COLUMNS = (
    "id",
    "requester_id",
    "equipment_type_id",
    "kit_id",
    "quantity",
    "purpose",
    "starts_at",
    "ends_at",
    "status",
    "created_at",
    "created_by_id",
    "updated_at",
    "decided_by_id",
    "decided_at",
    "decision_note",
    "override_reason",
)
ITEM_COLUMNS = (
    "id",
    "reservation_id",
    "asset_id",
    "starts_at",
    "blocked_until",
    "is_active",
    "checked_out_at",
    "checked_out_by_id",
    "condition_out",
    "returned_at",
    "returned_by_id",
    "condition_in",
    "damage_report",
    "card_wiped",
)
# Positions of the datetime columns (SQLite needs them as SQLAlchemy's own text format).
RESERVATION_TIMES = (6, 7, 9, 11, 13)
ITEM_TIMES = (3, 4, 6, 9)


@dataclass
class Loan:
    asset_id: int
    type_id: int
    starts_at: datetime
    ends_at: datetime
    status: str
    active: bool
    checked_out_at: datetime | None
    returned_at: datetime | None


@dataclass
class Dataset:
    size: int
    now: datetime
    target_type: int
    history_start: datetime
    # The target type's active items, to check the query's answer against.
    target_active: list[Loan] = field(default_factory=list)


def _loan_in_slot(
    rng: random.Random, asset_id: int, type_id: int, slot_start: datetime, now: datetime
) -> Loan:
    start = slot_start + timedelta(minutes=15 * rng.randrange(0, 80))  # within the first 20 h
    end = start + timedelta(hours=2) + timedelta(minutes=15 * rng.randrange(0, 280))  # <= 72 h
    if end <= now:
        roll = rng.random()
        if roll < 0.90:
            return Loan(asset_id, type_id, start, end, "returned", False, start, end)
        status = "cancelled" if roll < 0.97 else "expired"
        return Loan(asset_id, type_id, start, end, status, False, None, None)
    if start <= now:
        return Loan(asset_id, type_id, start, end, "checked_out", True, start, None)
    return Loan(asset_id, type_id, start, end, "approved", True, None, None)


def loans(
    catalogue: common.Catalogue, size: int, now: datetime, seed: int = 7
) -> tuple[Dataset, Iterator[Loan]]:
    """The dataset's facts and a generator of its ``size`` loans (one reservation each)."""
    rng = random.Random(seed)
    target = catalogue.type_ids[0]
    target_assets = catalogue.assets[target]
    all_assets = [(a, t) for t in catalogue.type_ids for a in catalogue.assets[t]]
    recent_start = now - RECENT_BACK
    recent_slots = int((RECENT_AHEAD + RECENT_BACK) / SLOT)
    recent_count = recent_slots * len(target_assets)
    history_count = size - recent_count
    if history_count < 0:
        raise SystemExit(f"size {size} is smaller than the recent calendar ({recent_count})")
    history_slots = -(-history_count // len(all_assets))
    dataset = Dataset(size, now, target, recent_start - history_slots * SLOT)

    def generate() -> Iterator[Loan]:
        for k in range(recent_slots):
            for asset_id in target_assets:
                loan = _loan_in_slot(rng, asset_id, target, recent_start + k * SLOT, now)
                # One loan that came due before now and has not come back: overdue.
                overdue = asset_id == target_assets[0] and k == recent_slots // 2 - 2
                if overdue and loan.ends_at <= now:
                    loan.status, loan.active = "checked_out", True
                    loan.checked_out_at, loan.returned_at = loan.starts_at, None
                if loan.active:
                    dataset.target_active.append(loan)
                yield loan
        for i in range(history_count):
            asset_id, type_id = all_assets[i % len(all_assets)]
            slot_start = recent_start - (i // len(all_assets) + 1) * SLOT
            yield _loan_in_slot(rng, asset_id, type_id, slot_start, now)

    return dataset, generate()


def _rows(
    loans_: Iterator[Loan], teachers: list[int]
) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    reservations: list[tuple[Any, ...]] = []
    items: list[tuple[Any, ...]] = []
    for n, loan in enumerate(loans_, start=1):
        requester = teachers[n % len(teachers)]
        made = loan.starts_at - timedelta(days=3)
        reservations.append(
            (
                *(n, requester, loan.type_id, None, 1, "Lesson", loan.starts_at, loan.ends_at),
                *(loan.status, made, requester, made, None, None, "", ""),
            )
        )
        items.append(
            (
                *(n, n, loan.asset_id, loan.starts_at, loan.ends_at, loan.active),
                *(loan.checked_out_at, None, "", loan.returned_at, None, "", "", None),
            )
        )
        if len(items) >= CHUNK:
            yield reservations, items
            reservations, items = [], []
    if items:
        yield reservations, items


def _sqlite_text(value: datetime | None) -> str | None:
    # SQLAlchemy's SQLite DATETIME format, in UTC without an offset (core.db.UTCDateTime).
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_row(row: tuple[Any, ...], times: tuple[int, ...]) -> tuple[Any, ...]:
    values = list(row)
    for i in times:
        values[i] = _sqlite_text(values[i])
    return tuple(int(v) if isinstance(v, bool) else v for v in values)


def load(url: str, catalogue: common.Catalogue, loans_: Iterator[Loan]) -> int:
    """Bulk-insert the reservations and their items; returns the number written."""
    written = 0
    if common.is_postgres(url):
        import psycopg

        dsn = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn) as conn, conn.cursor() as cur:
            for reservations, items in _rows(loans_, catalogue.teacher_ids):
                with cur.copy(
                    f"COPY reservation ({', '.join(RESERVATION_COLUMNS)}) FROM STDIN"
                ) as c:
                    for row in reservations:
                        c.write_row(row)
                with cur.copy(f"COPY reservation_item ({', '.join(ITEM_COLUMNS)}) FROM STDIN") as c:
                    for row in items:
                        c.write_row(row)
                written += len(items)
            for table in ("reservation", "reservation_item"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql("VACUUM ANALYZE reservation")
            conn.exec_driver_sql("VACUUM ANALYZE reservation_item")
        engine.dispose()
        return written
    path = sa.make_url(url).database
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=OFF")
        res_sql = (
            f"INSERT INTO reservation ({', '.join(RESERVATION_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(RESERVATION_COLUMNS))})"
        )
        item_sql = (
            f"INSERT INTO reservation_item ({', '.join(ITEM_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(ITEM_COLUMNS))})"
        )
        for reservations, items in _rows(loans_, catalogue.teacher_ids):
            conn.execute("BEGIN")
            conn.executemany(res_sql, (_sqlite_row(r, RESERVATION_TIMES) for r in reservations))
            conn.executemany(item_sql, (_sqlite_row(r, ITEM_TIMES) for r in items))
            conn.execute("COMMIT")
            written += len(items)
    finally:
        conn.close()
    return written


def monday_after(moment: datetime) -> datetime:
    local = moment.astimezone(ZONE)
    day = local.date() + timedelta(days=(7 - local.weekday()) % 7 or 7)
    return datetime(day.year, day.month, day.day, tzinfo=ZONE).astimezone(UTC)


def week(monday: datetime) -> Any:
    from straxlab.equipment.rules import Interval

    local = monday.astimezone(ZONE)
    end = (local.replace(tzinfo=None) + timedelta(days=7)).replace(tzinfo=ZONE)
    return Interval(monday, end.astimezone(UTC))


def expected_busy(dataset: Dataset, window: Any) -> set[int]:
    """What busy_asset_ids must answer: items touching the window, and gear out and overdue
    (blocked until it comes back, whatever the window)."""
    return {
        loan.asset_id
        for loan in dataset.target_active
        if (loan.starts_at < window.end and loan.ends_at > window.start)
        or (loan.checked_out_at is not None and loan.ends_at <= dataset.now)
    }


# The availability queries of the application, and (last) a comparison without the bound.
MEASURED = ("busy_asset_ids", "week_items", "free_counts")
QUERIES = (*MEASURED, "unbounded overlap")


class Explainer:
    """Captures the SQL a call runs, to show the database's plan for it."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def capture(self, action: Callable[[], Any]) -> list[tuple[str, Any]]:
        captured: list[tuple[str, Any]] = []

        def listener(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
            if statement.lstrip().upper().startswith("SELECT"):
                captured.append((statement, params))

        sa.event.listen(self.engine, "before_cursor_execute", listener)
        try:
            action()
        finally:
            sa.event.remove(self.engine, "before_cursor_execute", listener)
        return captured

    def plan(self, statement: str, params: Any) -> str:
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if self.engine.dialect.name == "postgresql":
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, params)
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + statement, params)
            lines = [" | ".join(str(c) for c in row) for row in cursor.fetchall()]
            cursor.close()
            raw.rollback()
            return "\n".join("      " + line for line in lines)
        finally:
            raw.close()


@dataclass
class Case:
    """One query on one database for one week, and its timings."""

    label: str
    app: Any
    dataset: Dataset
    window: Any
    query: str
    samples: list[float] = field(default_factory=list)

    def call(self) -> Any:
        from straxlab.equipment import queries, services
        from straxlab.equipment.models import Asset, ReservationItem
        from straxlab.extensions import db

        target, window, now = self.dataset.target_type, self.window, self.dataset.now
        try:
            if self.query == "busy_asset_ids":
                return services.busy_asset_ids([target], window, now=now)
            if self.query == "week_items":
                return queries.week_items(target, window, now=now)
            if self.query == "free_counts":
                usable = {target: common.ASSETS_PER_TYPE}
                return queries.free_counts([(target, 0)], window, now=now, usable=usable)
            # For comparison only: the overlap branch without the LOOKBACK lower bound.
            return set(
                db.session.scalars(
                    sa.select(ReservationItem.asset_id)
                    .join(Asset, Asset.id == ReservationItem.asset_id)
                    .where(
                        Asset.equipment_type_id.in_([target]),
                        ReservationItem.is_active,
                        ReservationItem.starts_at < window.end,
                        ReservationItem.blocked_until > window.start,
                    )
                )
            )
        finally:
            db.session.rollback()

    def timed(self) -> None:
        with self.app.app_context():
            started = time.perf_counter()
            self.call()
            self.samples.append(time.perf_counter() - started)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def check_and_explain(self, explain: bool) -> None:
        from straxlab.extensions import db

        with self.app.app_context():
            if self.query == "busy_asset_ids":
                found, wanted = self.call(), expected_busy(self.dataset, self.window)
                if found != wanted:
                    raise SystemExit(
                        f"{self.label}: busy_asset_ids answered {sorted(found)}, "
                        f"expected {sorted(wanted)}"
                    )
            if explain and self.query != "unbounded overlap":
                explainer = Explainer(db.engine)
                for statement, params in explainer.capture(self.call):
                    print(f"    plan of {self.query}, {self.label}:")
                    print(explainer.plan(statement, params))


def label_of(size: int) -> str:
    return f"{size:.0e}".replace("e+0", "e").replace("e+", "e")


def main() -> None:
    p = common.parser(__doc__.split("\n\n")[0])
    p.add_argument("--small", type=int, default=1_000)
    p.add_argument("--large", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=41, help="timed runs per figure (median)")
    p.add_argument("--explain", action="store_true", help="print the query plans")
    args = p.parse_args()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    small, large = label_of(args.small), label_of(args.large)
    print(f"# {common.describe_machine()}")
    cases: dict[tuple[str, str, str], Case] = {}
    with contextlib.ExitStack() as stack:
        for size, label in ((args.small, small), (args.large, large)):
            url = stack.enter_context(
                common.scratch_database(args.database_url, f"availability-{size}")
            )
            if size == args.small:
                print(f"# {common.describe_database(url)}")
            catalogue = common.seed_catalogue(url)
            dataset, generated = loans(catalogue, size, now)
            started = time.perf_counter()
            written = load(url, catalogue, generated)
            print(
                f"{label}: loaded {written} reservations, history from "
                f"{dataset.history_start:%Y-%m-%d}, in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
            app = common.make_app(url)
            stack.callback(_dispose, app)
            windows = {"late": week(monday_after(now + timedelta(days=7)))}
            if size == args.large:
                windows["early"] = week(monday_after(dataset.history_start + timedelta(days=365)))
            for name, window in windows.items():
                for query in QUERIES:
                    case = Case(f"{label} {name}", app, dataset, window, query)
                    case.check_and_explain(args.explain)
                    cases[(label, name, query)] = case
        # Interleaved: every round times every case once, so that a busy moment on the
        # machine falls on all of them alike.
        for _ in range(3):
            for case in cases.values():
                case.timed()
        for case in cases.values():
            case.samples.clear()
        for _ in range(args.repeat):
            for case in cases.values():
                case.timed()
    for (label, name, query), case in cases.items():
        window = case.window
        print(
            f"{label} {name} week of {window.start.astimezone(ZONE):%Y-%m-%d}: "
            f"{query} {common.ms(case.median)}"
        )

    def ratio(a: tuple[str, str], b: tuple[str, str], query: str) -> float:
        return cases[(*a, query)].median / cases[(*b, query)].median

    for query in QUERIES:
        print(
            f"{query}: {large}/{small} {ratio((large, 'late'), (small, 'late'), query):.2f}, "
            f"late/early at {large} {ratio((large, 'late'), (large, 'early'), query):.2f}"
        )
    # The primary figures: the worst of the application's availability queries.
    history = max(ratio((large, "late"), (small, "late"), q) for q in MEASURED)
    late_early = max(ratio((large, "late"), (large, "early"), q) for q in MEASURED)
    print(f"availability-history: {history:.2f} (target <= {TARGET_HISTORY})")
    print(f"availability-late-vs-early: {late_early:.2f} (target <= {TARGET_LATE_EARLY})")


def _dispose(app: Any) -> None:
    from straxlab.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
