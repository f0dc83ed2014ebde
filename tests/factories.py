"""Factories that build valid objects, with overrides for what a test cares about."""

from __future__ import annotations

import itertools
from datetime import datetime
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
