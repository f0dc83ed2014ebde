"""Through the pages: the view's one commit carries the outbox message with the change."""

from __future__ import annotations

import sqlalchemy as sa

from straxlab.auth.models import User
from straxlab.core import clock
from straxlab.design_teams.models import DesignDay
from straxlab.extensions import db
from straxlab.mail.rules import Notice
from tests.factories import make_programme, make_reservation, make_team, make_type, make_user
from tests.notifications.conftest import BASE_URL, NOW, lab, only, outbox


def test_staff_cancelling_at_the_reservation_page_queues_the_mail(client, auth, app):
    app.config["BASE_URL"] = BASE_URL
    staff = auth.login_as("staff", locale="en")
    with app.app_context(), clock.frozen(NOW):
        teacher = make_user(locale="en")
        recorders = make_type(name="Zoom H5", assets=2, needs_approval=True)
        reservation = make_reservation(
            teacher,
            equipment_type=recorders,
            starts_at=lab(2026, 12, 1, 9),
            ends_at=lab(2026, 12, 1, 12),
            now=NOW,
        )
        db.session.commit()
        reservation_id, teacher_id = reservation.id, teacher.id

    with clock.frozen(NOW):
        response = client.post(
            f"/reservations/{reservation_id}/cancel",
            data={"reason": "Broken lens", "confirm": "y"},
        )
    assert response.status_code == 302

    with app.app_context():
        message = only(Notice.RESERVATION_CHANGED.value)
        assert message.recipient_id == teacher_id
        assert "Reason:\nBroken lens" in message.body_text
        assert f"{BASE_URL}/reservations/{reservation_id}" in message.body_text
        assert staff.name not in message.body_text


def test_cancelling_a_lab_day_at_its_page_queues_mail_for_the_members(client, auth, app):
    app.config["BASE_URL"] = BASE_URL
    staff = auth.login_as("staff", locale="en")
    with app.app_context(), clock.frozen(NOW):
        coordinator = make_user(locale="en")
        member = make_user(locale="en")
        team = make_team(coordinator, [member], name="VR in de zorg")
        staff_user = db.session.get(User, staff.id)
        programme = make_programme(team, first_day=lab(2026, 12, 1).date(), approve_by=staff_user)
        first = db.session.scalars(
            sa.select(DesignDay)
            .where(DesignDay.programme_id == programme.id)
            .order_by(DesignDay.day)
        ).first()
        db.session.commit()
        day_id, member_ids = first.id, {coordinator.id, member.id}

    with clock.frozen(NOW):
        response = client.post(f"/lab/days/{day_id}/cancel", data={"reason": "Staff training"})
    assert response.status_code == 302

    with app.app_context():
        rows = outbox(Notice.LAB_DAY_CHANGED.value)
        assert {row.recipient_id for row in rows} == member_ids
        assert all("Staff training" in row.body_text for row in rows)
        assert all(f"{BASE_URL}/lab/days/{day_id}" in row.body_text for row in rows)
