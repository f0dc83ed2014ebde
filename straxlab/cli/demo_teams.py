"""The design-team part of ``flask demo``: the lab calendar, four teams, their lab days.

Told through the real services, each step at the moment it happened: teams formed about
twelve weeks ago, three programmes approved then (two on Tuesday, one on Thursday), the
design days since then held with attendance, a study day that cancelled one lab day, and
today a fourth team asking for the Tuesday that is already full.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import click
import sqlalchemy as sa

from straxlab.auth import services as auth_services
from straxlab.auth.models import User
from straxlab.cli.demo import DEMO_DOMAIN
from straxlab.core import settings
from straxlab.core.errors import DomainError
from straxlab.design_teams import services
from straxlab.design_teams.models import Attendance, DesignDay, DesignTeam, Programme
from straxlab.design_teams.rules import DesignDayStatus, ProgrammeStatus
from straxlab.extensions import db
from straxlab.lab_calendar import services as lab_calendar
from straxlab.lab_calendar.models import Closure
from straxlab.lab_calendar.rules import local_instant
from straxlab.lab_calendar.settings import HOLIDAY_REGION, LAB_CAPACITY

TUESDAY, THURSDAY = 2, 4

# The demo lab is one room: two team places a day instead of the default four. With the
# teachers the demo has, that is what lets Tuesday (the day most teams want) be full with two
# approved teams, so the waiting request shows what competing for a full day looks like,
# while Thursday still has a place (the request's second choice).
DEMO_CAPACITY = 2


@dataclass(frozen=True)
class TeamSpec:
    name: str
    theme: str
    department: str
    coordinator: str  # the local part of a demo e-mail address
    members: tuple[str, ...]


VR = TeamSpec(
    "VR in de zorgopleiding",
    "Virtuele rondleidingen door een zorgappartement en oefenen met lastige gesprekken in "
    "VR, voor de opleiding Verzorgende IG.",
    "Zorg en Welzijn",
    "a.visser",
    ("i.mulder", "e.hendriks"),
)
DRONES = TeamSpec(
    "Drones bij bouw en infra",
    "Luchtopnamen en inspecties van bouwplaatsen met drones in de lessen Bouwkunde en Infra.",
    "Bouw en Infra",
    "docent",
    ("m.yilmaz", "k.deboer"),
)
PODCASTS = TeamSpec(
    "Podcasts in Nederlands",
    "Studenten maken een podcastserie voor mondelinge taalvaardigheid (Nederlands 2F/3F).",
    "Algemene vakken",
    "l.jansen",
    ("d.smit", "docent", "e.hendriks"),
)
ESCAPE = TeamSpec(
    "Escape rooms in de techniek",
    "Studenten bouwen een escape room met sensoren en Arduino als eindopdracht Techniek.",
    "Techniek",
    "p.vandijk",
    ("t.vermeulen", "y.koster"),
)

STUDY_DAY = "Studiedag: teamscholing voor alle docenten"
CORRECTION = "Was er wel: vergat in te checken, staat op de presentielijst van het lab."


@dataclass
class TeamsSummary:
    teams: int = 0
    closures: int = 0
    programmes: Counter[ProgrammeStatus] = field(default_factory=Counter)
    design_days: Counter[DesignDayStatus] = field(default_factory=Counter)
    present: int = 0
    absent: int = 0
    self_check_ins: int = 0
    story_skipped: str = ""

    def lines(self) -> list[str]:
        if self.story_skipped:
            return [f"Design-team demo: not built, because: {self.story_skipped}"]
        programmes = ", ".join(f"{self.programmes[s]} {s.value}" for s in ProgrammeStatus)
        days = ", ".join(f"{self.design_days[s]} {s.value}" for s in DesignDayStatus)
        return [
            f"Design-team demo: {self.teams} teams, {self.closures} closures, "
            f"lab capacity {DEMO_CAPACITY} teams a day.",
            f"  Programmes: {programmes}.",
            f"  Design days: {days}.",
            f"  Attendance: {self.present} present ({self.self_check_ins} self check-ins), "
            f"{self.absent} absent.",
        ]


def has_teams() -> bool:
    return bool(db.session.scalar(sa.select(sa.func.count()).select_from(DesignTeam)))


def load_teams_demo(now: datetime) -> TeamsSummary | None:
    """Build the design-team demo around ``now``; None if the database already has teams
    (so a second run changes nothing)."""
    if has_teams():
        return None
    summary = TeamsSummary()
    users = _demo_users()
    try:
        # Changed lab hours or weekdays can make a step impossible: then nothing of the
        # design-team demo is kept, and the rest of the demo still loads.
        with db.session.begin_nested():
            _team_story(users, now)
    except DomainError as exc:
        summary.story_skipped = str(exc)
        return summary
    db.session.flush()
    summary.teams = db.session.scalar(sa.select(sa.func.count()).select_from(DesignTeam)) or 0
    summary.closures = db.session.scalar(sa.select(sa.func.count()).select_from(Closure)) or 0
    programmes = sa.select(Programme.status, sa.func.count()).group_by(Programme.status)
    summary.programmes.update({status: count for status, count in db.session.execute(programmes)})
    days = sa.select(DesignDay.status, sa.func.count()).group_by(DesignDay.status)
    summary.design_days.update({status: count for status, count in db.session.execute(days)})
    for attendance in db.session.scalars(sa.select(Attendance)):
        if attendance.present:
            summary.present += 1
            summary.self_check_ins += attendance.recorded_by_id is None
        else:
            summary.absent += 1
    return summary


def _demo_users() -> dict[str, User]:
    users = {}
    for local in sorted({"balie", *_people(VR, DRONES, PODCASTS, ESCAPE)}):
        user = auth_services.find_by_email(f"{local}@{DEMO_DOMAIN}")
        if user is None:
            raise click.ClickException(f"The demo account {local}@{DEMO_DOMAIN} is missing.")
        users[local] = user
    return users


def _people(*teams: TeamSpec) -> set[str]:
    return {person for team in teams for person in (team.coordinator, *team.members)}


def _on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.isoweekday()) % 7)


def _team_story(users: dict[str, User], now: datetime) -> None:
    zone = services.lab_zone()
    today = services.today(now)
    joost = users["balie"]

    def at(day: date, wall: str) -> datetime:
        return local_instant(day, time.fromisoformat(wall), zone)

    # The teams formed on a Monday about twelve weeks ago.
    formed = _on_or_after(today - timedelta(weeks=12), 1)

    # The lab calendar first: the holidays of every year the programmes touch, as staff
    # would import them (the preview, then confirm), and the lab's capacity.
    region = settings.get(HOLIDAY_REGION.key)
    for year in range(formed.year, today.year + 2):
        if year not in lab_calendar.HOLIDAY_YEARS:
            continue
        rows = lab_calendar.holiday_preview(year, region, "nl")
        lab_calendar.import_holidays(
            [row.period for row in rows if not row.known],
            actor_id=joost.id,
            now=at(formed - timedelta(days=7), "09:10"),
        )
    settings.put(
        LAB_CAPACITY.key,
        DEMO_CAPACITY,
        actor_id=joost.id,
        now=at(formed - timedelta(days=7), "09:20"),
    )

    def form(spec: TeamSpec, when: datetime) -> DesignTeam:
        coordinator = users[spec.coordinator]
        team = services.create_team(
            name=spec.name,
            theme=spec.theme,
            department=spec.department,
            coordinator=coordinator,
            actor=coordinator,
            now=when,
        )
        for member in spec.members:
            services.add_member(team, users[member], actor=coordinator, now=when)
        return team

    def ask(
        team: DesignTeam,
        spec: TeamSpec,
        when: datetime,
        weekday: int,
        first_day: date,
        hours: tuple[str, str],
        note: str,
        second_weekday: int | None = None,
    ) -> Programme:
        return services.request_programme(
            team,
            weekday=weekday,
            second_weekday=second_weekday,
            starts=time.fromisoformat(hours[0]),
            ends=time.fromisoformat(hours[1]),
            first_day=first_day,
            day_count=20,
            note=note,
            actor=users[spec.coordinator],
            now=when,
        )

    vr = form(VR, at(formed, "10:00"))
    podcasts = form(PODCASTS, at(formed, "11:30"))
    drones = form(DRONES, at(formed + timedelta(days=1), "14:00"))

    vr_days = ask(
        vr,
        VR,
        at(formed, "10:20"),
        TUESDAY,
        _on_or_after(formed + timedelta(days=7), TUESDAY),
        ("09:00", "16:00"),
        "We willen de VR-brillen van het lab gebruiken en op dinsdag werken, dan hebben we "
        "alle drie geen lesuren.",
    )
    services.approve(vr_days, actor=joost, now=at(formed + timedelta(days=1), "09:30"))
    podcast_days = ask(
        podcasts,
        PODCASTS,
        at(formed + timedelta(days=2), "15:00"),
        THURSDAY,
        _on_or_after(formed + timedelta(days=9), THURSDAY),
        ("09:00", "15:30"),
        "Graag de geluidsstudio erbij, voor de opnamen met de Zoom-recorders.",
    )
    services.approve(podcast_days, actor=joost, now=at(formed + timedelta(days=3), "10:15"))
    drone_days = ask(
        drones,
        DRONES,
        at(formed + timedelta(days=14), "12:40"),
        TUESDAY,
        _on_or_after(formed + timedelta(days=21), TUESDAY),
        ("09:30", "16:00"),
        "Dinsdag past het best bij de stages van Bouw en Infra; donderdag kan ook.",
        second_weekday=THURSDAY,
    )
    services.approve(drone_days, actor=joost, now=at(formed + timedelta(days=15), "09:05"))

    # The design days so far, with attendance: staff ticked the list during the day, some
    # members scanned the code at the door themselves, now and then someone was absent.
    # Today's days are left open, so a member can still check in on the day.
    held = db.session.scalars(
        sa.select(DesignDay)
        .where(
            DesignDay.day < today,
            DesignDay.ends_at <= now,
            DesignDay.status == DesignDayStatus.SCHEDULED,
        )
        .order_by(DesignDay.day, DesignDay.team_id)
    ).all()
    corrected = False
    for number, design_day in enumerate(held):
        members = services.active_members(design_day.team_id, design_day.day)
        for position, membership in enumerate(members):
            member = membership.user
            if (number * 3 + position) % 11 == 5:
                services.record_attendance(
                    design_day,
                    user=member,
                    present=False,
                    reason="",
                    actor=joost,
                    now=design_day.ends_at + timedelta(minutes=5),
                )
                if not corrected and number > 2:
                    # Forgot to scan, was on the lab's own list: staff correct it next day.
                    services.record_attendance(
                        design_day,
                        user=member,
                        present=True,
                        reason=CORRECTION,
                        actor=joost,
                        now=design_day.ends_at + timedelta(days=1),
                    )
                    corrected = True
            elif (number + position) % 3 == 0:
                services.check_in(
                    design_day,
                    user=member,
                    now=design_day.starts_at + timedelta(minutes=3 + 7 * position),
                )
            else:
                services.record_attendance(
                    design_day,
                    user=member,
                    present=True,
                    reason="",
                    actor=joost,
                    now=design_day.starts_at + timedelta(minutes=25),
                )

    # A study day later this term, added by staff yesterday: it cancels that Thursday's
    # design day (kept, marked cancelled with the reason).
    study_day = db.session.scalar(
        sa.select(sa.func.min(DesignDay.day)).where(
            DesignDay.programme_id == podcast_days.id,
            DesignDay.day >= today + timedelta(days=10),
            DesignDay.status == DesignDayStatus.SCHEDULED,
        )
    ) or _on_or_after(today + timedelta(days=10), THURSDAY)
    services.close_lab(
        first_day=study_day,
        last_day=study_day,
        reason=STUDY_DAY,
        actor=joost,
        now=now - timedelta(days=1),
    )

    # Today: a new team asks for Tuesday, where both places are taken for weeks to come.
    escape = form(ESCAPE, now - timedelta(days=10))
    ask(
        escape,
        ESCAPE,
        now,
        TUESDAY,
        _on_or_after(today + timedelta(days=7), TUESDAY),
        ("09:00", "16:00"),
        "Liefst dinsdag, dan kunnen we de praktijklokalen van Techniek erbij gebruiken. "
        "Donderdag kan ook.",
        second_weekday=THURSDAY,
    )

    services.close_past_days(now)
