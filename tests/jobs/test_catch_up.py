"""A two-day outage: no job ran from Monday 06:00 until Wednesday 09:30. One catch-up run
then queues what still makes sense, once; a second run adds nothing."""

from __future__ import annotations

from datetime import date, timedelta

from straxlab.core import clock
from straxlab.equipment.rules import ReservationStatus
from straxlab.extensions import db
from straxlab.jobs import lending as lending_jobs
from straxlab.jobs import scheduler
from straxlab.jobs.registry import JOBS
from straxlab.mail.models import OutboxMessage
from straxlab.mail.rules import Notice
from tests.jobs.conftest import keys, lab, outbox
from tests.jobs.test_lending import hand_out, reserve
from tests.jobs.test_teams_and_digest import team_with_days

LAST_RUN = lab(2026, 11, 30, 6, 0)  # Monday
BACK = lab(2026, 12, 2, 9, 30)  # Wednesday


def run_everything(app, at):
    # The jobs run in app contexts of their own (as in the scheduler): end this test's
    # transaction first, or on SQLite they would wait for its write lock.
    db.session.commit()
    with clock.frozen(at):
        scheduler.catch_up(app)


def test_a_catch_up_after_two_days_sends_what_still_makes_sense_once(app, people):
    # A loan due last Friday: its notices of Saturday and Sunday went out before the outage.
    late = hand_out(
        reserve(people.borrower, start=lab(2026, 11, 26, 10), end=lab(2026, 11, 27, 16)),
        people.staff,
        lab(2026, 11, 26, 10),
    )
    assert lending_jobs.overdue_notices(lab(2026, 11, 28, 9)) == 1
    assert lending_jobs.overdue_notices(lab(2026, 11, 29, 9)) == 1
    # Approved for Tuesday, never picked up; its reminder window passed during the outage.
    no_show = reserve(people.borrower, start=lab(2026, 12, 1, 10), end=lab(2026, 12, 1, 12))
    # Approved for Wednesday afternoon: its reminder is still worth sending.
    wednesday = reserve(people.borrower, start=lab(2026, 12, 2, 14), end=lab(2026, 12, 2, 16))
    # Handed out on Monday (the desk works without the scheduler), due Tuesday 16:00.
    due_tuesday = hand_out(
        reserve(people.borrower, start=lab(2026, 11, 30, 10), end=lab(2026, 12, 1, 16)),
        people.staff,
        lab(2026, 11, 30, 10),
    )
    # A team whose first design day is Wednesday 10:00.
    _team, days, coordinator, member = team_with_days(people, first_day=date(2026, 12, 2))

    run_everything(app, LAST_RUN)
    before = {row.dedupe_key for row in outbox()}

    run_everything(app, BACK)

    new = {row.dedupe_key: row for row in outbox()}
    added = {key: row for key, row in new.items() if key not in before}
    assert sorted(added) == sorted(
        [
            f"pickup:{wednesday.id}:2026-12-02T13:00:00+00:00",
            f"overdue:{due_tuesday.id}:2026-12-02",
            f"overdue:{late.id}:2026-12-02",
            *(
                f"labday:{days[0].id}:{user.id}:2026-12-02"
                for user in (coordinator, member, people.borrower)
            ),
            *(f"digest:2026-W49:{manager.id}" for manager in (people.manager,)),
        ]
    )
    # Only today's overdue notice (day 5, staff in copy), not Monday's and Tuesday's.
    assert sorted(keys(Notice.OVERDUE)) == sorted(
        [
            f"overdue:{late.id}:2026-11-28",
            f"overdue:{late.id}:2026-11-29",
            f"overdue:{due_tuesday.id}:2026-12-02",
            f"overdue:{late.id}:2026-12-02",
        ]
    )
    assert "It is 5 days overdue." in added[f"overdue:{late.id}:2026-12-02"].body_text
    assert added[f"overdue:{late.id}:2026-12-02"].cc != ""
    assert added[f"overdue:{due_tuesday.id}:2026-12-02"].cc == ""
    # The missed return reminder and the missed pickup reminder are not sent late.
    assert keys(Notice.RETURN_REMINDER) == []
    assert not any(key.startswith(f"pickup:{no_show.id}:") for key in new)
    db.session.expire_all()
    assert no_show.status is ReservationStatus.EXPIRED
    # The outbox job went last and sent what the others queued.
    assert all(row.sent_at is not None for row in added.values())

    # A second catch-up a quarter of an hour later adds nothing.
    count = db.session.query(OutboxMessage).count()
    run_everything(app, BACK + timedelta(minutes=15))
    assert db.session.query(OutboxMessage).count() == count


def test_every_job_run_twice_at_the_same_instant_adds_no_row(app, people):
    hand_out(reserve(people.borrower), people.staff)
    reserve(people.borrower, start=lab(2026, 12, 4, 10), end=lab(2026, 12, 4, 12))
    team_with_days(people, first_day=date(2026, 12, 4))
    db.session.commit()
    for at in (lab(2026, 12, 3, 8), lab(2026, 12, 3, 15), lab(2026, 12, 4, 9)):
        with app.app_context():
            first = [job.function(at) for job in JOBS if job.name != "outbox"]
            rows = db.session.query(OutboxMessage).count()
            second = [job.function(at) for job in JOBS if job.name != "outbox"]
            assert db.session.query(OutboxMessage).count() == rows
        assert any(first), at
        assert not any(second), (at, second)
