"""Single design days: the day page, cancel, move, an extra day, check-in at the lab door, the
door poster and its QR codes, attendance by staff, "My lab days" and the home-page pieces."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from straxlab.core import clock, settings
from straxlab.design_teams.models import Attendance, DesignDay
from straxlab.design_teams.rules import DesignDayStatus
from straxlab.extensions import db
from straxlab.lab_calendar.settings import LAB_CAPACITY
from tests.equipment.test_desk_queries import count_statements
from tests.factories import make_closure, make_programme, make_team, make_user

AMS = ZoneInfo("Europe/Amsterdam")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """An instant on the lab's wall clock."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMS).astimezone(UTC)


MONDAY = date(2026, 11, 30)
TUESDAY = date(2026, 12, 1)
# Monday 30 November 2026, 10:00 in the lab: when the world below is built.
NOW = at(MONDAY, 10)
# The first design day, Tuesday 1 December, 10:15: the team is in the lab.
ON_THE_DAY = at(TUESDAY, 10, 15)


@dataclass
class World:
    staff: str
    manager: str
    coordinator: str
    member: str
    member_id: int
    coordinator_id: int
    outsider: str
    other_member: str
    team: int
    programme: int
    days: list[int]
    other_programme: int


@pytest.fixture
def world(app) -> World:
    """Team "VR in de zorg" (Cora coordinates, Mees is a member) with 3 Tuesdays from
    1 December; team "Drones" (Olga, Otto) with 3 Wednesdays; Bas is in no team."""
    with app.app_context(), clock.frozen(NOW):
        staff = make_user(role="staff", name="Sanne Staf", locale="en")
        manager = make_user(role="manager", name="Mark Manager", locale="en")
        coordinator = make_user(name="Cora Coördinator", locale="en")
        member = make_user(name="Mees Lid", locale="en")
        outsider = make_user(name="Bas Buiten", locale="en")
        other_coordinator = make_user(name="Olga Ander", locale="en")
        other_member = make_user(name="Otto Ander", locale="en")
        team = make_team(coordinator, [member], name="VR in de zorg")
        programme = make_programme(team, first_day=TUESDAY, day_count=3, approve_by=staff)
        other = make_team(other_coordinator, [other_member], name="Drones bij bouw")
        other_programme = make_programme(
            other, first_day=TUESDAY + timedelta(days=1), day_count=3, approve_by=staff
        )
        days = db.session.scalars(
            sa.select(DesignDay.id)
            .where(DesignDay.programme_id == programme.id)
            .order_by(DesignDay.day)
        ).all()
        db.session.commit()
        return World(
            staff=staff.email,
            manager=manager.email,
            coordinator=coordinator.email,
            member=member.email,
            member_id=member.id,
            coordinator_id=coordinator.id,
            outsider=outsider.email,
            other_member=other_member.email,
            team=team.id,
            programme=programme.id,
            days=list(days),
            other_programme=other_programme.id,
        )


def get(client, path, *, when=NOW, **kwargs):
    with clock.frozen(when):
        return client.get(path, **kwargs)


def post(client, path, data=None, *, when=NOW, **kwargs):
    with clock.frozen(when):
        return client.post(path, data=data or {}, **kwargs)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def plain(page: str) -> str:
    """The page's text without tags, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split()).replace(" :", ":")


def flashed(client, path, *, when=NOW) -> str:
    """The page a redirect leads to, with its flash messages."""
    return text(get(client, path, when=when))


def load(app, model, object_id):
    with app.app_context():
        return db.session.get(model, object_id)


def attendance(app, design_day_id: int, user_id: int) -> Attendance | None:
    with app.app_context():
        return db.session.scalar(
            sa.select(Attendance).where(
                Attendance.design_day_id == design_day_id, Attendance.user_id == user_id
            )
        )


def day_url(world: World, index: int = 0, suffix: str = "") -> str:
    return f"/lab/days/{world.days[index]}{suffix}"


# Check-in at the lab door -----------------------------------------------------------------


def test_a_member_checks_in_on_the_day(client, auth, world, app):
    auth.login(world.member)
    page = text(get(client, day_url(world, suffix="/check-in"), when=ON_THE_DAY))
    assert "VR in de zorg" in page
    assert "I'm here — check in" in page
    assert "Tuesday 1 December 2026" in page

    response = post(client, day_url(world, suffix="/check-in"), when=ON_THE_DAY)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(day_url(world, suffix="/check-in"))
    page = flashed(client, day_url(world, suffix="/check-in"), when=ON_THE_DAY)
    assert "You are checked in at 10:15." in page
    assert "I'm here — check in" not in page
    record = attendance(app, world.days[0], world.member_id)
    assert record.present and record.checked_in_at == ON_THE_DAY
    assert record.recorded_by_id is None


@pytest.mark.parametrize(
    "when",
    [at(MONDAY, 23, 59), at(TUESDAY + timedelta(days=1), 0, 1)],
    ids=["the evening before", "the night after"],
)
def test_check_in_works_only_on_the_day_itself(client, auth, world, app, when):
    auth.login(world.member)
    page = text(get(client, day_url(world, suffix="/check-in"), when=when))
    assert "I'm here — check in" not in page
    assert "only open on the day itself" in page or "opens on the day itself" in page

    response = post(client, day_url(world, suffix="/check-in"), when=when)
    assert response.status_code == 302
    page = flashed(client, day_url(world, suffix="/check-in"), when=when)
    assert "Check-in for this design day is only open on the day itself." in page
    assert attendance(app, world.days[0], world.member_id) is None


def test_checking_in_twice_keeps_the_first_time(client, auth, world, app):
    auth.login(world.member)
    post(client, day_url(world, suffix="/check-in"), when=ON_THE_DAY)
    later = ON_THE_DAY + timedelta(hours=2)
    response = post(client, day_url(world, suffix="/check-in"), when=later)
    assert response.status_code == 302
    page = flashed(client, day_url(world, suffix="/check-in"), when=later)
    assert "You were already checked in at 10:15." in page
    with app.app_context():
        rows = db.session.scalars(sa.select(Attendance)).all()
        assert [(row.user_id, row.checked_in_at) for row in rows] == [(world.member_id, ON_THE_DAY)]


@pytest.mark.parametrize("who", ["other_member", "outsider", "staff"])
def test_only_members_of_the_team_check_in(client, auth, world, app, who):
    auth.login(getattr(world, who))
    response = get(client, day_url(world, suffix="/check-in"), when=ON_THE_DAY)
    assert response.status_code == 403
    assert "You cannot check in here" in text(response)
    assert "I'm here — check in" not in text(response)
    response = post(client, day_url(world, suffix="/check-in"), when=ON_THE_DAY)
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 0


def test_the_refusal_names_the_team_only_to_those_who_may_read_it(client, auth, world):
    auth.login(world.outsider)
    assert "VR in de zorg" not in text(get(client, day_url(world, suffix="/check-in")))
    auth.logout()
    auth.login(world.staff)
    page = text(get(client, day_url(world, suffix="/check-in")))
    assert "See the design day of VR in de zorg" in page


def test_a_cancelled_day_cannot_be_checked_in(client, auth, world, app):
    auth.login(world.coordinator)
    post(client, day_url(world, suffix="/cancel"), {"reason": "Studiereis"}, when=NOW)
    auth.logout()
    auth.login(world.member)
    page = text(get(client, day_url(world, suffix="/check-in"), when=ON_THE_DAY))
    assert "This design day was cancelled. Studiereis" in page
    post(client, day_url(world, suffix="/check-in"), when=ON_THE_DAY)
    assert attendance(app, world.days[0], world.member_id) is None


def test_anonymous_scan_logs_in_and_comes_back_to_the_check_in_page(client, world):
    path = day_url(world, suffix="/check-in")
    response = get(client, path, when=ON_THE_DAY)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert "next=" in response.headers["Location"]
    login_page = text(get(client, response.headers["Location"], when=ON_THE_DAY))
    assert f'value="{path}"' in login_page
    response = post(
        client,
        "/login",
        {"email": world.member, "password": "een lang genoeg testwachtwoord", "next": path},
        when=ON_THE_DAY,
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(path)


def test_an_unknown_day_is_not_found(client, auth, world):
    auth.login(world.member)
    for path in ("/lab/days/999999/check-in", "/lab/days/999999", "/lab/days/99999999999"):
        assert get(client, path).status_code == 404


# The day page and who reads it ------------------------------------------------------------


def test_a_teacher_cannot_read_another_teams_day(client, auth, world):
    auth.login(world.other_member)
    assert get(client, day_url(world)).status_code == 404
    assert post(client, day_url(world, suffix="/cancel"), {"reason": "x"}).status_code == 404
    assert get(client, day_url(world, suffix="/move")).status_code == 404


def test_a_member_sees_the_teams_attendance(client, auth, world):
    auth.login(world.coordinator)
    post(client, day_url(world, suffix="/check-in"), when=ON_THE_DAY)
    auth.logout()
    auth.login(world.member)
    response = get(client, day_url(world), when=ON_THE_DAY + timedelta(hours=1))
    assert response.status_code == 200
    page = text(response)
    assert "Design day of VR in de zorg" in page
    assert "Tuesday 1 December 2026" in page and "09:00–16:00" in page
    assert "Scheduled" in page
    attendance_table = page[page.index('id="attendance"') : page.index('id="history-heading"')]
    assert "Cora Coördinator" in attendance_table and "Mees Lid" in attendance_table
    assert "Self check-in" in attendance_table and "10:15" in attendance_table
    assert "Not recorded" in attendance_table
    # A member neither records attendance nor changes the day.
    assert 'name="present"' not in page
    assert "Cancel this design day" not in page
    assert f"/programmes/{world.programme}" in page


def test_a_manager_reads_but_changes_nothing(client, auth, world):
    auth.login(world.manager)
    page = text(get(client, day_url(world)))
    assert "Design day of VR in de zorg" in page
    assert "Cancel this design day" not in page
    assert post(client, day_url(world, suffix="/cancel"), {"reason": "x"}).status_code == 403
    assert get(client, day_url(world, suffix="/move")).status_code == 403


def test_the_coordinator_sees_cancel_and_move_for_a_day_to_come(client, auth, world):
    auth.login(world.coordinator)
    page = text(get(client, day_url(world)))
    assert "Cancel this design day" in page
    assert day_url(world, suffix="/move") in page
    # Once the day is over, it can no longer be changed.
    page = text(get(client, day_url(world), when=at(TUESDAY, 17)))
    assert "Cancel this design day" not in page


# Cancel, move, an extra day ---------------------------------------------------------------


def test_the_coordinator_cancels_a_day_with_a_reason(client, auth, world, app):
    auth.login(world.coordinator)
    response = post(client, day_url(world, suffix="/cancel"), {"reason": "  "})
    assert response.status_code == 200
    assert "Say why the design day is cancelled." in text(response)
    assert load(app, DesignDay, world.days[0]).status is DesignDayStatus.SCHEDULED

    response = post(client, day_url(world, suffix="/cancel"), {"reason": "Studiereis naar Delft"})
    assert response.status_code == 302
    page = flashed(client, day_url(world))
    assert "The design day of Tuesday 1 December 2026 has been cancelled." in page
    assert "Cancelled" in page and "Studiereis naar Delft" in page
    assert "Cancelled: Studiereis naar Delft" in page  # the history
    assert load(app, DesignDay, world.days[0]).status is DesignDayStatus.CANCELLED


def test_a_member_who_does_not_coordinate_may_not_cancel(client, auth, world, app):
    auth.login(world.member)
    assert post(client, day_url(world, suffix="/cancel"), {"reason": "x"}).status_code == 403
    assert load(app, DesignDay, world.days[0]).status is DesignDayStatus.SCHEDULED


def test_cancelling_a_day_that_is_over_is_refused(client, auth, world, app):
    auth.login(world.staff)
    response = post(
        client, day_url(world, suffix="/cancel"), {"reason": "Te laat"}, when=at(TUESDAY, 17)
    )
    assert response.status_code == 200
    assert "Only a design day that has not yet taken place can be cancelled." in text(response)
    assert load(app, DesignDay, world.days[0]).status is DesignDayStatus.SCHEDULED


def test_the_move_form_starts_from_the_day_as_it_is(client, auth, world):
    auth.login(world.coordinator)
    page = text(get(client, day_url(world, suffix="/move")))
    assert 'value="2026-12-01"' in page
    assert 'value="09:00"' in page and 'value="16:00"' in page


def test_the_coordinator_moves_a_day(client, auth, world, app):
    auth.login(world.coordinator)
    thursday = TUESDAY + timedelta(days=2)
    response = post(
        client,
        day_url(world, suffix="/move"),
        {"day": thursday.isoformat(), "starts_at": "10:00", "ends_at": "15:30"},
    )
    assert response.status_code == 302, text(response)
    page = flashed(client, day_url(world))
    assert "The design day has been moved to Thursday 3 December 2026." in page
    assert "Moved; it was Tue 1 Dec 2026 09:00–16:00" in page
    moved = load(app, DesignDay, world.days[0])
    assert moved.day == thursday
    assert moved.starts_at == at(thursday, 10) and moved.ends_at == at(thursday, 15, 30)


def _move(client, world, day: date, starts="09:00", ends="16:00"):
    return post(
        client,
        day_url(world, suffix="/move"),
        {"day": day.isoformat(), "starts_at": starts, "ends_at": ends},
    )


def _field_error(page: str, field: str) -> str:
    start = page.index(f'id="{field}-error"')
    return page[start : page.index("</p>", start)]


def test_moving_to_a_full_day_is_refused_beside_the_date(client, auth, world, app):
    with app.app_context(), clock.frozen(NOW):
        settings.put(LAB_CAPACITY.key, 1, actor_id=None, now=NOW)
        db.session.commit()
    auth.login(world.coordinator)
    wednesday = TUESDAY + timedelta(days=1)  # the drone team's day
    response = _move(client, world, wednesday, "10:00", "12:00")
    assert response.status_code == 200
    page = text(response)
    assert "The lab is full on 2 Dec 2026." in _field_error(page, "day")
    # What was typed stays.
    assert 'value="2026-12-02"' in page and 'value="10:00"' in page and 'value="12:00"' in page
    assert load(app, DesignDay, world.days[0]).day == TUESDAY


def test_moving_to_a_closed_day_is_refused(client, auth, world, app):
    thursday = TUESDAY + timedelta(days=2)
    with app.app_context():
        make_closure(thursday, reason="Studiedag")
        db.session.commit()
    auth.login(world.coordinator)
    response = _move(client, world, thursday)
    assert response.status_code == 200
    assert "The lab is closed on 3 Dec 2026." in _field_error(text(response), "day")


def test_moving_into_the_past_is_refused(client, auth, world, app):
    auth.login(world.coordinator)
    response = _move(client, world, MONDAY - timedelta(days=3))
    assert response.status_code == 200
    assert "has already passed" in _field_error(text(response), "day")
    # Today, but a time that is over.
    response = _move(client, world, MONDAY, "08:30", "09:30")
    assert response.status_code == 200
    assert "This time has already passed." in _field_error(text(response), "starts_at")
    assert load(app, DesignDay, world.days[0]).day == TUESDAY


@pytest.mark.parametrize(
    "data",
    [
        {"day": "2026-13-45", "starts_at": "09:00", "ends_at": "16:00"},
        {"day": "9999-12-31", "starts_at": "09:00", "ends_at": "16:00"},
        {"day": "2026-12-03", "starts_at": "9 uur", "ends_at": "16:00"},
        {"day": "2026-12-03", "starts_at": "16:00", "ends_at": "09:00"},
        {},
    ],
    ids=["bad date", "far date", "bad time", "end before start", "nothing"],
)
def test_odd_move_input_gets_a_message_not_a_crash(client, auth, world, data):
    auth.login(world.coordinator)
    response = post(client, day_url(world, suffix="/move"), data)
    assert response.status_code == 200
    assert 'class="field__error"' in text(response)


def test_the_coordinator_adds_an_extra_day(client, auth, world, app):
    auth.login(world.coordinator)
    path = f"/lab/days/new?programme={world.programme}"
    page = text(get(client, path))
    assert "Add a design day for VR in de zorg" in page
    assert 'value="09:00"' in page and 'value="16:00"' in page
    friday = TUESDAY + timedelta(days=3)
    response = post(
        client, path, {"day": friday.isoformat(), "starts_at": "09:00", "ends_at": "13:00"}
    )
    assert response.status_code == 302, text(response)
    assert "An extra design day has been added on Friday 4 December 2026." in flashed(
        client, response.headers["Location"]
    )
    with app.app_context():
        added = db.session.scalar(sa.select(DesignDay).where(DesignDay.day == friday))
        assert added.programme_id == world.programme and added.ends_at == at(friday, 13)


def test_an_extra_day_on_a_day_the_team_has_is_refused(client, auth, world):
    auth.login(world.staff)
    response = post(
        client,
        f"/lab/days/new?programme={world.programme}",
        {"day": TUESDAY.isoformat(), "starts_at": "09:00", "ends_at": "16:00"},
    )
    assert response.status_code == 200
    assert "The team already has a design day on this date." in _field_error(text(response), "day")


@pytest.mark.parametrize(
    "query",
    ["", "?programme=abc", "?programme=0", "?programme=999999", "?programme=99999999999999"],
)
def test_an_extra_day_needs_a_known_programme(client, auth, world, query):
    auth.login(world.staff)
    assert get(client, f"/lab/days/new{query}").status_code == 404


def test_an_extra_day_only_by_the_coordinator_or_staff(client, auth, world):
    path = f"/lab/days/new?programme={world.programme}"
    auth.login(world.member)
    assert get(client, path).status_code == 403
    auth.logout()
    auth.login(world.other_member)
    assert get(client, path).status_code == 404


# Attendance recorded by staff ---------------------------------------------------------------


def test_staff_record_and_correct_attendance_with_a_reason(client, auth, world, app):
    auth.login(world.staff)
    path = day_url(world, suffix="/attendance")
    page = text(get(client, day_url(world), when=ON_THE_DAY))
    assert f'id="present-{world.member_id}"' in page

    response = post(
        client, path, {"user": str(world.member_id), "present": "absent"}, when=ON_THE_DAY
    )
    assert response.status_code == 302
    assert "Mees Lid is recorded as absent." in flashed(client, day_url(world), when=ON_THE_DAY)
    record = attendance(app, world.days[0], world.member_id)
    assert record.present is False and record.recorded_by_id is not None

    # A correction without a reason is refused, beside the member's row.
    response = post(
        client, path, {"user": str(world.member_id), "present": "present"}, when=ON_THE_DAY
    )
    assert response.status_code == 200
    assert "Say why you correct this attendance." in _field_error(
        text(response), f"reason-{world.member_id}"
    )
    assert attendance(app, world.days[0], world.member_id).present is False

    response = post(
        client,
        path,
        {"user": str(world.member_id), "present": "present", "reason": "Kwam later binnen"},
        when=ON_THE_DAY,
    )
    assert response.status_code == 302
    record = attendance(app, world.days[0], world.member_id)
    assert record.present is True and record.reason == "Kwam later binnen"
    page = flashed(client, day_url(world), when=ON_THE_DAY)
    assert "Attendance of Mees Lid corrected from absent to present: Kwam later binnen" in page
    assert "Sanne Staf: Kwam later binnen" in plain(page)  # recorded by + reason


def test_staff_cannot_record_for_someone_outside_the_team(client, auth, world, app):
    auth.login(world.staff)
    path = day_url(world, suffix="/attendance")
    for user in ("", "abc", "99999999999999999", "999999"):
        response = post(client, path, {"user": user, "present": "present"}, when=ON_THE_DAY)
        assert response.status_code == 200
        assert 'class="form-errors"' in text(response)
    other = _user_id(app, world.other_member)
    response = post(client, path, {"user": str(other), "present": "present"}, when=ON_THE_DAY)
    assert response.status_code == 200
    assert "Otto Ander was not a member on that day." in text(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Attendance.id))) == 0


def _user_id(app, email: str) -> int:
    from straxlab.auth.models import User

    with app.app_context():
        return db.session.scalar(sa.select(User.id).where(User.email == email))


def test_attendance_waits_for_the_day(client, auth, world, app):
    auth.login(world.staff)
    page = text(get(client, day_url(world)))
    assert 'name="present"' not in page
    assert "Attendance can be recorded from the design day itself on." in page
    response = post(
        client,
        day_url(world, suffix="/attendance"),
        {"user": str(world.member_id), "present": "present"},
    )
    assert response.status_code == 200
    assert "Attendance can be recorded from the design day itself on." in text(response)
    assert attendance(app, world.days[0], world.member_id) is None


def test_teachers_and_managers_do_not_record_attendance(client, auth, world):
    for who in (world.coordinator, world.manager):
        auth.login(who)
        response = post(
            client,
            day_url(world, suffix="/attendance"),
            {"user": str(world.member_id), "present": "present"},
            when=ON_THE_DAY,
        )
        assert response.status_code == 403
        auth.logout()


# The door poster and QR codes ------------------------------------------------------------


def test_the_door_poster_lists_todays_teams_with_their_codes(client, auth, world, app):
    auth.login(world.staff)
    page = text(get(client, "/lab/days/today", when=ON_THE_DAY))
    assert "Today in the lab" in page and "VR in de zorg" in page
    assert "Drones bij bouw" not in page  # their day is Wednesday
    base = app.config["BASE_URL"].rstrip("/")
    check_in = f"{base}/lab/days/{world.days[0]}/check-in"
    assert check_in in page
    assert f'src="/lab/days/{world.days[0]}/qr.svg"' in page


def test_the_door_poster_says_when_nobody_comes(client, auth, world):
    auth.login(world.staff)
    page = text(get(client, "/lab/days/today", when=at(MONDAY, 9)))
    assert "No design teams are in the lab today." in page


def test_the_qr_code_is_an_svg_image_of_the_check_in_address(client, auth, world):
    auth.login(world.staff)
    response = get(client, day_url(world, suffix="/qr.svg"))
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.get_data())  # noqa: S314 (the app's own SVG)
    assert root.tag.endswith("svg")
    assert "VR in de zorg" in response.get_data(as_text=True)  # its title


def test_only_staff_get_qr_codes_and_the_poster(client, auth, world):
    for who in (world.member, world.manager):
        auth.login(who)
        assert get(client, day_url(world, suffix="/qr.svg")).status_code == 403
        assert get(client, "/lab/days/today").status_code == 403
        auth.logout()


# My lab days --------------------------------------------------------------------------------


def test_my_lab_days_shows_coming_and_past_days_with_my_attendance(client, auth, world):
    auth.login(world.member)
    post(client, day_url(world, suffix="/check-in"), when=ON_THE_DAY)
    page = text(get(client, "/lab/days/mine", when=at(TUESDAY + timedelta(days=1), 9)))
    coming = page[page.index('id="coming-heading"') : page.index('id="past-heading"')]
    past = page[page.index('id="past-heading"') :]
    assert "Tue 8 Dec 2026" in coming and "Tue 15 Dec 2026" in coming
    assert "Tue 1 Dec 2026" in past and "Present" in past and "at 10:15" in past
    assert "VR in de zorg" in page
    assert "Drones bij bouw" not in page


def test_my_lab_days_has_an_empty_state(client, auth, world):
    auth.login(world.outsider)
    page = text(get(client, "/lab/days/mine"))
    assert "No design days coming up." in page and "No past design days yet." in page


def test_my_lab_days_take_the_same_number_of_statements_for_more_days(client, auth, world, app):
    auth.login(world.member)
    later = at(TUESDAY + timedelta(days=60), 9)

    def statements() -> int:
        with app.app_context(), count_statements() as seen:
            assert get(client, "/lab/days/mine", when=later).status_code == 200
        return len(seen)

    few = statements()
    with app.app_context(), clock.frozen(NOW):
        from straxlab.auth.models import User
        from straxlab.design_teams.models import DesignTeam

        team = db.session.get(DesignTeam, world.team)
        staff = db.session.scalar(sa.select(User).where(User.email == world.staff))
        make_programme(team, first_day=TUESDAY + timedelta(days=3), day_count=6, approve_by=staff)
        db.session.commit()
    assert statements() == few


def test_the_day_page_takes_the_same_number_of_statements_for_more_members(
    client, auth, world, app
):
    auth.login(world.staff)
    on_the_day = at(TUESDAY + timedelta(days=7), 10)

    def record(user_id: int) -> None:
        data = {"user": str(user_id), "present": "present"}
        assert (
            post(client, day_url(world, 1, "/attendance"), data, when=on_the_day).status_code == 302
        )

    def statements() -> int:
        with app.app_context(), count_statements() as seen:
            assert get(client, day_url(world, 1), when=on_the_day).status_code == 200
        return len(seen)

    record(world.coordinator_id)
    few = statements()
    with app.app_context(), clock.frozen(NOW):
        from straxlab.auth.models import User
        from straxlab.design_teams import services
        from straxlab.design_teams.models import DesignTeam

        team = db.session.get(DesignTeam, world.team)
        staff = db.session.scalar(sa.select(User).where(User.email == world.staff))
        for n in range(5):
            services.add_member(team, make_user(name=f"Extra {n}"), actor=staff, now=NOW)
        db.session.commit()
    for n in range(3):
        record(_user_id_by_name(app, f"Extra {n}"))
    assert statements() == few
    assert few <= 12


def _user_id_by_name(app, name: str) -> int:
    from straxlab.auth.models import User

    with app.app_context():
        return db.session.scalar(sa.select(User.id).where(User.name == name))


# Home pages ---------------------------------------------------------------------------------


def test_teacher_home_shows_the_next_design_day(client, auth, world):
    auth.login(world.member)
    page = text(get(client, "/"))
    section = page[page.index('id="design-day-heading"') :]
    assert "My next design day" in section
    assert "VR in de zorg" in section and "Tuesday 1 December 2026" in section
    assert "/check-in" not in section  # not today

    page = text(get(client, "/", when=ON_THE_DAY))
    section = page[page.index('id="design-day-heading"') :]
    assert day_url(world, suffix="/check-in") in section
    post(client, day_url(world, suffix="/check-in"), when=ON_THE_DAY)
    page = text(get(client, "/", when=ON_THE_DAY))
    section = page[page.index('id="design-day-heading"') : page.index('id="team-heading"')]
    assert "Present" in section and "10:15" in section


def test_teacher_home_without_design_days(client, auth, world):
    auth.login(world.outsider)
    assert "No design day planned for you." in text(get(client, "/"))


def test_staff_home_shows_todays_teams_against_capacity_and_waiting_requests(
    client, auth, world, app
):
    with app.app_context(), clock.frozen(NOW):
        third = make_team(make_user(), [make_user()], name="Robotica")
        make_programme(third, first_day=TUESDAY + timedelta(days=14))
        db.session.commit()
    auth.login(world.staff)
    page = text(get(client, "/", when=ON_THE_DAY))
    section = page[page.index('id="lab-today-heading"') :]
    assert "1 of 4 team places taken." in section
    assert "VR in de zorg" in section and "09:00–16:00" in section
    assert "1 programme request waiting for approval" in section
    assert "/lab/days/today" in section
    page = text(get(client, "/", when=at(MONDAY, 9)))
    assert "No design teams in the lab today." in page
