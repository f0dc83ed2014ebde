"""A small lab for the feed tests, at a fixed moment: teachers, a team with lab days,
reservations in every state, a milestone; and helpers to read feeds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from straxlab.auth.models import User
from straxlab.design_teams import services as teams
from straxlab.equipment import services as lending
from straxlab.extensions import db
from tests.factories import (
    make_milestone,
    make_plan,
    make_reservation,
    make_team,
    make_type,
    make_user,
)

AMS = ZoneInfo("Europe/Amsterdam")
# Tuesday 10 March 2026, 09:00 in the lab: before the spring DST change (29 March).
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=AMS).astimezone(UTC)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """An instant on the lab's wall clock."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMS)


@dataclass
class World:
    anna: User  # teacher, coordinator of the team, locale en
    bram: User  # teacher, member of the team
    carl: User  # teacher outside the team
    staff: User
    manager: User
    team: Any
    other_team: Any
    programme: Any
    drone: Any  # needs approval
    recorder: Any  # approved at once
    battery: Any
    kit: Any
    approved: Any  # anna's, approved
    pending: Any  # anna's, awaiting approval
    cancelled: Any  # anna's, cancelled
    carls: Any  # carl's reservation
    kit_reservation: Any  # carl's dronekit
    milestone: Any


def build_world() -> World:
    """Call inside an app context with the clock frozen at NOW."""
    from tests.factories import make_kit, make_programme

    anna = make_user(name="Anna Aalbers", locale="en", email="anna@school.example")
    bram = make_user(name="Bram Bos", locale="nl", email="bram@school.example")
    carl = make_user(name="Carl Claes", locale="en", email="carl@school.example")
    staff = make_user(role="staff", name="Sanne Staf", locale="en", email="staf@school.example")
    manager = make_user(role="manager", name="Mo Manager", locale="en", email="mo@school.example")
    team = make_team(anna, [bram], name="VR in de zorg")
    other_team = make_team(carl, [make_user(name="Dirk Dekker")], name="Drones bij bouw")
    # Tuesdays 17, 24, 31 March and 7 April, 09:00-16:00.
    programme = make_programme(team, first_day=date(2026, 3, 17), day_count=4, approve_by=staff)
    make_programme(other_team, first_day=date(2026, 3, 19), day_count=2, approve_by=staff)
    drone = make_type(name="DJI Mini 4", assets=3, needs_approval=True)
    recorder = make_type(name="Zoom H5", assets=3)
    battery = make_type(name="Drone battery", assets=3)
    kit = make_kit("Drone kit", {drone: 1, battery: 2})
    thursday = date(2026, 3, 12)
    approved = make_reservation(
        anna,
        equipment_type=recorder,
        quantity=2,
        starts_at=at(thursday, 10),
        ends_at=at(thursday, 15),
        purpose="Vlogs in class 2B",
        now=NOW,
    )
    pending = make_reservation(
        anna,
        equipment_type=drone,
        starts_at=at(date(2026, 3, 13), 10),
        ends_at=at(date(2026, 3, 13), 15),
        now=NOW,
    )
    cancelled = make_reservation(
        anna,
        equipment_type=recorder,
        starts_at=at(date(2026, 3, 16), 10),
        ends_at=at(date(2026, 3, 16), 15),
        now=NOW,
    )
    lending.cancel_reservation(cancelled, actor=anna, now=NOW)
    carls = make_reservation(
        carl,
        equipment_type=recorder,
        starts_at=at(thursday, 10),
        ends_at=at(thursday, 12),
        purpose="Carl's secret project",
        now=NOW,
    )
    kit_reservation = make_reservation(
        carl,
        kit=kit,
        starts_at=at(date(2026, 3, 18), 10),
        ends_at=at(date(2026, 3, 18), 15),
        now=NOW,
    )
    make_plan(team)
    milestone = make_milestone(team, title="First lesson tried", due_on=date(2026, 4, 2))
    db.session.flush()
    return World(
        anna=anna,
        bram=bram,
        carl=carl,
        staff=staff,
        manager=manager,
        team=team,
        other_team=other_team,
        programme=programme,
        drone=drone,
        recorder=recorder,
        battery=battery,
        kit=kit,
        approved=approved,
        pending=pending,
        cancelled=cancelled,
        carls=carls,
        kit_reservation=kit_reservation,
        milestone=milestone,
    )


def events(body: bytes) -> dict[str, Any]:
    """The VEVENTs of a feed by UID."""
    calendar = icalendar.Calendar.from_ical(body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def move(design_day: Any, actor: User, *, day: date, starts: time, ends: time) -> None:
    teams.move_day(design_day, day=day, starts=starts, ends=ends, actor=actor, now=NOW)


ONE_DAY = timedelta(days=1)
