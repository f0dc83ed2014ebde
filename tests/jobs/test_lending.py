"""Pickup and return reminders, overdue notices and expiry, run at chosen instants."""

from __future__ import annotations

from datetime import timedelta

import pytest

from straxlab.equipment import reminders
from straxlab.equipment import services as lending
from straxlab.equipment.rules import Interval, ReservationStatus
from straxlab.extensions import db
from straxlab.jobs import lending as jobs
from straxlab.mail.rules import Notice
from tests.factories import make_reservation, make_type, make_user
from tests.jobs.conftest import BASE_URL, keys, lab, opt_out, outbox

MADE = lab(2026, 11, 23)  # Monday a week before
START = lab(2026, 12, 1, 10)  # Tuesday
END = lab(2026, 12, 3, 12)  # Thursday
MINUTE = timedelta(minutes=1)


def reserve(user, *, start=START, end=END, made=MADE, needs_approval=False):
    camera = make_type(name=f"Camera {start:%m%d%H%M}", assets=2, needs_approval=needs_approval)
    reservation = make_reservation(
        user, equipment_type=camera, starts_at=start, ends_at=end, now=made
    )
    db.session.commit()
    return reservation


def hand_out(reservation, staff, at=START):
    lending.check_out(reservation, actor=staff, now=at)
    db.session.commit()
    return reservation


# --- pickup ---------------------------------------------------------------------------------


def test_pickup_reminder_from_15_00_the_day_before_once(people):
    reservation = reserve(people.borrower)

    assert jobs.pickup_reminders(lab(2026, 11, 30, 14, 59)) == 0
    assert jobs.pickup_reminders(lab(2026, 11, 30, 15, 0)) == 1
    assert jobs.pickup_reminders(lab(2026, 11, 30, 15, 0)) == 0
    assert jobs.pickup_reminders(lab(2026, 11, 30, 16, 0)) == 0
    assert jobs.pickup_reminders(START - MINUTE) == 0

    (row,) = outbox(Notice.PICKUP_REMINDER)
    assert row.dedupe_key == f"pickup:{reservation.id}:2026-12-01T09:00:00+00:00"
    assert row.recipient_id == people.borrower.id
    assert row.to_address == "anna@school.example"
    assert row.cc == ""
    assert row.subject == f"Reminder: pick up {reservation.title} on Tue 1 Dec, 10:00"
    assert "Pick up: Tuesday 1 December, 10:00" in row.body_text
    assert "Return by: Thursday 3 December, 12:00" in row.body_text
    assert f"{BASE_URL}/reservations/{reservation.id}" in row.body_text
    assert f'href="{BASE_URL}/reservations/{reservation.id}"' in row.body_html


def test_a_reservation_made_after_15_00_is_reminded_at_once_but_not_after_its_start(people):
    late = reserve(people.borrower, start=lab(2026, 12, 1, 9), made=lab(2026, 11, 30, 16, 30))
    assert jobs.pickup_reminders(lab(2026, 11, 30, 16, 31)) == 1
    missed = reserve(
        people.borrower,
        start=lab(2026, 12, 2, 9),
        end=lab(2026, 12, 2, 12),
        made=lab(2026, 11, 30, 16, 30),
    )
    # The job did not run between 15:00 and the start: afterwards a reminder is pointless.
    assert jobs.pickup_reminders(lab(2026, 12, 2, 9, 0)) == 0
    assert keys(Notice.PICKUP_REMINDER) == [f"pickup:{late.id}:2026-12-01T08:00:00+00:00"]
    assert missed.id != late.id


def test_pending_and_cancelled_reservations_are_not_reminded(people):
    pending = reserve(people.borrower, needs_approval=True)
    cancelled = reserve(people.borrower, start=lab(2026, 12, 1, 11))
    lending.cancel_reservation(cancelled, actor=people.borrower, now=MADE)
    db.session.commit()
    assert pending.status is ReservationStatus.PENDING
    assert jobs.pickup_reminders(lab(2026, 11, 30, 15)) == 0


def test_a_moved_reservation_gets_a_fresh_reminder(people):
    reservation = reserve(people.borrower)
    assert jobs.pickup_reminders(lab(2026, 11, 30, 15)) == 1
    lending.change_reservation(
        reservation,
        actor=people.borrower,
        period=Interval(lab(2026, 12, 2, 10), lab(2026, 12, 3, 12)),
        quantity=1,
        purpose=reservation.purpose,
        now=lab(2026, 11, 30, 16),
    )
    db.session.commit()
    assert jobs.pickup_reminders(lab(2026, 11, 30, 17)) == 0
    assert jobs.pickup_reminders(lab(2026, 12, 1, 15)) == 1
    assert keys(Notice.PICKUP_REMINDER) == [
        f"pickup:{reservation.id}:2026-12-01T09:00:00+00:00",
        f"pickup:{reservation.id}:2026-12-02T09:00:00+00:00",
    ]


def test_opt_out_and_inactive_borrowers_get_no_reminder(people):
    reserve(people.borrower)
    reserve(people.staff, start=lab(2026, 12, 1, 11))
    opt_out(people.borrower, Notice.PICKUP_REMINDER)
    people.staff.is_active = False
    db.session.commit()
    assert jobs.pickup_reminders(lab(2026, 11, 30, 15)) == 0
    assert outbox(Notice.PICKUP_REMINDER) == []


@pytest.mark.parametrize(
    ("start", "just_before", "from_"),
    [
        # Spring: Sunday 29 March 2026 15:00 CEST is 13:00 UTC.
        (lab(2026, 3, 30, 9), lab(2026, 3, 29, 14, 59), lab(2026, 3, 29, 15)),
        # Autumn: Sunday 25 October 2026 15:00 CET is 14:00 UTC.
        (lab(2026, 10, 26, 9), lab(2026, 10, 25, 14, 59), lab(2026, 10, 25, 15)),
    ],
)
def test_pickup_reminder_in_the_dst_weeks(people, start, just_before, from_):
    reserve(
        people.borrower, start=start, end=start + timedelta(hours=3), made=start - timedelta(days=9)
    )
    assert jobs.pickup_reminders(just_before) == 0
    assert jobs.pickup_reminders(from_) == 1
    assert jobs.pickup_reminders(from_ + timedelta(hours=1)) == 0


# --- return ---------------------------------------------------------------------------------


def test_return_reminder_from_08_00_on_the_due_day_once(people):
    reservation = hand_out(reserve(people.borrower), people.staff)

    assert jobs.return_reminders(lab(2026, 12, 2, 15)) == 0
    assert jobs.return_reminders(lab(2026, 12, 3, 7, 59)) == 0
    assert jobs.return_reminders(lab(2026, 12, 3, 8, 0)) == 1
    assert jobs.return_reminders(lab(2026, 12, 3, 11, 0)) == 0

    (row,) = outbox(Notice.RETURN_REMINDER)
    assert row.dedupe_key == f"return:{reservation.id}:2026-12-03T11:00:00+00:00"
    assert row.subject == f"Reminder: return {reservation.title} today by 12:00"
    assert "Return by: Thursday 3 December, 12:00" in row.body_text


def test_no_return_reminder_for_gear_never_picked_up_or_already_back(people):
    reserve(people.borrower)  # approved, never handed out
    back = hand_out(
        reserve(people.borrower, start=lab(2026, 12, 1, 11)), people.staff, lab(2026, 12, 1, 11)
    )
    lending.take_back(
        back,
        actor=people.staff,
        now=lab(2026, 12, 2, 10),
        asset_ids=[item.asset_id for item in back.items],
    )
    db.session.commit()
    assert jobs.return_reminders(lab(2026, 12, 3, 8)) == 0


# --- overdue --------------------------------------------------------------------------------


def test_overdue_notice_once_a_day_staff_in_copy_from_the_second_day(people):
    reservation = hand_out(reserve(people.borrower), people.staff)

    assert jobs.overdue_notices(END + MINUTE) == 0  # the due day itself
    assert jobs.overdue_notices(lab(2026, 12, 4, 8, 59)) == 0
    assert jobs.overdue_notices(lab(2026, 12, 4, 9, 0)) == 1
    assert jobs.overdue_notices(lab(2026, 12, 4, 9, 0)) == 0
    assert jobs.overdue_notices(lab(2026, 12, 4, 17, 0)) == 0
    assert jobs.overdue_notices(lab(2026, 12, 5, 9, 0)) == 1

    first, second = outbox(Notice.OVERDUE)
    assert first.dedupe_key == f"overdue:{reservation.id}:2026-12-04"
    assert first.to_address == "anna@school.example"
    assert first.cc == ""
    assert first.subject == f"Overdue: please return {reservation.title}"
    assert "It is 1 day overdue." in first.body_text
    assert "Lab staff receive a copy" not in first.body_text
    assert second.dedupe_key == f"overdue:{reservation.id}:2026-12-05"
    assert second.cc == "balie2@school.example, balie@school.example"
    assert "It is 2 days overdue." in second.body_text
    assert "Lab staff receive a copy of this message." in second.body_text


def test_overdue_copies_only_active_lending_staff(people):
    people.other_staff.is_active = False
    db.session.commit()
    hand_out(reserve(people.borrower), people.staff)
    assert jobs.overdue_notices(lab(2026, 12, 5, 9)) == 1
    (row,) = outbox(Notice.OVERDUE)
    # Managers do not run the desk; the inactive colleague gets nothing.
    assert row.cc == "balie@school.example"


def test_returned_gear_gets_no_more_notices(people):
    reservation = hand_out(reserve(people.borrower), people.staff)
    assert jobs.overdue_notices(lab(2026, 12, 4, 9)) == 1
    lending.take_back(
        reservation,
        actor=people.staff,
        now=lab(2026, 12, 4, 11),
        asset_ids=[item.asset_id for item in reservation.items],
    )
    db.session.commit()
    assert jobs.overdue_notices(lab(2026, 12, 5, 9)) == 0
    assert len(outbox(Notice.OVERDUE)) == 1


def test_overdue_opt_out_is_respected(people):
    hand_out(reserve(people.borrower), people.staff)
    opt_out(people.borrower, Notice.OVERDUE)
    # The first day late only the borrower would hear of it: nobody is told.
    assert jobs.overdue_notices(lab(2026, 12, 4, 9)) == 0
    assert outbox(Notice.OVERDUE) == []


def staff_rows():
    return [row for row in outbox(Notice.OVERDUE) if row.dedupe_key.startswith("overdue-staff:")]


def test_staff_hear_of_a_late_loan_whose_borrower_turned_overdue_mail_off(people):
    people.other_staff.locale = "en"
    reservation = hand_out(reserve(people.borrower), people.staff)
    opt_out(people.borrower, Notice.OVERDUE)

    assert jobs.overdue_notices(lab(2026, 12, 5, 9)) == 2

    rows = outbox(Notice.OVERDUE)
    assert [row.to_address for row in rows] == ["balie2@school.example", "balie@school.example"]
    assert [row.dedupe_key for row in rows] == [
        f"overdue-staff:{reservation.id}:2026-12-05:{people.other_staff.id}",
        f"overdue-staff:{reservation.id}:2026-12-05:{people.staff.id}",
    ]
    assert [row.recipient_id for row in rows] == [people.other_staff.id, people.staff.id]
    english, dutch = rows
    assert english.cc == ""
    assert english.subject == f"Overdue: Anna de Vries has not returned {reservation.title}"
    assert "Hello Sanne," in english.body_text
    assert "Anna de Vries borrowed " in english.body_text
    assert "due back on Thursday 3 December, 12:00" in english.body_text
    assert "It is 2 days overdue." in english.body_text
    assert "anna@school.example" in english.body_text
    assert f"{BASE_URL}/reservations/{reservation.id}" in english.body_text
    assert f'href="{BASE_URL}/reservations/{reservation.id}"' in english.body_html
    # Each member of staff in their own language (Joost reads Dutch).
    assert "Anna de Vries" in dutch.subject
    assert "Hallo Joost," in dutch.body_text
    assert "Het is nu 2 dagen te laat." in dutch.body_text


def test_staff_hear_of_a_late_loan_whose_borrower_is_inactive(people):
    reservation = hand_out(reserve(people.borrower), people.staff)
    people.borrower.is_active = False
    db.session.commit()

    assert jobs.overdue_notices(lab(2026, 12, 6, 9)) == 2
    assert keys(Notice.OVERDUE) == [
        f"overdue-staff:{reservation.id}:2026-12-06:{people.other_staff.id}",
        f"overdue-staff:{reservation.id}:2026-12-06:{people.staff.id}",
    ]
    assert [row.to_address for row in staff_rows()] == [
        "balie2@school.example",
        "balie@school.example",
    ]
    assert all(row.cc == "" for row in staff_rows())


def test_a_borrower_who_gets_mail_gets_one_message_with_staff_in_copy(people):
    reservation = hand_out(reserve(people.borrower), people.staff)
    assert jobs.overdue_notices(lab(2026, 12, 5, 9)) == 1
    (row,) = outbox(Notice.OVERDUE)
    assert row.dedupe_key == f"overdue:{reservation.id}:2026-12-05"
    assert row.cc == "balie2@school.example, balie@school.example"
    assert staff_rows() == []


def test_staff_messages_are_added_once_however_often_the_job_runs(people):
    opted_out = hand_out(reserve(people.borrower), people.staff)
    opt_out(people.borrower, Notice.OVERDUE)
    colleague = make_user(email="carla@school.example", locale="en")
    db.session.commit()
    mailed = hand_out(reserve(colleague, start=lab(2026, 12, 1, 11)), people.staff)

    assert jobs.overdue_notices(lab(2026, 12, 5, 9)) == 3
    assert jobs.overdue_notices(lab(2026, 12, 5, 9)) == 0
    assert jobs.overdue_notices(lab(2026, 12, 5, 15)) == 0
    assert sorted(keys(Notice.OVERDUE)) == sorted(
        [
            f"overdue:{mailed.id}:2026-12-05",
            f"overdue-staff:{opted_out.id}:2026-12-05:{people.staff.id}",
            f"overdue-staff:{opted_out.id}:2026-12-05:{people.other_staff.id}",
        ]
    )
    # The next day brings the next day's messages, once.
    assert jobs.overdue_notices(lab(2026, 12, 6, 9)) == 3
    assert jobs.overdue_notices(lab(2026, 12, 6, 9, 30)) == 0
    assert len(outbox(Notice.OVERDUE)) == 6


def test_no_staff_message_when_the_borrowers_message_was_queued_before(people):
    """A refused message is a duplicate, not an opt-out: staff were in copy already."""
    reservation = hand_out(reserve(people.borrower), people.staff)
    assert jobs.overdue_notices(lab(2026, 12, 5, 9)) == 1
    # Another run raced this one: it sees the key as new, but the outbox refuses it.
    added = reminders.overdue_notice(
        reservation,
        key=f"overdue:{reservation.id}:2026-12-05",
        day=lab(2026, 12, 5, 9).date(),
        days_late=2,
        staff=reminders.lending_staff(),
        now=lab(2026, 12, 5, 9, 1),
    )
    db.session.commit()
    assert added == 0
    assert keys(Notice.OVERDUE) == [f"overdue:{reservation.id}:2026-12-05"]


def test_a_borrower_on_the_staff_is_not_told_of_their_own_loan(people):
    reservation = hand_out(reserve(people.staff), people.other_staff)
    opt_out(people.staff, Notice.OVERDUE)
    assert jobs.overdue_notices(lab(2026, 12, 5, 9)) == 1
    assert keys(Notice.OVERDUE) == [
        f"overdue-staff:{reservation.id}:2026-12-05:{people.other_staff.id}"
    ]


# --- expiry ---------------------------------------------------------------------------------


def test_expire_stale_expires_pending_requests_whose_start_passed(people):
    pending = reserve(people.borrower, needs_approval=True)
    assert jobs.expire_stale(START - MINUTE) == 0
    assert jobs.expire_stale(START) == 1
    assert jobs.expire_stale(START + MINUTE) == 0
    db.session.expire_all()
    assert pending.status is ReservationStatus.EXPIRED
