"""``flask demo``: a small, realistic lab to try straxlab with."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from straxlab.auth import services as auth_services
from straxlab.auth.models import User
from straxlab.auth.rules import Role
from straxlab.core import clock
from straxlab.core.errors import DomainError
from straxlab.equipment import rules, services
from straxlab.equipment.models import (
    Asset,
    Category,
    EquipmentType,
    Kit,
    KitComponent,
    Qualification,
    Reservation,
)
from straxlab.equipment.rules import AssetStatus, Interval, OpeningHours, ReservationStatus
from straxlab.equipment.settings import opening_hours
from straxlab.extensions import db

DEMO_DOMAIN = "straxlab.example"
DEMO_PASSWORD = "Proeftuin-in-het-lab-2026"  # noqa: S105 (printed on purpose: demo only)

# (e-mail, name, role); the first three are the logins make run prints.
DEMO_USERS = [
    (f"docent@{DEMO_DOMAIN}", "Sanne de Vries", Role.TEACHER),
    (f"balie@{DEMO_DOMAIN}", "Joost Bakker", Role.STAFF),
    (f"manager@{DEMO_DOMAIN}", "Fatima El Amrani", Role.MANAGER),
    (f"m.yilmaz@{DEMO_DOMAIN}", "Mehmet Yılmaz", Role.TEACHER),  # noqa: RUF001 (a Turkish name)
    (f"l.jansen@{DEMO_DOMAIN}", "Lotte Jansen", Role.TEACHER),
    (f"p.vandijk@{DEMO_DOMAIN}", "Pieter van Dijk", Role.TEACHER),
    (f"a.visser@{DEMO_DOMAIN}", "Anouk Visser", Role.TEACHER),
    (f"d.smit@{DEMO_DOMAIN}", "Daan Smit", Role.TEACHER),
    (f"n.bosman@{DEMO_DOMAIN}", "Noor Bosman", Role.STAFF),
    # Teachers in the design teams (cli/demo_teams.py).
    (f"i.mulder@{DEMO_DOMAIN}", "Ingrid Mulder", Role.TEACHER),
    (f"e.hendriks@{DEMO_DOMAIN}", "Emma Hendriks", Role.TEACHER),
    (f"k.deboer@{DEMO_DOMAIN}", "Kevin de Boer", Role.TEACHER),
    (f"t.vermeulen@{DEMO_DOMAIN}", "Thijs Vermeulen", Role.TEACHER),
    (f"y.koster@{DEMO_DOMAIN}", "Yara Koster", Role.TEACHER),
]

DRONE_QUALIFICATION = "Drone pilot A1/A3"
# Teachers who showed their EU drone certificate at the desk.
DRONE_PILOTS = {
    f"docent@{DEMO_DOMAIN}": "EU-dronebewijs A1/A3 gezien, nummer NLD-RP-4f8a21c90e37.",
    f"m.yilmaz@{DEMO_DOMAIN}": "EU-dronebewijs A1/A3 gezien, nummer NLD-RP-9b1d07e5a2c4.",
}

CATEGORIES = {
    "Drones": "Drones voor luchtopnamen, met accu's en koffers. Alleen voor docenten met een "
    "geldig EU-dronebewijs A1/A3.",
    "Audio": "Recorders en draadloze microfoons voor interviews, podcasts en geluidsopnamen.",
    "Video & foto": "Actiecamera's en 360°-camera's voor vlogs, instructievideo's en virtuele "
    "rondleidingen.",
    "VR": "VR-brillen voor simulaties en virtuele excursies in de les.",
    "Licht": "Lampen en statieven voor video-opnamen en productfotografie.",
}


@dataclass(frozen=True)
class TypeSpec:
    name: str
    category: str
    description: str
    serials: tuple[str, ...]  # one per asset; the tags are <prefix>-01, -02, ...
    tag_prefix: str
    settings: dict[str, Any] = field(default_factory=dict)


CATALOGUE = [
    TypeSpec(
        "DJI Mini 4 Pro",
        "Drones",
        "Lichte drone (minder dan 249 g) met 4K/60p-camera en rondom obstakeldetectie. Vliegen "
        "in de open categorie A1/A3; op school alleen na overleg met de balie. Na elke vlucht "
        "een uur laden.",
        ("1581F6Q8D24310K7", "1581F6Q8D24310M2", "1581F6Q8D2432A15"),
        "DRN",
        {
            "needs_approval": True,
            "required_qualification": DRONE_QUALIFICATION,
            "holds_recordings": True,
            "turnaround_minutes": 60,
            "max_loan_days": 3,
            "max_advance_days": 60,
        },
    ),
    TypeSpec(
        "Drone-accu",
        "Drones",
        "Intelligent Flight Battery Plus voor de DJI Mini 4 Pro, goed voor ongeveer 45 minuten "
        "vliegen. Wordt na inleveren opgeladen.",
        (
            "4ERKM8C0A30012",
            "4ERKM8C0A30019",
            "4ERKM8C0A3002F",
            "4ERKM8C0A30031",
            "4ERKM8C0A3003C",
            "4ERKM8C0A30047",
        ),
        "ACC",
        {"turnaround_minutes": 60, "max_loan_days": 3},
    ),
    TypeSpec(
        "Dronekoffer",
        "Drones",
        "Harde koffer met plaats voor een drone, afstandsbediening, drie accu's en reserve-"
        "propellers.",
        ("", "", ""),
        "KOF",
        {"max_loan_days": 3},
    ),
    TypeSpec(
        "Zoom H5 recorder",
        "Audio",
        "Draagbare recorder met XY-microfoon, twee XLR-ingangen en windkap. Neemt op op een "
        "SD-kaart: wis de kaart voor het inleveren, er staan vaak stemmen van studenten op.",
        ("E2K035841", "E2K035857", "E2K035863", "E2K036102", "E2K036118", "E2K036124"),
        "H5",
        {"holds_recordings": True, "turnaround_minutes": 15},
    ),
    TypeSpec(
        "Rode Wireless GO II microfoonset",
        "Audio",
        "Twee draadloze zenders met clip-microfoon en één ontvanger voor camera of telefoon. "
        "Slaat opnamen ook intern op: wis ze voor het inleveren.",
        ("WGII-2303-04417", "WGII-2303-04452"),
        "MIC",
        {"holds_recordings": True},
    ),
    TypeSpec(
        "Meta Quest 3",
        "VR",
        "Standalone VR-bril met twee controllers en oplaadkabel. Wordt na elk gebruik "
        "schoongemaakt en geladen; vraag hem ruim op tijd aan.",
        ("2G0YC5ZF8K0318", "2G0YC5ZF8K0326", "2G0YC5ZF8K0331", "2G0YC5ZF8K0347"),
        "VR",
        {"needs_approval": True, "turnaround_minutes": 30},
    ),
    TypeSpec(
        "Insta360 X4",
        "Video & foto",
        "360°-camera (8K) voor virtuele rondleidingen door een praktijklokaal of bedrijf. Met "
        "selfiestick en microSD-kaart: wis de kaart voor het inleveren.",
        ("IAXBH2406M1A27", "IAXBH2406M1A53"),
        "360",
        {"holds_recordings": True},
    ),
    TypeSpec(
        "GoPro HERO12 Black",
        "Video & foto",
        "Waterdichte actiecamera voor vlogs en opnamen vanuit het perspectief van de student, "
        "met twee accu's.",
        ("C3501325418236",),
        "GP",
        {"holds_recordings": True},
    ),
    TypeSpec(
        "GoPro-toebehoren (mountset)",
        "Video & foto",
        "Borstharnas, hoofdband, zuignap en stuurklem voor de GoPro.",
        ("",),
        "GPM",
    ),
    TypeSpec(
        "LED-lichtset",
        "Licht",
        "Twee LED-panelen (bi-colour, dimbaar) met statieven en draagtas, voor interviews en "
        "instructievideo's.",
        ("NL660-2311-0087", "NL660-2311-0093"),
        "LIC",
    ),
]

# What the desk noted about gear that has been around for a while.
CONDITION_NOTES = {
    "H5-04": "Kras op de behuizing en het display; werkt goed.",
    "ACC-06": "Houdt iets minder lang stroom (ongeveer 35 minuten vliegen).",
}

KITS = [
    (
        "Dronekit",
        "Alles voor een vlucht: een DJI Mini 4 Pro, twee accu's en een koffer.",
        {"DJI Mini 4 Pro": 1, "Drone-accu": 2, "Dronekoffer": 1},
    ),
    (
        "GoPro-kit",
        "De GoPro HERO12 met de mountset (borstharnas, hoofdband, zuignap).",
        {"GoPro HERO12 Black": 1, "GoPro-toebehoren (mountset)": 1},
    ),
]


class NotDemoData(click.ClickException):
    pass


def load_demo() -> list[User]:
    """Create whatever demo data is missing; refuse if the database holds real data."""
    foreign = db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(~User.email.endswith("@" + DEMO_DOMAIN))
    )
    if foreign:
        raise NotDemoData(
            f"This database holds {foreign} account(s) that are not demo accounts; "
            "the demo loader refuses to mix demo data with real data."
        )
    now = clock.now()
    created = []
    for email, name, role in DEMO_USERS:
        user = auth_services.find_by_email(email)
        if user is None:
            user, _ = auth_services.create_user(
                actor=None, email=email, name=name, role=role, password=DEMO_PASSWORD, now=now
            )
            created.append(user)
    return created


def database_is_empty() -> bool:
    return not db.session.scalar(sa.select(sa.func.count()).select_from(User))


def has_equipment() -> bool:
    return bool(
        db.session.scalar(sa.select(sa.func.count()).select_from(Category))
        or db.session.scalar(sa.select(sa.func.count()).select_from(EquipmentType))
    )


class DeskDays:
    """Days the desk is open around today, and wall-clock instants on them (lab zone).

    ``past(1)`` is the last open day before today, ``ahead(1)`` the first one after it; today
    itself is left out, so the story works at any time of day.
    """

    RANGE = 60

    def __init__(self, now: datetime, zone: ZoneInfo, hours: OpeningHours) -> None:
        self.zone, self.hours = zone, hours
        today = now.astimezone(zone).date()
        span = timedelta(days=self.RANGE)
        closed = services.closures_between(today - span, today + span)

        def is_open(day: date) -> bool:
            return day.isoweekday() in hours.weekdays and not any(c.covers(day) for c in closed)

        offsets = range(1, self.RANGE + 1)
        self._past = [d for d in (today - timedelta(days=n) for n in offsets) if is_open(d)]
        self._ahead = [d for d in (today + timedelta(days=n) for n in offsets) if is_open(d)]

    def past(self, n: int, at: str) -> datetime:
        return self._instant(self._past, n, at)

    def ahead(self, n: int, at: str) -> datetime:
        return self._instant(self._ahead, n, at)

    def _instant(self, days: list[date], n: int, at: str) -> datetime:
        if len(days) < n:
            raise click.ClickException("The desk is open on too few days to build the demo.")
        wall = rules.parse_time_of_day(at)
        # Keep pickups and returns inside the desk's hours, should they have been changed.
        wall = min(max(wall, self.hours.opens), self.hours.closes)
        return rules.local_instant(days[n - 1], wall, self.zone)


@dataclass
class LendingSummary:
    categories: int = 0
    types: int = 0
    assets: int = 0
    kits: int = 0
    qualifications: int = 0
    by_status: Counter[ReservationStatus] = field(default_factory=Counter)
    overdue: int = 0
    maintenance: list[str] = field(default_factory=list)
    story_skipped: str = ""

    def lines(self) -> list[str]:
        if self.story_skipped:
            return [
                f"Lending demo: {self.categories} categories, {self.types} equipment types, "
                f"{self.assets} assets, {self.kits} kits; no reservations, because: "
                f"{self.story_skipped}"
            ]
        statuses = ", ".join(f"{self.by_status[s]} {s.value}" for s in ReservationStatus)
        return [
            f"Lending demo: {self.categories} categories, {self.types} equipment types, "
            f"{self.assets} assets, {self.kits} kits, "
            f"{self.qualifications} drone pilot qualification(s).",
            f"  {sum(self.by_status.values())} reservations: {statuses}.",
            f"  {self.overdue} overdue loan(s); in maintenance: "
            f"{', '.join(self.maintenance) or 'nothing'}.",
        ]


def load_lending_demo(now: datetime) -> LendingSummary | None:
    """Build the demo catalogue and a few weeks of lending around ``now``; None if the
    database already has equipment (so a second run changes nothing)."""
    if has_equipment():
        return None
    users: dict[str, User] = {}
    for email, _name, _role in DEMO_USERS:
        user = auth_services.find_by_email(email)
        if user is None:
            raise click.ClickException(f"The demo account {email} is missing.")
        users[email.split("@")[0]] = user
    summary = LendingSummary()
    types, kits = _build_catalogue(now, summary)
    for email, note in DRONE_PILOTS.items():
        _qualify(users[email.split("@")[0]], users["balie"], now, note, summary)
    days = DeskDays(now, services.lab_zone(), opening_hours())
    try:
        # Changed desk hours or a long closure can make a step of the story impossible;
        # the catalogue is still worth having, so only the story is rolled back.
        with db.session.begin_nested():
            _lending_story(users, types, kits, days, now)
    except DomainError as exc:
        summary.story_skipped = str(exc)
    db.session.flush()
    for status, count in db.session.execute(
        sa.select(Reservation.status, sa.func.count()).group_by(Reservation.status)
    ):
        summary.by_status[status] = count
    summary.overdue = sum(
        rules.is_overdue(status, ends_at, False, now)
        for status, ends_at in db.session.execute(
            sa.select(Reservation.status, Reservation.ends_at).where(
                Reservation.status == ReservationStatus.CHECKED_OUT
            )
        )
    )
    summary.maintenance = list(
        db.session.scalars(
            sa.select(Asset.tag).where(Asset.status == AssetStatus.MAINTENANCE).order_by(Asset.tag)
        )
    )
    return summary


def _build_catalogue(
    now: datetime, summary: LendingSummary
) -> tuple[dict[str, EquipmentType], dict[str, Kit]]:
    bought = now - timedelta(days=240)
    categories = {name: Category(name=name, description=text) for name, text in CATEGORIES.items()}
    db.session.add_all(categories.values())
    types: dict[str, EquipmentType] = {}
    for spec in CATALOGUE:
        equipment_type = EquipmentType(
            name=spec.name,
            category=categories[spec.category],
            description=spec.description,
            **spec.settings,
        )
        db.session.add(equipment_type)
        types[spec.name] = equipment_type
        for number, serial in enumerate(spec.serials, start=1):
            db.session.add(
                Asset(
                    equipment_type=equipment_type,
                    tag=f"{spec.tag_prefix}-{number:02d}",
                    serial_number=serial,
                    condition_note=CONDITION_NOTES.get(f"{spec.tag_prefix}-{number:02d}", ""),
                    created_at=bought,
                )
            )
            summary.assets += 1
    db.session.flush()
    kits: dict[str, Kit] = {}
    for name, description, contents in KITS:
        kit = Kit(name=name, description=description)
        kit.components = [
            KitComponent(equipment_type_id=types[type_name].id, quantity=quantity)
            for type_name, quantity in contents.items()
        ]
        db.session.add(kit)
        kits[name] = kit
    db.session.flush()
    summary.categories, summary.types, summary.kits = len(categories), len(types), len(kits)
    return types, kits


def _qualify(user: User, staff: User, now: datetime, note: str, summary: LendingSummary) -> None:
    exists = db.session.scalar(
        sa.select(Qualification.id).where(
            Qualification.user_id == user.id, Qualification.kind == DRONE_QUALIFICATION
        )
    )
    if exists is not None:
        return
    today = now.astimezone(services.lab_zone()).date()
    db.session.add(
        Qualification(
            user_id=user.id,
            kind=DRONE_QUALIFICATION,
            valid_until=date(today.year + 1, today.month, 1),
            checked_by_id=staff.id,
            checked_at=now - timedelta(days=45),
            note=note,
        )
    )
    summary.qualifications += 1


def _lending_story(
    users: dict[str, User],
    types: dict[str, EquipmentType],
    kits: dict[str, Kit],
    days: DeskDays,
    now: datetime,
) -> None:
    """Three weeks at the desk, told in the order it happened, through the real services.

    Every step passes the moment it happened as ``now``, so each rule applies as it would
    have then: pickups and returns in desk hours, loan limits, approvals before the start.
    """
    sanne, mehmet, lotte = users["docent"], users["m.yilmaz"], users["l.jansen"]
    pieter, anouk, daan = users["p.vandijk"], users["a.visser"], users["d.smit"]
    joost = users["balie"]
    past, ahead = days.past, days.ahead

    def reserve(
        who: Any, what: EquipmentType | Kit, start: datetime, end: datetime, purpose: str, **kw: Any
    ) -> Reservation:
        target = {"kit": what} if isinstance(what, Kit) else {"equipment_type": what}
        return services.request_reservation(
            who,
            actor=who,
            period=Interval(start, end),
            quantity=kw.pop("quantity", 1),
            purpose=purpose,
            now=kw.pop("at"),
            **target,
        )

    def hand_out(reservation: Reservation, condition: str) -> None:
        services.check_out(reservation, actor=joost, now=reservation.starts_at, condition=condition)

    def take_in(reservation: Reservation, at: datetime, condition: str = "", **kw: Any) -> None:
        services.take_back(
            reservation,
            actor=joost,
            now=at,
            asset_ids=[item.asset_id for item in reservation.items],
            condition=condition,
            **kw,
        )

    h5, quest, lights = types["Zoom H5 recorder"], types["Meta Quest 3"], types["LED-lichtset"]
    mics, camera360 = types["Rode Wireless GO II microfoonset"], types["Insta360 X4"]
    drone_kit, gopro_kit = kits["Dronekit"], kits["GoPro-kit"]

    # Two weeks ago: recorders for a podcast, a VR headset that came back broken, lights.
    podcast = reserve(
        lotte,
        h5,
        past(7, "09:00"),
        past(5, "16:00"),
        "Podcastproject Nederlands, klas 2B: interviews met ouderejaars.",
        quantity=2,
        at=past(9, "10:15"),
    )
    vr_lesson = reserve(
        anouk,
        quest,
        past(6, "09:00"),
        past(6, "16:00"),
        "Virtuele rondleiding door een zorgappartement, les Zorg & Welzijn.",
        at=past(9, "11:40"),
    )
    services.approve(vr_lesson, actor=joost, now=past(8, "09:15"), note="Veel plezier!")
    interview_light = reserve(
        pieter,
        lights,
        past(6, "10:00"),
        past(4, "15:00"),
        "Instructievideo's opnemen voor de opleiding Mediavormgeving.",
        at=past(8, "14:05"),
    )
    hand_out(podcast, "Compleet: recorder, windkap, SD-kaart 32 GB en koffertje (2×).")
    hand_out(vr_lesson, "Bril, twee controllers, oplaadkabel; lenzen schoon.")
    hand_out(interview_light, "Twee panelen, twee statieven, draagtas.")
    take_in(
        vr_lesson,
        past(6, "15:45"),
        "Bril in orde; linkercontroller defect.",
        damaged_asset_ids=[vr_lesson.items[0].asset_id],
        damage_report="Linkercontroller: de joystick drijft af en de trekker reageert niet "
        "altijd. Ter reparatie naar de leverancier; tot dan niet uitlenen.",
    )

    # Last week: a microphone set that has not come back, the podcast recorders returned.
    mic_loan = reserve(
        daan,
        mics,
        past(3, "10:00"),
        past(1, "16:00"),
        "Interviews opnemen voor de film over de open dag.",
        at=past(5, "11:20"),
    )
    take_in(
        podcast,
        past(5, "15:30"),
        "Compleet terug; geheugenkaarten bij de balie leeggemaakt.",
        card_wiped=True,
    )
    recorders_out = reserve(
        mehmet,
        h5,
        past(2, "10:00"),
        ahead(1, "15:00"),
        "Geluidsopnamen in de praktijkhal voor de lessenreeks Techniek.",
        quantity=2,
        at=past(4, "10:05"),
    )
    stale = reserve(
        anouk,
        quest,
        past(2, "09:00"),
        past(2, "16:00"),
        "Proefles VR met collega's van de sectie Zorg.",
        quantity=2,
        at=past(4, "11:30"),
    )
    take_in(
        interview_light, past(4, "14:50"), "Eén statief klemt bij het uitschuiven; verder compleet."
    )
    hand_out(mic_loan, "Twee zenders, ontvanger, twee clip-microfoons en de oplaadcase.")
    excursion = reserve(
        sanne,
        camera360,
        ahead(2, "09:00"),
        ahead(2, "16:00"),
        "360°-opnamen tijdens de excursie naar het Nemo Science Museum.",
        at=past(3, "11:10"),
    )
    vlogs = reserve(
        pieter,
        gopro_kit,
        past(1, "09:00"),
        ahead(2, "16:00"),
        "Studenten filmen hun stagewerkdag vanuit hun eigen perspectief.",
        at=past(3, "14:25"),
    )
    # Nobody dealt with Anouk's request before its start: the expiry job caught it.
    services.expire_stale(now=stale.starts_at + timedelta(minutes=10))
    hand_out(recorders_out, "Compleet, met windkappen en twee SD-kaarten.")
    schoolyard = reserve(
        mehmet,
        drone_kit,
        ahead(2, "09:00"),
        ahead(2, "15:00"),
        "Luchtopnamen van het schoolplein voor de nieuwe schoolwebsite.",
        at=past(2, "11:45"),
    )
    hand_out(vlogs, "Camera met twee accu's, borstharnas, hoofdband en zuignap.")
    services.reject(
        schoolyard,
        actor=joost,
        now=past(1, "09:40"),
        reason="Die dag is de sportdag op het schoolplein; boven publiek vliegen mag niet in "
        "de open categorie. Kies een andere dag, dan keuren we hem snel goed.",
    )
    services.cancel_reservation(
        excursion,
        actor=sanne,
        now=past(1, "12:30"),
        reason="De excursie is verplaatst naar na de vakantie.",
    )
    reserve(
        lotte,
        h5,
        ahead(1, "09:00"),
        ahead(3, "16:00"),
        "Hoorspel opnemen met klas 3A, drie groepen tegelijk.",
        quantity=3,
        at=past(1, "13:10"),
    )
    campus_flight = reserve(
        mehmet,
        drone_kit,
        ahead(5, "09:00"),
        ahead(5, "16:00"),
        "Luchtopnamen van het schoolplein voor de nieuwe schoolwebsite (nieuwe datum).",
        at=past(1, "14:00"),
    )
    services.approve(campus_flight, actor=joost, now=past(1, "16:20"), note="Succes met vliegen!")

    # Today: new requests, two of them waiting for lab staff.
    reserve(
        sanne,
        drone_kit,
        ahead(3, "09:00"),
        ahead(3, "16:00"),
        "Drone-opnamen van het bouwterrein voor de opleiding Bouwkunde.",
        at=now,
    )
    reserve(
        anouk,
        quest,
        ahead(4, "10:00"),
        ahead(4, "15:00"),
        "Proefles VR met collega's van de sectie Zorg (nieuwe poging).",
        quantity=2,
        at=now,
    )
    reserve(
        pieter,
        camera360,
        ahead(4, "08:30"),
        ahead(5, "12:00"),
        "Virtuele rondleiding door het technieklokaal voor de open dag.",
        at=now,
    )
    reserve(
        daan,
        lights,
        ahead(6, "09:00"),
        ahead(7, "16:00"),
        "Portretfoto's van eerstejaars voor het studentenblad.",
        quantity=2,
        at=now,
    )


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has accounts.")
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Load demo data (safe to run twice; refuses a database with real data)."""
    if if_empty and not database_is_empty():
        click.echo("The database already has data; demo data not loaded.")
    else:
        from straxlab.cli.demo_compliance import load_compliance_demo
        from straxlab.cli.demo_teams import load_teams_demo

        created = load_demo()
        lending = load_lending_demo(clock.now())
        teams = load_teams_demo(clock.now())
        compliance = load_compliance_demo(clock.now())
        db.session.commit()
        click.echo(f"Demo data loaded ({len(created)} new account(s)).")
        if lending is None:
            click.echo("Lending demo: equipment already present, left as it is.")
        else:
            for line in lending.lines():
                click.echo(line)
        if teams is None:
            click.echo("Design-team demo: teams already present, left as it is.")
        else:
            for line in teams.lines():
                click.echo(line)
        if compliance is None:
            click.echo("Compliance demo: plans already present, left as it is.")
        else:
            for line in compliance.lines():
                click.echo(line)
    if auth_services.find_by_email(DEMO_USERS[0][0]) is None:
        return
    click.echo("Demo logins (password for each: " + DEMO_PASSWORD + "):")
    for email, name, role in DEMO_USERS[:3]:
        click.echo(f"  {role.value:<8} {email:<28} {name}")
