"""How much does a calendar feed cost beyond the icalendar library's own serialisation?

Times the lab feed of 500 events (400 reservations of every status, some of kits, and 100
design days of 10 teams) the way the subscription view makes it, without HTTP: the token
lookup (``feeds.services.user_for_token``), the feed (``feeds.services.lab``: the queries, the
texts in the owner's language, the components, ``to_ical()``) and the ETag. Against it: the
icalendar library serialising the same 500 events alone (``Calendar.to_ical()`` of the feed
parsed back, which the script checks gives the same bytes). Each figure is the median of
``--repeat`` samples after three warm-up runs, the two alternating so that a busy moment on
the machine falls on both; the session is emptied before every feed, as a new request finds
it. The last line is ``feed-render: <feed / library alone> (target <= 1.5) PASS|FAIL``; the
script never fails on the target.

    .venv/bin/python benchmarks/feed_render.py
    .venv/bin/python benchmarks/feed_render.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

import _common as common
import sqlalchemy as sa

TARGET = 1.5
ZONE = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=ZONE).astimezone(UTC)
TEAMS = 10


def local(day: date, hour: int) -> datetime:
    return datetime.combine(day, clock_time(hour), tzinfo=ZONE).astimezone(UTC)


def seed(url: str, reservations: int, design_days: int) -> str:
    """The lab's data; returns the staff member's feed token."""
    from straxlab.auth import passwords
    from straxlab.auth.models import User
    from straxlab.auth.rules import Role
    from straxlab.design_teams.models import DesignDay, DesignTeam, Programme
    from straxlab.design_teams.rules import DesignDayStatus, ProgrammeStatus
    from straxlab.equipment.models import Kit, KitComponent, Reservation
    from straxlab.equipment.rules import ReservationStatus
    from straxlab.extensions import db
    from straxlab.feeds import services
    from straxlab.lab_calendar.models import LabDay

    catalogue = common.seed_catalogue(url, teachers=50)
    app = common.make_app(url)
    with app.app_context():
        staff = User(
            email="staff@bench.example",
            name="Lab Staff",
            role=Role.STAFF,
            locale="nl",
            password_hash=passwords.hash_password("benchmark password, never used"),
            created_at=NOW,
        )
        db.session.add(staff)
        kit = Kit(name="Drone kit")
        kit.components = [
            KitComponent(equipment_type_id=catalogue.type_ids[0], quantity=1),
            KitComponent(equipment_type_id=catalogue.type_ids[1], quantity=2),
        ]
        db.session.add(kit)
        db.session.flush()
        statuses = list(ReservationStatus)
        first = NOW.astimezone(ZONE).date() - timedelta(days=25)
        for n in range(reservations):
            day = first + timedelta(days=n % 300)
            starts = local(day, 9 + n % 6)
            is_kit = n % 10 == 0
            db.session.add(
                Reservation(
                    requester_id=catalogue.teacher_ids[n % len(catalogue.teacher_ids)],
                    equipment_type_id=None if is_kit else catalogue.type_ids[n % 40],
                    kit_id=kit.id if is_kit else None,
                    quantity=1 + n % 3,
                    purpose=f"Les {n}: vlogs maken met klas {n % 12 + 1}B over het thema zorg",
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=3 + n % 20),
                    status=statuses[n % len(statuses)],
                    created_at=NOW - timedelta(days=40),
                    updated_at=NOW - timedelta(days=40) + timedelta(minutes=n),
                    sequence=n % 4,
                )
            )
        days_per_team = design_days // TEAMS
        lab_days: set[date] = set()
        for t in range(TEAMS):
            team = DesignTeam(
                name=f"Ontwerpteam {t + 1}",
                theme="Lesmateriaal met VR-brillen voor de zorgopleiding",
                department="Zorg en Welzijn",
                coordinator_id=catalogue.teacher_ids[t],
                created_at=NOW - timedelta(days=60),
            )
            db.session.add(team)
            db.session.flush()
            start_day = first + timedelta(days=t % 5)
            programme = Programme(
                team_id=team.id,
                weekday=start_day.isoweekday(),
                starts_at=clock_time(9),
                ends_at=clock_time(16),
                first_day=start_day,
                day_count=days_per_team,
                status=ProgrammeStatus.APPROVED,
                requested_by_id=team.coordinator_id,
                requested_at=NOW - timedelta(days=50),
            )
            db.session.add(programme)
            db.session.flush()
            for week in range(days_per_team):
                day = start_day + timedelta(weeks=week)
                if day not in lab_days:
                    lab_days.add(day)
                    db.session.add(LabDay(day=day))
                    db.session.flush()
                db.session.add(
                    DesignDay(
                        programme_id=programme.id,
                        team_id=team.id,
                        day=day,
                        starts_at=local(day, 9),
                        ends_at=local(day, 16),
                        status=(
                            DesignDayStatus.CANCELLED
                            if week % 9 == 8
                            else DesignDayStatus.HELD
                            if day < NOW.date()
                            else DesignDayStatus.SCHEDULED
                        ),
                        sequence=week % 3,
                        updated_at=NOW - timedelta(days=50),
                    )
                )
        token = services.issue_token(staff, now=NOW)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return token


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def main() -> None:
    p = common.parser(__doc__.split("\n\n")[0])
    p.add_argument("--reservations", type=int, default=400)
    p.add_argument("--design-days", type=int, default=100)
    p.add_argument("--repeat", type=int, default=25, help="timed samples of each (median)")
    args = p.parse_args()
    print(f"# {common.describe_machine()}")

    import icalendar

    from straxlab.extensions import db
    from straxlab.feeds import rules, services

    wanted = args.reservations + args.design_days
    with common.scratch_database(args.database_url, "feeds") as url:
        print(f"# {common.describe_database(url)}")
        token = seed(url, args.reservations, args.design_days)
        app = common.make_app(url)
        with app.app_context():

            def render() -> bytes:
                # What the view does for GET /calendar/<token>/lab.ics, without HTTP.
                db.session.remove()
                owner = services.user_for_token(token)
                assert owner is not None and services.may_read_lab(owner)
                body = services.lab(owner, now=NOW)
                rules.etag(body)
                db.session.rollback()
                return body

            body = render()
            prebuilt = icalendar.Calendar.from_ical(body)
            events = len(prebuilt.walk("VEVENT"))
            if events != wanted:
                raise SystemExit(f"the feed holds {events} events, not {wanted}")
            if prebuilt.to_ical() != body:
                raise SystemExit("the parsed feed does not serialise to the same bytes")

            statements: list[str] = []

            def count(*parts: Any) -> None:
                statements.append(parts[2])

            sa.event.listen(db.engine, "before_cursor_execute", count)
            render()
            sa.event.remove(db.engine, "before_cursor_execute", count)
            queries = [s for s in statements if not s.startswith("BEGIN")]

            timings: dict[str, list[float]] = {"feed": [], "library": []}
            actions: dict[str, Callable[[], Any]] = {"feed": render, "library": prebuilt.to_ical}
            for action in actions.values():
                for _ in range(3):
                    action()
            for _ in range(args.repeat):
                for name, action in actions.items():
                    gc.collect()
                    started = time.perf_counter()
                    action()
                    timings[name].append(time.perf_counter() - started)
            db.session.remove()
            db.engine.dispose()

    feed, library = median(timings["feed"]), median(timings["library"])
    print(
        f"{events} events, {len(body)} bytes, {len(queries)} SQL statements per feed "
        f"(the token's user, the reservations, the design days)"
    )
    print(f"feed (token, queries, texts, components, to_ical, ETag): {common.ms(feed)} median")
    print(f"library alone (to_ical of the same events):             {common.ms(library)} median")
    extra = feed - library
    print(f"beyond the library: {common.ms(extra)} ({common.ms(extra / events)} per event)")
    ratio = feed / library
    verdict = "PASS" if ratio <= TARGET else "FAIL"
    print(f"feed-render: {ratio:.2f} (target <= {TARGET:g}) {verdict}")


if __name__ == "__main__":
    main()
