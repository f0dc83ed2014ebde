"""What does the whole reservation cost, next to the cheapest write the stack can do?

Throughput of ``services.request_reservation`` (load the requester and the type, the rules,
lock, overlap check, allocation, insert of the reservation, its item and the audit event,
commit) against a bare insert of one ``AuditEvent`` row with its own commit, through the same
app, engine and session. Both run one operation per transaction, and the session is removed
after each, as at the end of a request. Rounds alternate between the two; each figure is the
median over the rounds. The last line is ``reserve: <ratio> (target >= 0.5)``: reservations
per second divided by bare inserts per second. For comparison it also times writing the same
three rows a reservation writes (reservation, item, audit event) without any check, and
prints how many statements each kind of operation runs.

The catalogue is 40 types of 20 assets and 200 teachers; reservation ``i`` asks for one asset
of type ``i mod 40`` from 10:00 to 14:00 on a weekday, moving to the next weekday once every
asset is taken, so every request is granted. ``--history N`` first loads N past reservations
(as benchmarks/availability.py does) to show that the history does not matter.

    .venv/bin/python benchmarks/reserve.py
    .venv/bin/python benchmarks/reserve.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import _common as common
import sqlalchemy as sa

TARGET = 0.5
ZONE = ZoneInfo("Europe/Amsterdam")


def weekdays_from(start: datetime) -> list[datetime]:
    """10:00 in the lab on the weekdays from ``start``'s day on (the next 300 of them)."""
    day = start.astimezone(ZONE).date()
    found = []
    while len(found) < 300:
        day += timedelta(days=1)
        if day.isoweekday() <= 5:
            found.append(datetime(day.year, day.month, day.day, 10, 0, tzinfo=ZONE))
    return found


def main() -> None:
    p = common.parser(__doc__.split("\n\n")[0])
    p.add_argument("--operations", type=int, default=100, help="operations per kind per round")
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--history", type=int, default=0, help="past reservations to load first")
    p.add_argument("--verbose", action="store_true", help="print every round")
    args = p.parse_args()

    from straxlab.auth.models import User
    from straxlab.core.audit import AuditEvent
    from straxlab.equipment import services
    from straxlab.equipment.models import EquipmentType, Reservation, ReservationItem
    from straxlab.equipment.rules import Interval, ReservationStatus
    from straxlab.extensions import db

    print(f"# {common.describe_machine()}")
    with common.scratch_database(args.database_url, "reserve") as url:
        print(f"# {common.describe_database(url)}")
        catalogue = common.seed_catalogue(url, max_advance_days=3650)
        if args.history:
            import availability

            now = datetime.now(UTC).replace(second=0, microsecond=0)
            _, generated = availability.loans(catalogue, args.history, now)
            written = availability.load(url, catalogue, generated)
            print(f"loaded {written} reservations of history")
        app = common.make_app(url)
        per_day = len(catalogue.type_ids) * common.ASSETS_PER_TYPE
        mornings = weekdays_from(datetime.now(UTC) + timedelta(days=1))
        counter = {"reserve": 0, "insert": 0, "rows": 0}
        all_assets = [(a, t) for t in catalogue.type_ids for a in catalogue.assets[t]]
        far = datetime(2090, 1, 2, 9, 0, tzinfo=UTC)

        def reserve_once() -> None:
            i = counter["reserve"]
            counter["reserve"] += 1
            start = mornings[i // per_day]
            teacher = db.session.get(User, catalogue.teacher_ids[i % len(catalogue.teacher_ids)])
            kind = db.session.get(EquipmentType, catalogue.type_ids[i % len(catalogue.type_ids)])
            reservation = services.request_reservation(
                teacher,
                actor=teacher,
                period=Interval(start, start + timedelta(hours=4)),
                quantity=1,
                purpose="Benchmark",
                now=datetime.now(UTC),
                equipment_type=kind,
            )
            assert reservation.status is ReservationStatus.APPROVED
            db.session.commit()
            db.session.remove()

        def insert_once() -> None:
            counter["insert"] += 1
            db.session.add(
                AuditEvent(
                    at=datetime.now(UTC),
                    actor_id=None,
                    action="benchmark.insert",
                    object_type="benchmark",
                    object_id=counter["insert"],
                    details={},
                )
            )
            db.session.commit()
            db.session.remove()

        def rows_once() -> None:
            # For comparison only: the same three rows a reservation writes, with no checks.
            i = counter["rows"]
            counter["rows"] += 1
            start = far + timedelta(hours=5 * (i // len(all_assets)))
            teacher_id = catalogue.teacher_ids[i % len(catalogue.teacher_ids)]
            asset_id, type_id = all_assets[i % len(all_assets)]
            now = datetime.now(UTC)
            reservation = Reservation(
                requester_id=teacher_id,
                equipment_type_id=type_id,
                quantity=1,
                purpose="Benchmark",
                starts_at=start,
                ends_at=start + timedelta(hours=4),
                status=ReservationStatus.APPROVED,
                created_at=now,
                created_by_id=teacher_id,
                updated_at=now,
            )
            reservation.items.append(
                ReservationItem(
                    asset_id=asset_id, starts_at=start, blocked_until=start + timedelta(hours=4)
                )
            )
            db.session.add(reservation)
            db.session.flush()
            db.session.add(
                AuditEvent(
                    at=now,
                    actor_id=teacher_id,
                    action="reservation.requested",
                    object_type="reservation",
                    object_id=reservation.id,
                    details={},
                )
            )
            db.session.commit()
            db.session.remove()

        def throughput(action: Callable[[], None], n: int) -> float:
            started = time.perf_counter()
            for _ in range(n):
                action()
            return n / (time.perf_counter() - started)

        def statements(action: Callable[[], None]) -> list[str]:
            seen: list[str] = []

            def listener(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
                seen.append(statement.split(None, 1)[0].upper())

            sa.event.listen(db.engine, "before_cursor_execute", listener)
            try:
                action()
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", listener)
            return seen

        rates: dict[str, list[float]] = {"reserve": [], "insert": [], "rows": []}
        with app.app_context():
            throughput(insert_once, 20)  # warm up every path
            throughput(reserve_once, 20)
            throughput(rows_once, 20)
            kinds_of_work = (
                ("bare insert", insert_once),
                ("reservation", reserve_once),
                ("unchecked write of its rows", rows_once),
            )
            for name, action in kinds_of_work:
                seen = statements(action)
                kinds = ", ".join(f"{seen.count(k)} {k}" for k in dict.fromkeys(seen))
                print(f"statements per {name}: {len(seen)} ({kinds}), plus the commit")
            for round_ in range(1, args.rounds + 1):
                rates["insert"].append(throughput(insert_once, args.operations))
                rates["reserve"].append(throughput(reserve_once, args.operations))
                rates["rows"].append(throughput(rows_once, args.operations))
                if args.verbose:
                    print(
                        f"round {round_}: bare insert {rates['insert'][-1]:.0f}/s, "
                        f"request_reservation {rates['reserve'][-1]:.0f}/s",
                        flush=True,
                    )
            db.engine.dispose()
        insert_rate = statistics.median(rates["insert"])
        reserve_rate = statistics.median(rates["reserve"])
        rows_rate = statistics.median(rates["rows"])
        print(
            f"median of {args.rounds} rounds of {args.operations}: "
            f"bare insert {insert_rate:.0f}/s ({1000 / insert_rate:.2f} ms each), "
            f"request_reservation {reserve_rate:.0f}/s ({1000 / reserve_rate:.2f} ms each)"
        )
        print(
            f"for comparison: the same rows written without any check {rows_rate:.0f}/s "
            f"({1000 / rows_rate:.2f} ms each); the checks and allocation leave "
            f"{reserve_rate / rows_rate:.2f} of that rate"
        )
        print(f"reserve: {reserve_rate / insert_rate:.2f} (target >= {TARGET})")


if __name__ == "__main__":
    main()
