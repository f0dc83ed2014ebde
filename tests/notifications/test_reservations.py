"""Mail to borrowers: a request approved or rejected, a reservation changed or cancelled by
staff. Written to the outbox by the real service calls, in the borrower's language."""

from __future__ import annotations

from datetime import timedelta

import pytest

from straxlab.equipment import notifications, services
from straxlab.equipment.rules import Interval, ReservationStatus
from straxlab.mail import services as mail
from straxlab.mail.rules import Notice
from tests.factories import make_reservation, make_type, make_user
from tests.notifications.conftest import BASE_URL, NOW, lab, only, outbox

pytestmark = pytest.mark.usefixtures("frozen")

DECIDED = Notice.RESERVATION_DECIDED.value
CHANGED = Notice.RESERVATION_CHANGED.value


@pytest.fixture
def teacher():
    return make_user(locale="en", name="Tess Teacher", email="tess@school.example")


@pytest.fixture
def staff():
    return make_user(role="staff", locale="en", name="Sam Staff")


@pytest.fixture
def recorders():
    return make_type(name="Zoom H5", assets=4, needs_approval=True)


def request(user, equipment_type, *, quantity=2, day=1, **kwargs):
    """A pending request for Tuesday 1 December 2026 (or ``day``), 09:00-12:00."""
    return make_reservation(
        user,
        equipment_type=equipment_type,
        quantity=quantity,
        starts_at=lab(2026, 12, day, 9),
        ends_at=lab(2026, 12, day, 12),
        now=NOW,
        **kwargs,
    )


def link(reservation):
    return f"{BASE_URL}/reservations/{reservation.id}"


# --- approved / rejected ----------------------------------------------------------------


def test_approval_mails_the_requester_with_the_note_and_a_link(teacher, staff, recorders):
    reservation = request(teacher, recorders)
    assert outbox() == []  # asking sends nothing

    services.approve(reservation, actor=staff, now=NOW, note="Batteries are in the case.")

    message = only(DECIDED)
    assert message.recipient_id == teacher.id
    assert message.to_address == "tess@school.example"
    assert message.subject == "Reservation approved: 2 × Zoom H5, Tue 1 Dec 09:00–12:00"
    assert message.dedupe_key == f"reservation:{reservation.id}:approved:{reservation.sequence}"
    assert message.created_at == NOW and message.sent_at is None
    text = message.body_text
    assert text.startswith("Hello Tess Teacher,")
    assert "Lab staff approved your reservation." in text
    assert "When: Tue 1 Dec 09:00–12:00" in text
    assert "Batteries are in the case." in text
    assert f"Your reservation: {link(reservation)}\n" in text
    assert f'href="{link(reservation)}"' in message.body_html
    assert "Batteries are in the case." in message.body_html
    assert "Sam Staff" not in text + message.body_html


def test_rejection_mails_the_reason(teacher, staff, recorders):
    reservation = request(teacher, recorders, quantity=1)

    services.reject(reservation, actor=staff, now=NOW, reason="The lab is full that morning.")

    message = only(DECIDED)
    assert message.recipient_id == teacher.id
    assert message.subject == "Reservation rejected: Zoom H5, Tue 1 Dec 09:00–12:00"
    assert message.dedupe_key == f"reservation:{reservation.id}:rejected:{reservation.sequence}"
    assert "Reason:\nThe lab is full that morning." in message.body_text
    assert "The lab is full that morning." in message.body_html
    assert f'href="{link(reservation)}"' in message.body_html


def test_a_period_over_several_days_names_both_days(teacher, staff, recorders):
    reservation = make_reservation(
        teacher,
        equipment_type=recorders,
        starts_at=lab(2026, 12, 1, 9),
        ends_at=lab(2026, 12, 3, 16, 30),
        now=NOW,
    )
    services.approve(reservation, actor=staff, now=NOW)
    message = only(DECIDED)
    assert message.subject == "Reservation approved: Zoom H5, Tue 1 Dec 09:00 – Thu 3 Dec 16:30"
    assert "Note from lab staff" not in message.body_text  # no note given


def test_a_replayed_decision_adds_nothing_but_a_second_approval_mails_again(
    teacher, staff, recorders
):
    reservation = request(teacher, recorders, quantity=1)
    services.approve(reservation, actor=staff, now=NOW)
    assert notifications.reservation_decided(reservation, actor=staff, now=NOW) is False
    assert len(outbox(DECIDED)) == 1

    # The teacher asks for more: back to staff, approved again: a second real decision.
    services.change_reservation(
        reservation,
        actor=teacher,
        period=Interval(reservation.starts_at, reservation.ends_at),
        quantity=2,
        purpose=reservation.purpose,
        now=NOW,
    )
    assert reservation.status is ReservationStatus.PENDING
    services.approve(reservation, actor=staff, now=NOW + timedelta(minutes=5))

    rows = outbox(DECIDED)
    assert len(rows) == 2
    assert rows[1].subject == "Reservation approved: 2 × Zoom H5, Tue 1 Dec 09:00–12:00"
    assert outbox(CHANGED) == []  # the teacher changed it themself


def test_staff_reserving_for_themself_and_approving_get_no_mail(staff, recorders):
    # Staff reservations are approved at once; nobody is mailed about their own action.
    reservation = request(staff, recorders, quantity=1)
    assert reservation.status is ReservationStatus.APPROVED
    assert notifications.reservation_decided(reservation, actor=staff, now=NOW) is False
    assert outbox() == []


# --- changed / cancelled by staff -------------------------------------------------------


def test_a_change_by_staff_mails_what_it_is_now_and_what_it_was(teacher, staff, recorders):
    reservation = request(teacher, recorders, quantity=1)
    services.approve(reservation, actor=staff, now=NOW)

    services.change_reservation(
        reservation,
        actor=staff,
        period=Interval(lab(2026, 12, 1, 10), lab(2026, 12, 1, 13)),
        quantity=2,
        purpose="Podcast recordings",
        now=NOW,
    )

    message = only(CHANGED)
    assert message.recipient_id == teacher.id
    assert message.subject == "Reservation changed: 2 × Zoom H5, Tue 1 Dec 10:00–13:00"
    assert message.dedupe_key == f"reservation:{reservation.id}:changed:{reservation.sequence}"
    text = message.body_text
    now_part, before_part = text.split("Before the change:")
    assert "When: Tue 1 Dec 10:00–13:00" in now_part
    assert "Purpose: Podcast recordings" in now_part
    assert "Quantity: 1" in before_part
    assert "When: Tue 1 Dec 09:00–12:00" in before_part
    assert "Purpose: Les vlogs maken" in before_part
    assert f'href="{link(reservation)}"' in message.body_html


def test_a_change_mail_lists_only_what_changed(teacher, staff, recorders):
    reservation = request(teacher, recorders, quantity=1)
    services.change_reservation(
        reservation,
        actor=staff,
        period=Interval(lab(2026, 12, 2, 9), lab(2026, 12, 2, 12)),
        quantity=1,
        purpose=reservation.purpose,
        now=NOW,
    )
    before_part = only(CHANGED).body_text.split("Before the change:")[1]
    assert "When: Tue 1 Dec 09:00–12:00" in before_part
    assert "Quantity" not in before_part and "Purpose" not in before_part


def test_a_second_real_change_mails_again_a_replay_does_not(teacher, staff, recorders):
    reservation = request(teacher, recorders, quantity=1)
    old = Interval(reservation.starts_at, reservation.ends_at)

    def change(hour):
        services.change_reservation(
            reservation,
            actor=staff,
            period=Interval(lab(2026, 12, 1, hour), lab(2026, 12, 1, hour + 2)),
            quantity=1,
            purpose=reservation.purpose,
            now=NOW,
        )

    change(10)
    replayed = notifications.reservation_changed(
        reservation,
        actor=staff,
        now=NOW,
        old_period=old,
        old_quantity=1,
        old_purpose=reservation.purpose,
    )
    assert replayed is False
    assert len(outbox(CHANGED)) == 1
    change(13)
    rows = outbox(CHANGED)
    assert [row.subject for row in rows] == [
        "Reservation changed: Zoom H5, Tue 1 Dec 10:00–12:00",
        "Reservation changed: Zoom H5, Tue 1 Dec 13:00–15:00",
    ]


def test_staff_saving_without_a_change_sends_nothing(teacher, staff, recorders):
    reservation = request(teacher, recorders, quantity=1)
    services.change_reservation(
        reservation,
        actor=staff,
        period=Interval(reservation.starts_at, reservation.ends_at),
        quantity=reservation.quantity,
        purpose=reservation.purpose,
        now=NOW,
    )
    assert outbox() == []


def test_the_requester_is_not_mailed_about_their_own_change_or_cancellation(teacher, recorders):
    reservation = request(teacher, recorders, quantity=1)
    services.change_reservation(
        reservation,
        actor=teacher,
        period=Interval(lab(2026, 12, 2, 9), lab(2026, 12, 2, 11)),
        quantity=2,
        purpose="Something else",
        now=NOW,
    )
    services.cancel_reservation(reservation, actor=teacher, now=NOW, reason="Not needed")
    assert reservation.status is ReservationStatus.CANCELLED
    assert outbox() == []


def test_a_cancellation_by_staff_mails_the_reason(teacher, staff, recorders):
    reservation = request(teacher, recorders)
    services.approve(reservation, actor=staff, now=NOW)

    services.cancel_reservation(reservation, actor=staff, now=NOW, reason="  Both are broken. ")

    message = only(CHANGED)
    assert message.recipient_id == teacher.id
    assert message.subject == "Reservation cancelled: 2 × Zoom H5, Tue 1 Dec 09:00–12:00"
    assert message.dedupe_key == f"reservation:{reservation.id}:cancelled"
    assert "Lab staff cancelled your reservation." in message.body_text
    assert "Reason:\nBoth are broken.\n" in message.body_text
    assert f'href="{link(reservation)}"' in message.body_html
    assert (
        notifications.reservation_cancelled(reservation, actor=staff, now=NOW, reason="again")
        is False
    )
    assert len(outbox(CHANGED)) == 1


def test_a_cancellation_without_a_reason_has_no_reason_line(teacher, staff, recorders):
    reservation = request(teacher, recorders)
    services.cancel_reservation(reservation, actor=staff, now=NOW)
    message = only(CHANGED)
    assert "Reason" not in message.body_text and "Reason" not in message.body_html


def test_an_asset_swap_is_not_mailed(teacher, staff, recorders):
    reservation = request(teacher, recorders, quantity=1)
    services.approve(reservation, actor=staff, now=NOW)
    before = len(outbox())
    services.swap_asset(reservation, reservation.items[0], actor=staff, now=NOW)
    assert len(outbox()) == before


# --- who does not get mail ----------------------------------------------------------------


def test_an_opted_out_requester_gets_no_decision_but_still_change_mail(teacher, staff, recorders):
    mail.set_wanted_notices(teacher.id, [n for n in Notice if n is not Notice.RESERVATION_DECIDED])
    reservation = request(teacher, recorders)
    services.approve(reservation, actor=staff, now=NOW)
    assert outbox(DECIDED) == []
    services.cancel_reservation(reservation, actor=staff, now=NOW, reason="Broken")
    assert len(outbox(CHANGED)) == 1


def test_an_opted_out_requester_gets_no_change_mail(teacher, staff, recorders):
    mail.set_wanted_notices(teacher.id, [n for n in Notice if n is not Notice.RESERVATION_CHANGED])
    reservation = request(teacher, recorders)
    services.cancel_reservation(reservation, actor=staff, now=NOW, reason="Broken")
    assert outbox() == []


def test_a_deactivated_requester_gets_no_mail(teacher, staff, recorders):
    reservation = request(teacher, recorders)
    teacher.is_active = False
    services.reject(reservation, actor=staff, now=NOW, reason="Account closed")
    assert outbox() == []


# --- language and escaping --------------------------------------------------------------------


def test_a_dutch_requester_gets_dutch_dates(staff, recorders):
    dutch = make_user(locale="nl", name="Noor")
    reservation = request(dutch, recorders)
    services.approve(reservation, actor=staff, now=NOW, note="Veel plezier")
    message = only(DECIDED)
    # The words come from the catalogue once translated; the dates are Dutch already.
    assert "di 1 dec 09:00–12:00" in message.subject
    assert "di 1 dec 09:00–12:00" in message.body_text
    assert '<html lang="nl">' in message.body_html
    assert "Veel plezier" in message.body_text and "Noor" in message.body_text


def test_the_html_escapes_what_people_typed(teacher, staff, recorders):
    reservation = request(teacher, recorders, purpose="<script>alert('x')</script> & <b>vlogs</b>")
    services.approve(reservation, actor=staff, now=NOW, note="<img src=x onerror=alert(1)>")
    message = only(DECIDED)
    html = message.body_html
    assert "<script>" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&amp; &lt;b&gt;vlogs&lt;/b&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    # Plain text is plain: what was typed, as typed.
    assert "<script>alert('x')</script> & <b>vlogs</b>" in message.body_text
