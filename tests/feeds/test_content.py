"""What the feeds hold, rendered by the service the views use, read by three parsers."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, time, timedelta

import icalendar
import pytest
import recurring_ical_events
import sqlalchemy as sa
import vobject

from straxlab.auth.models import User
from straxlab.compliance import services as compliance
from straxlab.compliance.models import Milestone
from straxlab.core import clock
from straxlab.core.errors import NotAllowed
from straxlab.design_teams import services as teams
from straxlab.design_teams.models import DesignDay, DesignTeam, Membership
from straxlab.equipment import services as lending
from straxlab.equipment.models import EquipmentType, Reservation
from straxlab.equipment.rules import Interval
from straxlab.extensions import db
from straxlab.feeds import services
from tests.equipment.test_desk_queries import count_statements
from tests.factories import make_programme, make_reservation, make_team, make_user
from tests.feeds.support import AMS, NOW, at, build_world, events, move


@pytest.fixture
def world(app_ctx):
    with clock.frozen(NOW):
        yield build_world()


def all_feeds(world, now=NOW):
    return {
        "mine": services.mine(world.anna, now=now),
        "team": services.team(world.anna, world.team, now=now),
        "lab": services.lab(world.staff, now=now),
        "type": services.equipment_type(world.staff, world.drone, now=now),
    }


def design_days_of(programme):
    return list(
        db.session.scalars(
            sa.select(DesignDay)
            .where(DesignDay.programme_id == programme.id)
            .order_by(DesignDay.day)
        )
    )


# --- the file itself ------------------------------------------------------------------


def test_three_independent_parsers_read_every_feed_without_errors(world):
    for name, body in all_feeds(world).items():
        calendar = icalendar.Calendar.from_ical(body)
        assert calendar.errors == [], name
        assert all(component.errors == [] for component in calendar.walk()), name
        parsed = vobject.readOne(body.decode("utf-8"))
        assert parsed.name == "VCALENDAR"
        vevents = list(parsed.vevent_list)
        assert len(vevents) == len(calendar.walk("VEVENT")) > 0, name
        expanded = recurring_ical_events.of(calendar).between(
            NOW - timedelta(days=31), NOW + timedelta(days=366)
        )
        assert {str(e["UID"]) for e in expanded} == {str(e.uid.value) for e in vevents}, name


# Control characters (C0, DEL, escape sequences) and invisible format characters (zero-width
# space, right-to-left override): RFC 5545 allows none of them in a TEXT value.
DIRTY = "\x0b\x1b[31m\x07\x7f\u200b\u202e\r"


def assert_clean(body):
    text = body.decode("utf-8")
    assert not [c for c in text.replace("\r\n", "") if unicodedata.category(c) in {"Cc", "Cf"}]
    return text


def test_a_purpose_with_control_characters_reaches_the_feed_clean(world):
    reservation = make_reservation(
        world.anna,
        equipment_type=world.recorder,
        starts_at=at(date(2026, 3, 20), 10),
        ends_at=at(date(2026, 3, 20), 12),
        purpose="Vlogs\x0b in\x1b 2B",
        now=NOW,
    )
    db.session.flush()
    db.session.expire_all()
    assert reservation.purpose == "Vlogs in 2B"
    body = services.mine(world.anna, now=NOW)
    assert_clean(body)
    event = events(body)[f"reservation-{reservation.id}@127.0.0.1"]
    assert "Purpose: Vlogs in 2B\n" in str(event["DESCRIPTION"])


def test_older_rows_with_control_characters_still_give_a_valid_feed(world):
    """Rows from before the checks on input, written straight into the database."""
    day = design_days_of(world.programme)[0]
    teams.cancel_day(day, reason="Lab flooded", actor=world.anna, now=NOW)
    db.session.flush()
    updates = [
        (Reservation, world.approved.id, {"purpose": f"Vlogs{DIRTY} in 2B"}),
        (Reservation, world.carls.id, {"purpose": f"Carl{DIRTY}"}),
        (DesignTeam, world.team.id, {"name": f"VR{DIRTY} in de zorg", "theme": f"Zorg{DIRTY}"}),
        (DesignDay, day.id, {"cancel_reason": f"Lab{DIRTY} flooded"}),
        (User, world.carl.id, {"name": f"Carl{DIRTY} Claes"}),
        (EquipmentType, world.drone.id, {"name": f"DJI{DIRTY} Mini 4"}),
        (Milestone, world.milestone.id, {"title": f"First{DIRTY} lesson tried"}),
    ]
    for model, row_id, values in updates:
        db.session.execute(sa.update(model).where(model.id == row_id).values(**values))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Reservation, world.approved.id).purpose.startswith("Vlogs\x0b")

    feeds = {**all_feeds(world), "carl": services.lab(world.staff, now=NOW)}
    for name, body in feeds.items():
        text = assert_clean(body)
        calendar = icalendar.Calendar.from_ical(body)
        assert calendar.errors == [], name
        assert all(component.errors == [] for component in calendar.walk()), name
        parsed = vobject.readOne(text)
        assert len(parsed.vevent_list) == len(calendar.walk("VEVENT")) > 0, name

    mine = events(feeds["mine"])
    purpose = str(mine[f"reservation-{world.approved.id}@127.0.0.1"]["DESCRIPTION"])
    assert "Purpose: Vlogs[31m\n in 2B\n" in purpose
    cancelled = mine[f"designday-{day.id}@127.0.0.1"]
    assert str(cancelled["SUMMARY"]) == "Design day: VR[31m in de zorg (cancelled)"
    assert "Reason: Lab[31m\n flooded" in str(cancelled["DESCRIPTION"])
    team = icalendar.Calendar.from_ical(feeds["team"])
    assert str(team["X-WR-CALNAME"]) == "STRAX-lab – design team VR[31m in de zorg"
    milestone = events(feeds["team"])[f"milestone-{world.milestone.id}@127.0.0.1"]
    assert str(milestone["SUMMARY"]) == "Milestone: First[31m lesson tried"
    lab = events(feeds["lab"])[f"reservation-{world.carls.id}@127.0.0.1"]
    assert "Borrower: Carl[31m\n Claes" in str(lab["DESCRIPTION"])
    drone = icalendar.Calendar.from_ical(feeds["type"])
    assert str(drone["NAME"]) == "STRAX-lab – reservations of DJI[31m Mini 4"


def test_every_line_ends_in_crlf_and_is_at_most_75_octets(world):
    for name, body in all_feeds(world).items():
        assert body.endswith(b"\r\n"), name
        assert b"\n" not in body.replace(b"\r\n", b""), name
        assert b"\r" not in body.replace(b"\r\n", b""), name
        lines = body.split(b"\r\n")[:-1]
        assert max(len(line) for line in lines) <= 75, name
        # Long texts were folded (a continuation line starts with a space) and still decode.
        body.decode("utf-8")
    assert any(line.startswith(b" ") for line in all_feeds(world)["lab"].split(b"\r\n"))


def test_no_tzid_is_used_so_none_lacks_its_vtimezone(world):
    for name, body in all_feeds(world).items():
        calendar = icalendar.Calendar.from_ical(body)
        tzids = set(re.findall(rb"TZID=([^;:]+)", body))
        timezones = {str(tz["TZID"]).encode() for tz in calendar.walk("VTIMEZONE")}
        assert tzids <= timezones, name
        assert tzids == set() and timezones == set(), name
        for line in body.split(b"\r\n"):
            if line.startswith((b"DTSTART", b"DTEND", b"DTSTAMP", b"LAST-MODIFIED")):
                assert (
                    line.endswith(b"Z")
                    or line.startswith(b"DTSTART;VALUE=DATE:")
                    or (line.startswith(b"DTEND;VALUE=DATE:"))
                ), line


def test_the_calendar_has_its_name_refresh_interval_and_no_method(world):
    body = services.mine(world.anna, now=NOW)
    lines = body.split(b"\r\n")
    assert b"VERSION:2.0" in lines
    assert b"CALSCALE:GREGORIAN" in lines
    assert any(line.startswith(b"PRODID:-//STRAX-lab//") for line in lines)
    assert "NAME:STRAX-lab – my agenda".encode() in lines
    assert "X-WR-CALNAME:STRAX-lab – my agenda".encode() in lines
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in lines
    assert b"X-PUBLISHED-TTL:PT1H" in lines
    assert not any(line.startswith(b"METHOD") for line in lines)
    assert b"RRULE" not in body


def test_uids_and_bytes_stay_equal_across_renders(world):
    first = all_feeds(world)
    later = all_feeds(world, now=NOW + timedelta(hours=1))
    for name in first:
        assert list(events(first[name])) == list(events(later[name])), name
        assert first[name] == later[name], name
    uids = set(events(first["mine"]))
    assert f"reservation-{world.approved.id}@127.0.0.1" in uids
    day = design_days_of(world.programme)[0]
    assert f"designday-{day.id}@127.0.0.1" in uids
    assert f"milestone-{world.milestone.id}@127.0.0.1" in events(first["team"])


def test_an_event_carries_its_sequence_stamp_status_and_link(world):
    event = events(services.mine(world.anna, now=NOW))[f"reservation-{world.approved.id}@127.0.0.1"]
    assert event["SEQUENCE"] == world.approved.sequence == 0
    assert event["DTSTAMP"].dt == world.approved.updated_at == NOW
    assert event["LAST-MODIFIED"].dt == NOW
    assert event["DTSTART"].dt == at(date(2026, 3, 12), 10)
    assert event["DTEND"].dt == at(date(2026, 3, 12), 15)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["SUMMARY"]) == "Reservation: 2 × Zoom H5"
    assert str(event["LOCATION"]) == "STRAX-lab, lending desk"
    link = f"http://127.0.0.1:5000/reservations/{world.approved.id}"
    assert str(event["URL"]) == link
    assert str(event["DESCRIPTION"]) == (f"Status: Approved\nPurpose: Vlogs in class 2B\n{link}")


# --- changes -------------------------------------------------------------------------------


def test_sequence_grows_after_a_reservation_is_changed(world):
    uid = f"reservation-{world.approved.id}@127.0.0.1"
    before = events(services.mine(world.anna, now=NOW))[uid]
    later = NOW + timedelta(minutes=5)
    thursday = date(2026, 3, 12)
    lending.change_reservation(
        world.approved,
        actor=world.anna,
        period=Interval(at(thursday, 11), at(thursday, 16)),
        quantity=2,
        purpose="Vlogs in class 2B",
        now=later,
    )
    db.session.flush()
    after = events(services.mine(world.anna, now=later))[uid]
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after["DTSTAMP"].dt == later > before["DTSTAMP"].dt
    assert after["DTSTART"].dt == at(thursday, 11)


def test_sequence_grows_after_a_design_day_is_moved(world):
    day = design_days_of(world.programme)[1]  # Tuesday 24 March
    uid = f"designday-{day.id}@127.0.0.1"
    before = events(services.team(world.anna, world.team, now=NOW))[uid]
    move(day, world.anna, day=date(2026, 3, 26), starts=time(10), ends=time(15))
    db.session.flush()
    after = events(services.team(world.anna, world.team, now=NOW))[uid]
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after["DTSTART"].dt == at(date(2026, 3, 26), 10)
    assert after["DTEND"].dt == at(date(2026, 3, 26), 15)


def test_sequence_grows_after_a_milestone_is_changed(world):
    uid = f"milestone-{world.milestone.id}@127.0.0.1"
    before = events(services.team(world.anna, world.team, now=NOW))[uid]
    assert before["DTSTART"].dt == date(2026, 4, 2)
    assert before["DTEND"].dt == date(2026, 4, 3)
    assert b"DTSTART;VALUE=DATE:20260402" in services.team(world.anna, world.team, now=NOW)
    assert str(before["TRANSP"]) == "TRANSPARENT"
    later = NOW + timedelta(hours=2)
    compliance.change_milestone(
        world.milestone,
        title="First lesson tried",
        due_on=date(2026, 4, 9),
        done_on=None,
        evidence="",
        actor=world.anna,
        now=later,
    )
    db.session.flush()
    after = events(services.team(world.anna, world.team, now=later))[uid]
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after["DTSTART"].dt == date(2026, 4, 9)


def test_sequence_grows_when_a_past_design_day_becomes_held(world):
    day = design_days_of(world.programme)[0]  # Tuesday 17 March, 09:00-16:00
    uid = f"designday-{day.id}@127.0.0.1"
    before = events(services.team(world.anna, world.team, now=NOW))[uid]
    evening = at(date(2026, 3, 17), 18)
    assert teams.close_past_days(evening) == 1
    db.session.flush()
    for body in (
        services.team(world.anna, world.team, now=evening),
        services.mine(world.anna, now=evening),
        services.lab(world.staff, now=evening),
    ):
        after = events(body)[uid]
        assert after["SEQUENCE"] == before["SEQUENCE"] + 1
        assert after["DTSTAMP"].dt == evening > before["DTSTAMP"].dt
        assert "Status: Held" in str(after["DESCRIPTION"])
    assert "Status: Held" not in str(before["DESCRIPTION"])


def test_a_cancelled_reservation_stays_with_status_cancelled(world):
    mine = events(services.mine(world.anna, now=NOW))
    cancelled = mine[f"reservation-{world.cancelled.id}@127.0.0.1"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert cancelled["SEQUENCE"] == world.cancelled.sequence > 0
    assert str(cancelled["SUMMARY"]) == "Reservation: Zoom H5 (cancelled)"
    pending = mine[f"reservation-{world.pending.id}@127.0.0.1"]
    assert str(pending["STATUS"]) == "TENTATIVE"
    assert str(pending["SUMMARY"]) == "Reservation: DJI Mini 4 (awaiting approval)"


def test_a_rejected_reservation_is_cancelled_in_the_feed(world):
    lending.reject(world.pending, actor=world.staff, now=NOW, reason="Geen piloot")
    db.session.flush()
    event = events(services.mine(world.anna, now=NOW))[f"reservation-{world.pending.id}@127.0.0.1"]
    assert str(event["STATUS"]) == "CANCELLED"


def test_a_cancelled_design_day_stays_with_status_cancelled_and_its_reason(world):
    day = design_days_of(world.programme)[0]
    before = events(services.team(world.anna, world.team, now=NOW))[f"designday-{day.id}@127.0.0.1"]
    teams.cancel_day(day, reason="Lab flooded", actor=world.anna, now=NOW)
    db.session.flush()
    for body in (
        services.team(world.anna, world.team, now=NOW),
        services.lab(world.staff, now=NOW),
    ):
        event = events(body)[f"designday-{day.id}@127.0.0.1"]
        assert str(event["STATUS"]) == "CANCELLED"
        assert event["SEQUENCE"] > before["SEQUENCE"]
        assert str(event["SUMMARY"]) == "Design day: VR in de zorg (cancelled)"
        assert "Reason: Lab flooded" in str(event["DESCRIPTION"])


# --- time ----------------------------------------------------------------------------------


def test_a_weekly_lab_day_stays_at_0900_amsterdam_across_both_dst_changes(world):
    # Spring: the team's Tuesdays 24 March (CET) and 31 March (CEST), around 29 March.
    # Autumn: the other team's Tuesdays 20 October (CEST) and 27 October (CET), around 25 October.
    make_programme(
        world.other_team, first_day=date(2026, 10, 13), day_count=4, approve_by=world.staff
    )
    db.session.flush()
    calendar = icalendar.Calendar.from_ical(services.lab(world.staff, now=NOW))
    occurrences = recurring_ical_events.of(calendar).between(
        at(date(2026, 3, 1), 0), at(date(2026, 12, 1), 0)
    )
    tuesdays = {
        e["DTSTART"].dt.astimezone(AMS): e["DTEND"].dt.astimezone(AMS)
        for e in occurrences
        if str(e["UID"]).startswith("designday-")
        and e["DTSTART"].dt.astimezone(AMS).isoweekday() == 2
    }
    wanted = [date(2026, 3, 24), date(2026, 3, 31), date(2026, 10, 20), date(2026, 10, 27)]
    starts = {start.date(): start for start in tuesdays}
    for day in wanted:
        start = starts[day]
        assert (start.hour, start.minute) == (9, 0), day
        assert (tuesdays[start].hour, tuesdays[start].minute) == (16, 0), day
    # The UTC instants in the file differ by an hour on either side of each change.
    utc_hours = {d: starts[d].astimezone(UTC).hour for d in wanted}
    assert utc_hours == {
        date(2026, 3, 24): 8,
        date(2026, 3, 31): 7,
        date(2026, 10, 20): 7,
        date(2026, 10, 27): 8,
    }


def test_the_window_drops_what_lies_more_than_30_days_back(world):
    later = NOW + timedelta(days=45)  # 24 April: 12-16 March lie more than 30 days back
    uids = set(events(services.mine(world.anna, now=later)))
    assert f"reservation-{world.approved.id}@127.0.0.1" not in uids
    assert f"reservation-{world.cancelled.id}@127.0.0.1" not in uids
    last_day = design_days_of(world.programme)[-1]  # 7 April: 17 days back
    assert f"designday-{last_day.id}@127.0.0.1" in uids


def test_the_window_drops_what_lies_more_than_a_year_ahead(world):
    # A year before 14 March 2026: the window ends on 14 March 2026, 09:00.
    early = at(date(2025, 3, 14), 9)
    uids = set(events(services.mine(world.anna, now=early)))
    assert uids == {
        f"reservation-{world.approved.id}@127.0.0.1",
        f"reservation-{world.pending.id}@127.0.0.1",
    }


# --- privacy and language ------------------------------------------------------------------


def test_a_teachers_feed_holds_only_their_own_reservations(world):
    body = services.mine(world.anna, now=NOW)
    uids = set(events(body))
    assert f"reservation-{world.carls.id}@127.0.0.1" not in uids
    assert f"reservation-{world.kit_reservation.id}@127.0.0.1" not in uids
    assert {
        f"reservation-{r.id}@127.0.0.1" for r in (world.approved, world.pending, world.cancelled)
    } <= uids
    text = body.decode("utf-8")
    for private in ("Carl", "secret project", "Anna Aalbers", "Bram"):
        assert private not in text
    # Not the other team's lab days either.
    assert "Drones bij bouw" not in text


def test_a_members_feed_holds_their_teams_lab_days_until_they_leave(world):
    bram = events(services.mine(world.bram, now=NOW))
    day_uids = {uid for uid in bram if uid.startswith("designday-")}
    assert len(day_uids) == 4
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == world.bram.id))
    teams.end_membership(membership, actor=world.bram, now=NOW)
    db.session.flush()
    later = NOW + timedelta(days=1)
    assert not any(
        uid.startswith("designday-") for uid in events(services.mine(world.bram, now=later))
    )


def test_a_team_feed_shows_no_people_and_no_attendance(world):
    text = services.team(world.anna, world.team, now=NOW).decode("utf-8")
    for person in ("Anna", "Bram", "Sanne", "ATTENDEE", "ORGANIZER"):
        assert person not in text
    assert "Design day: VR in de zorg" in text
    assert "Milestone: First lesson tried" in text
    assert "Drones bij bouw" not in text


def test_lab_and_type_feeds_name_the_borrower(world):
    lab = events(services.lab(world.manager, now=NOW))
    carls = lab[f"reservation-{world.carls.id}@127.0.0.1"]
    assert str(carls["SUMMARY"]) == "Reservation: Zoom H5 for Carl Claes"
    assert "Borrower: Carl Claes" in str(carls["DESCRIPTION"])
    assert any(uid.startswith("designday-") for uid in lab)
    # Both teams' lab days are in the lab feed.
    assert {str(e["SUMMARY"]) for e in lab.values() if str(e["UID"]).startswith("designday-")} == {
        "Design day: VR in de zorg",
        "Design day: Drones bij bouw",
    }


def test_a_type_feed_holds_the_type_and_the_kits_that_contain_it(world):
    drone = events(services.equipment_type(world.staff, world.drone, now=NOW))
    assert set(drone) == {
        f"reservation-{world.pending.id}@127.0.0.1",
        f"reservation-{world.kit_reservation.id}@127.0.0.1",
    }
    assert str(drone[f"reservation-{world.kit_reservation.id}@127.0.0.1"]["SUMMARY"]) == (
        "Reservation: Drone kit for Carl Claes (awaiting approval)"
    )
    recorder = events(services.equipment_type(world.staff, world.recorder, now=NOW))
    assert set(recorder) == {
        f"reservation-{r.id}@127.0.0.1" for r in (world.approved, world.cancelled, world.carls)
    }


def test_the_services_refuse_feeds_their_owner_may_not_read(world):
    with pytest.raises(NotAllowed):
        services.team(world.carl, world.team, now=NOW)
    with pytest.raises(NotAllowed):
        services.lab(world.anna, now=NOW)
    with pytest.raises(NotAllowed):
        services.equipment_type(world.manager, world.drone, now=NOW)
    assert services.may_read_team(world.bram, world.team)
    assert services.may_read_team(world.manager, world.team)
    assert not services.may_read_team(world.carl, world.team)


def test_texts_follow_the_owners_language(world):
    english = services.mine(world.anna, now=NOW)
    assert "X-WR-CALNAME:STRAX-lab – my agenda".encode() in english
    assert b"SUMMARY:Design day: VR in de zorg" in english
    # Bram reads Dutch; whatever the catalogue says today, his feed renders and parses.
    dutch = services.mine(world.bram, now=NOW)
    calendar = icalendar.Calendar.from_ical(dutch)
    assert calendar.errors == []
    assert len(calendar.walk("VEVENT")) == 4
    assert str(calendar["X-WR-CALNAME"]).startswith("STRAX-lab – ")
    world.anna.locale = "nl"
    assert services.mine(world.anna, now=NOW) != english


# --- statements ----------------------------------------------------------------------------


def _statements(render) -> int:
    db.session.expire_all()
    with count_statements() as seen:
        render()
    return len(seen)


def test_feeds_take_a_fixed_number_of_statements_whatever_the_number_of_events(world):
    def renders():
        return {
            "mine": lambda: services.mine(world.anna, now=NOW),
            "team": lambda: services.team(world.anna, world.team, now=NOW),
            "lab": lambda: services.lab(world.staff, now=NOW),
            "type": lambda: services.equipment_type(world.staff, world.recorder, now=NOW),
        }

    few = {name: _statements(render) for name, render in renders().items()}
    sizes = {name: len(events(render())) for name, render in renders().items()}
    # More of everything: reservations (with items), a second programme, milestones.
    with clock.frozen(NOW):
        for n in range(8):
            day = date(2026, 3, 23) + timedelta(days=n % 5)
            make_reservation(
                world.anna if n % 2 else world.bram,
                equipment_type=world.recorder,
                starts_at=at(day, 9 + n // 5 * 3),
                ends_at=at(day, 10 + n // 5 * 3),
                now=NOW,
            )
        extra = make_team(make_user(), [world.anna], name="Nog een team")
        make_programme(extra, first_day=date(2026, 3, 20), day_count=6, approve_by=world.staff)
        for n in range(5):
            compliance.add_milestone(
                world.team,
                title=f"Step {n}",
                due_on=date(2026, 5, 1 + n),
                actor=world.anna,
                now=NOW,
            )
    db.session.flush()
    many = {name: _statements(render) for name, render in renders().items()}
    grown = {name: len(events(render())) for name, render in renders().items()}
    assert all(grown[name] > sizes[name] for name in sizes), (sizes, grown)
    assert many == few
    assert max(few.values()) <= 5
