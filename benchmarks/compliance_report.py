"""Does the full compliance report grow linearly (or better) with the number of teams?

Times the whole report a manager downloads: ``reports.build_report`` (the teams with design
days in the period, ``assess_teams`` and the period's figures) plus the CSV
(``reports.to_csv``), the workbook (``reports.to_xlsx``) and the printable page
(``report_views.print_page``), for 20 teams and for 200 teams, each in a database of its own
with the same shape per team: 20 weekly design days (all held), 6 members with attendance
(every fourth team has a member who misses every other day), a plan (approved, submitted,
draft or returned), two milestones, two progress entries, a lesson scenario and 12 weekly
snapshots. The data comes from the test suite's bulk builder
(``tests/compliance/bulk.bulk_teams``).

Each figure is the best of ``--repeat`` samples after one warm-up, the session emptied and
garbage collected before every report (as a new request would find it). Samples alternate
between the two databases, and a sample of the small one makes its report ten times in a row
(the time per report is kept), so samples of both sizes last about as long: on a busy
machine a one-second sample is nearly always interrupted while a 0.1 s one often is not,
which would otherwise make the large database look slower per team than it is. Prints the
time per part and per team, the SQL statements per report (the same for both sizes), and on
its last line
``compliance-report: <200 teams / 20 teams> (target <= 12) PASS|FAIL``: at most 12 means
linear or better (10x the teams in at most 12x the time).

    .venv/bin/python benchmarks/compliance_report.py
    .venv/bin/python benchmarks/compliance_report.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import _common as common
import sqlalchemy as sa

TARGET = 12.0
ZONE = ZoneInfo("Europe/Amsterdam")
# A Wednesday; the programme's 20 lab days lie in the 20 weeks before it.
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=ZONE).astimezone(UTC)
PARTS = ("build_report", "csv", "xlsx", "print")


class Case:
    """One database of ``teams`` teams and the timings of its report."""

    def __init__(self, url: str, teams: int, days: int, members: int) -> None:
        self.teams = teams
        self.app = common.make_app(url)
        self.best: dict[str, float] = {}
        self.statements = 0
        with self.app.app_context():
            from straxlab.extensions import db
            from tests.compliance.bulk import bulk_teams

            started = time.perf_counter()
            bulk_teams(teams, now=NOW, days=days, members=members, weeks_back=days)
            self.load_seconds = time.perf_counter() - started
            self.rows = {
                table: db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))
                for table in ("design_team", "design_day", "attendance", "milestone")
            }
            db.session.remove()
        today = NOW.astimezone(ZONE).date()
        self.start, self.end = today - timedelta(weeks=days + 2), today

    def run_once(self) -> dict[str, float]:
        from straxlab.compliance import reports
        from straxlab.compliance.report_views import print_page
        from straxlab.extensions import db

        times: dict[str, float] = {}
        with self.app.test_request_context():
            db.session.remove()

            def timed(name: str, action: Callable[[], Any]) -> Any:
                started = time.perf_counter()
                result = action()
                times[name] = time.perf_counter() - started
                return result

            report = timed(
                "build_report", lambda: reports.build_report(self.start, self.end, "", NOW)
            )
            if len(report.rows) != self.teams:
                raise SystemExit(f"the report holds {len(report.rows)} teams, not {self.teams}")
            timed("csv", lambda: reports.to_csv(report, ";"))
            timed("xlsx", lambda: reports.to_xlsx(report))
            timed("print", lambda: print_page(report))
            db.session.rollback()
        times["total"] = sum(times[part] for part in PARTS)
        return times

    def count_statements(self) -> None:
        from straxlab.extensions import db

        seen: list[str] = []

        def before(*args: Any) -> None:
            seen.append(args[2])

        with self.app.app_context():
            sa.event.listen(db.engine, "before_cursor_execute", before)
            try:
                self.run_once()
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", before)
        self.statements = len(seen)

    def warm_up(self) -> None:
        self.run_once()  # templates compiled, caches filled
        self.count_statements()

    def timed_run(self, loops: int) -> None:
        """One sample: ``loops`` reports in a row, the time per report kept if best."""
        sums: dict[str, float] = {}
        for _ in range(loops):
            # Garbage left by the previous report is not this report's cost.
            gc.collect()
            for name, seconds in self.run_once().items():
                sums[name] = sums.get(name, 0.0) + seconds
        for name, seconds in sums.items():
            self.best[name] = min(self.best.get(name, seconds / loops), seconds / loops)

    def dispose(self) -> None:
        from straxlab.extensions import db

        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


def main() -> None:
    p = common.parser(__doc__.split("\n\n")[0])
    p.add_argument("--small", type=int, default=20, help="teams in the small database")
    p.add_argument("--large", type=int, default=200, help="teams in the large database")
    p.add_argument("--days", type=int, default=20, help="design days per team")
    p.add_argument("--members", type=int, default=6, help="members per team")
    p.add_argument("--repeat", type=int, default=7, help="timed runs per size (best of)")
    args = p.parse_args()
    print(f"# {common.describe_machine()}")
    cases: list[Case] = []
    with contextlib.ExitStack() as stack:
        for teams in (args.small, args.large):
            url = stack.enter_context(common.scratch_database(args.database_url, f"report{teams}"))
            if not cases:
                print(f"# {common.describe_database(url)}")
            case = Case(url, teams, args.days, args.members)
            stack.callback(case.dispose)
            print(f"{teams} teams: loaded {case.rows} in {case.load_seconds:.1f} s", flush=True)
            case.warm_up()
            cases.append(case)
        # Interleaved, so that a busy moment on the machine falls on both sizes alike; a
        # sample of the small database makes its report ten times in a row, so that samples
        # of both sizes last about as long and a loaded machine interrupts them alike.
        for _ in range(args.repeat):
            for case in cases:
                case.timed_run(loops=max(1, args.large // case.teams))
    for case in cases:
        parts = ", ".join(f"{part} {common.ms(case.best[part])}" for part in PARTS)
        print(
            f"{case.teams} teams: total {common.ms(case.best['total'])} "
            f"({common.ms(case.best['total'] / case.teams)} per team; {parts}); "
            f"{case.statements} SQL statements"
        )
    small, large = cases
    for part in (*PARTS, "total"):
        print(f"{part}: {large.teams}/{small.teams} {large.best[part] / small.best[part]:.2f}")
    ratio = large.best["total"] / small.best["total"]
    verdict = "PASS" if ratio <= TARGET else "FAIL"
    print(f"compliance-report: {ratio:.2f} (target <= {TARGET:g}) {verdict}")


if __name__ == "__main__":
    main()
