"""Factories that build valid objects, with overrides for what a test cares about."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from typing import Any

from straxlab.auth import passwords
from straxlab.auth.models import User
from straxlab.auth.rules import Role
from straxlab.core import clock
from straxlab.extensions import db

DEFAULT_PASSWORD = "een lang genoeg testwachtwoord"
_sequence = itertools.count(1)


def make_user(
    *,
    role: Role | str = Role.TEACHER,
    email: str | None = None,
    name: str | None = None,
    password: str = DEFAULT_PASSWORD,
    created_at: datetime | None = None,
    **overrides: Any,
) -> User:
    n = next(_sequence)
    user = User(
        email=email or f"user{n}@school.example",
        name=name or f"Test Gebruiker {n}",
        role=Role(role),
        password_hash=passwords.hash_password(password),
        created_at=created_at or clock.now(),
        **overrides,
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_category(name: str | None = None, **overrides: Any) -> Any:
    from straxlab.equipment.models import Category

    category = Category(name=name or f"Categorie {next(_sequence)}", **overrides)
    db.session.add(category)
    db.session.flush()
    return category


def make_type(
    *, name: str | None = None, category: Any = None, assets: int = 0, **overrides: Any
) -> Any:
    """An equipment type with ``assets`` available assets (tags NAME-01, NAME-02, ...)."""
    from straxlab.equipment.models import EquipmentType

    n = next(_sequence)
    equipment_type = EquipmentType(
        name=name or f"Apparaat {n}",
        category=category or make_category(),
        **{"max_loan_days": 14, "max_advance_days": 365, **overrides},
    )
    db.session.add(equipment_type)
    db.session.flush()
    for index in range(1, assets + 1):
        make_asset(equipment_type, tag=f"T{equipment_type.id}-{index:02d}")
    return equipment_type


def make_asset(equipment_type: Any, *, tag: str | None = None, **overrides: Any) -> Any:
    from straxlab.equipment.models import Asset

    asset = Asset(
        equipment_type=equipment_type,
        tag=tag or f"A-{next(_sequence):05d}",
        created_at=overrides.pop("created_at", None) or clock.now(),
        **overrides,
    )
    db.session.add(asset)
    db.session.flush()
    return asset


def make_kit(name: str, components: dict[Any, int], **overrides: Any) -> Any:
    from straxlab.equipment.models import Kit, KitComponent

    kit = Kit(name=name, **overrides)
    kit.components = [
        KitComponent(equipment_type=t, equipment_type_id=t.id, quantity=q)
        for t, q in components.items()
    ]
    db.session.add(kit)
    db.session.flush()
    return kit


def make_reservation(
    requester: User,
    *,
    starts_at: datetime,
    ends_at: datetime,
    equipment_type: Any = None,
    kit: Any = None,
    quantity: int = 1,
    purpose: str = "Les vlogs maken",
    actor: User | None = None,
    now: datetime | None = None,
    **kwargs: Any,
) -> Any:
    """A reservation made through the service, as a user would (all rules apply)."""
    from straxlab.equipment import services
    from straxlab.equipment.rules import Interval

    return services.request_reservation(
        requester,
        actor=actor or requester,
        period=Interval(starts_at, ends_at),
        quantity=quantity,
        purpose=purpose,
        now=now or clock.now(),
        equipment_type=equipment_type,
        kit=kit,
        **kwargs,
    )


def next_desk_morning(days_ahead: int = 2) -> datetime:
    """10:00 in the lab on a weekday at least ``days_ahead`` days from now (real clock)."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/Amsterdam")
    day = clock.now().astimezone(zone).date() + timedelta(days=days_ahead)
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=zone)


def make_lending_objects() -> dict[str, int]:
    """A small catalogue and another teacher's pending reservation, for access tests.

    Keys match the path placeholders of the authorisation matrix.
    """
    from datetime import timedelta

    from straxlab.equipment.models import Qualification

    owner = make_user(email="eigenaar@school.example")
    category = make_category("Drones")
    drone = make_type(name="DJI Mini 4", category=category, assets=2, needs_approval=True)
    battery = make_type(name="Drone-accu", category=category, assets=2)
    kit = make_kit("Dronekit", {drone: 1, battery: 1})
    start = next_desk_morning()
    reservation = make_reservation(
        owner, equipment_type=drone, starts_at=start, ends_at=start + timedelta(hours=4)
    )
    qualification = Qualification(
        user_id=owner.id, kind="Drone pilot A1/A3", valid_until=None, checked_at=clock.now()
    )
    db.session.add(qualification)
    db.session.flush()
    return {
        "category": category.id,
        "type": drone.id,
        "asset": reservation.items[0].asset_id,
        "kit": kit.id,
        "reservation": reservation.id,
        "item": reservation.items[0].id,
        "qualification": qualification.id,
        "owner": owner.id,
    }


def make_closure(first_day: date, last_day: date | None = None, reason: str = "Studiedag") -> Any:
    from straxlab.lab_calendar.models import Closure

    closure = Closure(
        first_day=first_day, last_day=last_day or first_day, reason=reason, created_at=clock.now()
    )
    db.session.add(closure)
    db.session.flush()
    return closure


def make_team(
    coordinator: User, members: list[User] | tuple[User, ...] = (), *, name: str | None = None
) -> Any:
    """A design team with its coordinator and ``members`` active from today."""
    from straxlab.design_teams import services as teams

    team = teams.create_team(
        name=name or f"Ontwerpteam {next(_sequence)}",
        theme="Lesmateriaal met VR",
        department="Zorg en Welzijn",
        coordinator=coordinator,
        actor=coordinator,
        now=clock.now(),
    )
    for member in members:
        teams.add_member(team, member, actor=coordinator, now=clock.now())
    db.session.flush()
    return team


def make_programme(
    team: Any,
    *,
    weekday: int | None = None,
    first_day: date | None = None,
    day_count: int = 4,
    starts: str = "09:00",
    ends: str = "16:00",
    approve_by: User | None = None,
) -> Any:
    """A programme request for ``team`` (approved when ``approve_by`` is given)."""
    from datetime import time

    from straxlab.design_teams import services as teams

    first_day = first_day or next_lab_day(7)
    coordinator = db.session.get(User, team.coordinator_id)
    programme = teams.request_programme(
        team,
        weekday=weekday or first_day.isoweekday(),
        second_weekday=None,
        starts=time.fromisoformat(starts),
        ends=time.fromisoformat(ends),
        first_day=first_day,
        day_count=day_count,
        note="",
        actor=coordinator,
        now=clock.now(),
    )
    if approve_by is not None:
        teams.approve(programme, actor=approve_by, now=clock.now())
    db.session.flush()
    return programme


def make_design_team_objects(owner: User) -> dict[str, int]:
    """Another teacher's team with an approved programme and a waiting request of a second
    team, a closure: the placeholders {team}, {programme}, {request}, {design_day},
    {membership}, {member}, {closure} of the authorisation matrix."""
    from datetime import timedelta

    import sqlalchemy as sa

    from straxlab.design_teams.models import DesignDay, Membership

    staff = make_user(role="staff", email="labmedewerker-matrix@school.example")
    member = make_user(email="teamlid@school.example")
    team = make_team(owner, [member], name="VR in de zorgopleiding")
    programme = make_programme(team, approve_by=staff)
    other = make_team(
        make_user(email="trekker@school.example"),
        [make_user(email="teamlid2@school.example")],
        name="Drones bij bouw en infra",
    )
    start = next_lab_day(8)
    request = make_programme(other, first_day=start)
    design_day = db.session.scalars(
        sa.select(DesignDay).where(DesignDay.programme_id == programme.id).order_by(DesignDay.day)
    ).first()
    membership = db.session.scalar(
        sa.select(Membership).where(Membership.team_id == team.id, Membership.user_id == member.id)
    )
    closure = make_closure(start + timedelta(days=200), reason="Studiedag")
    # Compliance: {team}'s plan waits for a decision; a milestone, a log entry (by the
    # coordinator) and a lesson scenario; {other_team} has a plan with one version.
    manager = make_user(role="manager", email="manager-matrix@school.example")
    make_plan(team, submit=True)
    make_plan(other, approve_by=manager)
    milestone = make_milestone(team)
    entry = make_progress_entry(team)
    scenario = make_scenario(team)
    return {
        "team": team.id,
        "programme": programme.id,
        "request": request.id,
        "design_day": design_day.id,
        "membership": membership.id,
        "member": member.id,
        "closure": closure.id,
        "other_team": other.id,
        "milestone": milestone.id,
        "entry": entry.id,
        "scenario": scenario.id,
    }


def next_lab_day(days_ahead: int) -> date:
    """The first Monday-to-Friday date at least ``days_ahead`` days from today (lab zone)."""
    from datetime import timedelta

    from straxlab.design_teams import services as teams

    day = teams.today(clock.now()) + timedelta(days=days_ahead)
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    return day


def make_plan(team: Any, *, submit: bool = False, approve_by: User | None = None) -> Any:
    """A complete plan for ``team``, written by its coordinator (submitted, or approved)."""
    from straxlab.compliance import services as compliance
    from straxlab.compliance.rules import ActivityKind

    coordinator = db.session.get(User, team.coordinator_id)
    plan = compliance.save_plan(
        team,
        goals="Lessen met VR-brillen ontwerpen voor de zorgopleiding.",
        collaboration="Anna schrijft de scenario's, Bram test ze in de klas.",
        intended_scenarios="Een VR-les over tiltechnieken.",
        activities=[
            compliance.ActivityInput(ActivityKind.WORKSHOP, "Workshop VR-didactiek", "Anna", 8),
            compliance.ActivityInput(ActivityKind.PEER_OBSERVATION, "Elkaars les bekijken", "", 4),
        ],
        actor=coordinator,
        now=clock.now(),
    )
    if submit or approve_by is not None:
        compliance.submit_plan(team, actor=coordinator, now=clock.now())
    if approve_by is not None:
        compliance.approve_plan(plan, actor=approve_by, now=clock.now())
    db.session.flush()
    return plan


def make_milestone(team: Any, *, title: str = "Eerste les getest", **overrides: Any) -> Any:
    from datetime import timedelta

    from straxlab.compliance import services as compliance

    coordinator = db.session.get(User, team.coordinator_id)
    values: dict[str, Any] = {"due_on": date.today() + timedelta(days=30), **overrides}
    return compliance.add_milestone(team, title=title, actor=coordinator, now=clock.now(), **values)


def make_progress_entry(
    team: Any, *, author: User | None = None, text: str = "Les 1 getest."
) -> Any:
    from straxlab.compliance import services as compliance
    from straxlab.design_teams import services as teams

    author = author or db.session.get(User, team.coordinator_id)
    return compliance.add_progress(
        team,
        written_on=teams.today(clock.now()),
        text=text,
        actor=author,
        now=clock.now(),
    )


def make_scenario(team: Any, **overrides: Any) -> Any:
    from straxlab.compliance import services as compliance

    coordinator = db.session.get(User, team.coordinator_id)
    data = compliance.ScenarioInput(
        **{"title": "Tillen met VR", "course": "Verpleegkunde", "cohort": "VP2A", **overrides}
    )
    return compliance.add_scenario(team, data, actor=coordinator, now=clock.now())
