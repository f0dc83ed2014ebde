"""The compliance part of ``flask demo``: plans, milestones, progress logs, lesson scenarios
and weekly snapshots for the four demo teams (cli/demo_teams.py).

Told through the real services, each step at the moment it happened and in that order, with
the weekly snapshots taken in between as the scheduled job would have taken them, so the
dashboard's trend moves the way the teams did. Dates count from the day each team formed and
from today, not from the first lab day: a holiday can push the lab days weeks later, the
story must hold all the same. Today the dashboard shows:

- "VR in de zorgopleiding" on track: its plan, returned once with a comment, was approved in
  its second version before the first lab day; milestones done on time with evidence; a log
  entry every two weeks; a lesson delivered in a regular course.
- "Podcasts in Nederlands" needs attention: a milestone six days overdue (within the grace)
  and a log entry due; its approved plan was revised and waits for a manager's decision.
  (Red instead in the weeks when a member's attendance in the design-team demo is too low.)
- "Drones bij bouw en infra" not on track: a milestone more than three weeks overdue, its
  plan returned and never resubmitted, and its log silent for six weeks.
- "Escape rooms in de techniek", new, with no lab days yet: needs attention, because its
  plan is still a draft after the date the team set itself to submit it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

import click
import sqlalchemy as sa
import sqlalchemy.orm as so

from straxlab.auth import services as auth_services
from straxlab.auth.models import User
from straxlab.cli.demo import DEMO_DOMAIN
from straxlab.cli.demo_teams import DRONES, ESCAPE, PODCASTS, VR, TeamSpec
from straxlab.compliance import services
from straxlab.compliance.assessment import assess_teams
from straxlab.compliance.models import (
    ComplianceSnapshot,
    LessonScenario,
    Milestone,
    ProfessionalisationPlan,
    ProgressEntry,
)
from straxlab.compliance.rules import ActivityKind, PlanStatus, Severity
from straxlab.compliance.services import ActivityInput, ScenarioInput
from straxlab.core import clock
from straxlab.core.errors import DomainError
from straxlab.design_teams import services as teams
from straxlab.design_teams.models import DesignTeam
from straxlab.extensions import db
from straxlab.lab_calendar.rules import local_instant

# The weeks before the current one that get a snapshot, so the trend has a history.
SNAPSHOT_WEEKS = 8
# The story needs this much history: the demo teams formed about twelve weeks ago.
HISTORY = timedelta(weeks=10)
WIKI = "https://wiki.straxlab.example"


class StoryDoesNotFit(DomainError):
    """The demo teams' dates leave no room for the story (say, teams formed only recently)."""


@dataclass
class ComplianceSummary:
    plans: Counter[PlanStatus] = field(default_factory=Counter)
    milestones: int = 0
    milestones_done: int = 0
    entries: int = 0
    scenarios: int = 0
    delivered: int = 0
    weeks: int = 0
    statuses: Counter[Severity] = field(default_factory=Counter)
    story_skipped: str = ""

    def lines(self) -> list[str]:
        if self.story_skipped:
            return [f"Compliance demo: not built, because: {self.story_skipped}"]
        plans = ", ".join(f"{self.plans[s]} {s.value}" for s in PlanStatus)
        statuses = ", ".join(f"{self.statuses[s]} {s.value}" for s in Severity)
        return [
            f"Compliance demo: plans {plans}.",
            f"  {self.milestones} milestones ({self.milestones_done} done), {self.entries} "
            f"progress entries, {self.scenarios} lesson scenarios ({self.delivered} delivered).",
            f"  Snapshots for {self.weeks} weeks; teams today: {statuses}.",
        ]


def has_plans() -> bool:
    return bool(db.session.scalar(sa.select(sa.func.count(ProfessionalisationPlan.id))))


def load_compliance_demo(now: datetime) -> ComplianceSummary | None:
    """Build the compliance demo on the demo teams; None if a plan exists already (so a second
    run changes nothing)."""
    if has_plans():
        return None
    summary = ComplianceSummary()
    try:
        # A step the services refuse (changed settings, dates that do not fit) leaves out the
        # whole compliance demo; the rest of the demo still loads.
        with db.session.begin_nested():
            _story(now)
    except DomainError as exc:
        summary.story_skipped = str(exc)
        return summary
    db.session.flush()
    for status, count in db.session.execute(
        sa.select(ProfessionalisationPlan.status, sa.func.count()).group_by(
            ProfessionalisationPlan.status
        )
    ):
        summary.plans[status] = count
    summary.milestones = _count(Milestone.id)
    summary.milestones_done = _count(Milestone.id, Milestone.done_on.is_not(None))
    summary.entries = _count(ProgressEntry.id)
    summary.scenarios = _count(LessonScenario.id)
    summary.delivered = _count(LessonScenario.id, LessonScenario.delivered_on.is_not(None))
    summary.weeks = (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(
                sa.select(ComplianceSnapshot.iso_year, ComplianceSnapshot.iso_week)
                .distinct()
                .subquery()
            )
        )
        or 0
    )
    all_teams = db.session.scalars(sa.select(DesignTeam).order_by(DesignTeam.id)).all()
    summary.statuses.update(
        item.status for item in assess_teams(all_teams, on=teams.today(now), now=now)
    )
    return summary


def _count(column: so.InstrumentedAttribute[int], *where: sa.ColumnElement[bool]) -> int:
    return db.session.scalar(sa.select(sa.func.count(column)).where(*where)) or 0


def _weekday_on_or_before(day: date) -> date:
    """A weekend date moves to the Friday before: people do this work on working days."""
    while day.isoweekday() > 5:
        day -= timedelta(days=1)
    return day


def _weekday_on_or_after(day: date) -> date:
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    return day


class _Timeline:
    """Steps gathered per team, then run in the order they happened, each at its moment."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.zone = teams.lab_zone()
        self.today = teams.today(now)
        self._steps: list[tuple[datetime, int, Callable[[datetime], object]]] = []

    def at(self, day: date, wall: str) -> datetime:
        return local_instant(day, time.fromisoformat(wall), self.zone)

    def ago(self, days: int) -> date:
        """A working day ``days`` (or a little more) before today."""
        return _weekday_on_or_before(self.today - timedelta(days=days))

    def step(self, when: datetime, action: Callable[[datetime], object]) -> None:
        if when >= self.now:
            raise StoryDoesNotFit("the demo teams formed too recently for the compliance story.")
        self._steps.append((when, len(self._steps), action))

    def run(self) -> None:
        for when, _, action in sorted(self._steps, key=lambda s: (s[0], s[1])):
            with clock.frozen(when):
                action(when)


def _user(local: str) -> User:
    user = auth_services.find_by_email(f"{local}@{DEMO_DOMAIN}")
    if user is None:
        raise click.ClickException(f"The demo account {local}@{DEMO_DOMAIN} is missing.")
    return user


def _team(spec: TeamSpec) -> DesignTeam:
    team = db.session.scalar(sa.select(DesignTeam).where(DesignTeam.name == spec.name))
    if team is None:
        raise StoryDoesNotFit(f"the demo team “{spec.name}” is missing.")
    return team


def _formed(line: _Timeline, team: DesignTeam, history: timedelta = HISTORY) -> date:
    """The day the team formed; the story's steps for it fit between then and today."""
    formed = teams.today(team.created_at)
    if formed > line.today - history:
        raise StoryDoesNotFit("the demo teams formed too recently for the compliance story.")
    return formed


def _after(formed: date, days: int) -> date:
    return _weekday_on_or_after(formed + timedelta(days=days))


def _entry_days(last: date, first: date) -> list[date]:
    """A log entry every two weeks, counting back from ``last`` to ``first``."""
    days = []
    day = last
    while day >= first:
        days.append(_weekday_on_or_before(day))
        day -= timedelta(weeks=2)
    return sorted({day for day in days if day >= first})


def _story(now: datetime) -> None:
    line = _Timeline(now)
    manager = _user("manager")
    _vr(line, manager)
    _podcasts(line, manager)
    _drones(line, manager)
    _escape(line)
    # The weekly job: Monday 07:00 of each past week, oldest first; this week's run is now.
    monday = line.today - timedelta(days=line.today.isoweekday() - 1)
    for weeks_ago in range(SNAPSHOT_WEEKS, 0, -1):
        line.step(
            line.at(monday - timedelta(weeks=weeks_ago), "07:00"),
            lambda when: services.take_snapshots(when),
        )
    line.run()
    services.take_snapshots(now)


def _log(
    line: _Timeline,
    team: DesignTeam,
    days: list[date],
    authors: list[User],
    texts: list[str],
) -> None:

    def entry(day: date, author: User, text: str) -> Callable[[datetime], object]:
        return lambda when: services.add_progress(
            team, written_on=day, text=text, actor=author, now=when
        )

    for number, day in enumerate(days):
        author, text = authors[number % len(authors)], texts[number % len(texts)]
        line.step(line.at(day, "16:45"), entry(day, author, text))


def _done(
    line: _Timeline,
    milestones: dict[str, Milestone],
    key: str,
    *,
    done_on: date,
    evidence: str,
    actor: User,
    wall: str = "16:30",
) -> None:
    """Record a milestone (added earlier in the story) as done, with its evidence."""

    def act(when: datetime) -> None:
        milestone = milestones[key]
        services.change_milestone(
            milestone,
            title=milestone.title,
            due_on=milestone.due_on,
            done_on=done_on,
            evidence=evidence,
            actor=actor,
            now=when,
        )

    line.step(line.at(done_on, wall), act)


def _add_milestones(
    line: _Timeline,
    team: DesignTeam,
    when: datetime,
    actor: User,
    wanted: dict[str, tuple[str, date]],
) -> dict[str, Milestone]:
    added: dict[str, Milestone] = {}

    def act(at: datetime) -> None:
        for key, (title, due_on) in wanted.items():
            added[key] = services.add_milestone(
                team, title=title, due_on=due_on, actor=actor, now=at
            )

    line.step(when, act)
    return added


def _decide(
    team: DesignTeam, manager: User, *, approve: bool, comment: str
) -> Callable[[datetime], object]:
    def act(when: datetime) -> None:
        plan = services.plan_of(team)
        if plan is None:
            raise StoryDoesNotFit("a plan to decide on is missing.")
        if approve:
            services.approve_plan(plan, comment=comment, actor=manager, now=when)
        else:
            services.return_plan(plan, comment=comment, actor=manager, now=when)

    return act


def _vr(line: _Timeline, manager: User) -> None:
    team = _team(VR)
    formed, ago = _formed(line, team), line.ago
    anouk, ingrid, emma = _user("a.visser"), _user("i.mulder"), _user("e.hendriks")
    start = _after(formed, 2)

    def plan(goals: str, activities: list[ActivityInput]) -> Callable[[datetime], object]:
        return lambda when: services.save_plan(
            team,
            goals=goals,
            collaboration=(
                "Anouk coördineert en houdt de planning bij. Ingrid schrijft de draaiboeken van "
                "de lessen, Emma bouwt de VR-omgevingen en test ze eerst met collega's.\n\n"
                "We werken op dinsdag in het lab; wie er niet kan zijn, meldt dat vooraf in de "
                "teamapp."
            ),
            intended_scenarios=(
                "1. Een virtuele rondleiding door een zorgappartement (Wonen en welzijn, VIG2B).\n"
                "2. Een lastig gesprek met een cliënt oefenen in VR (Communicatie, VIG1A)."
            ),
            activities=activities,
            actor=anouk,
            now=when,
        )

    line.step(
        line.at(start, "15:00"),
        plan(
            "Studenten leren een zorgappartement kennen zonder er te zijn, en oefenen "
            "lastige gesprekken veilig in VR.",
            [
                ActivityInput(ActivityKind.WORKSHOP, "Workshop VR-didactiek", "", 6),
                ActivityInput(ActivityKind.TOOL_TRIAL, "Meta Quest 3 uitproberen", "Emma", 8),
            ],
        ),
    )
    milestones = _add_milestones(
        line,
        team,
        line.at(start, "15:30"),
        anouk,
        {
            "script": ("Draaiboek virtuele rondleiding klaar", ago(30)),
            "lesson": ("Eerste VR-les gegeven in een klas", ago(5)),
            "review": ("Evaluatie met studenten en collega's", line.today + timedelta(days=24)),
        },
    )
    line.step(
        line.at(_after(formed, 4), "16:00"),
        lambda when: services.submit_plan(team, actor=ingrid, now=when),
    )
    line.step(
        line.at(_after(formed, 8), "10:00"),
        _decide(
            team,
            manager,
            approve=False,
            comment=(
                "Maak de doelen meetbaar: hoeveel lessen, voor welke klassen, en hoe weten "
                "jullie of het werkt? Zet ook bij de workshop wie hem geeft."
            ),
        ),
    )
    line.step(
        line.at(_after(formed, 9), "13:00"),
        plan(
            "Voor de zomer geven we twee VR-lessen in VIG1A en VIG2B. Na afloop zegt ten minste "
            "80 % van de studenten dat ze zich beter voorbereid voelen op hun stage (korte "
            "enquête na elke les).",
            [
                ActivityInput(
                    ActivityKind.WORKSHOP,
                    "Workshop VR-didactiek",
                    "Lectoraat Onderwijsinnovatie",
                    6,
                ),
                ActivityInput(ActivityKind.TOOL_TRIAL, "Meta Quest 3 uitproberen", "Emma", 8),
                ActivityInput(
                    ActivityKind.PEER_OBSERVATION, "Elkaars VR-les bijwonen en bespreken", "", 4
                ),
            ],
        ),
    )
    line.step(
        line.at(_after(formed, 9), "13:15"),
        lambda when: services.submit_plan(team, actor=anouk, now=when),
    )
    line.step(
        line.at(_after(formed, 11), "11:00"),
        _decide(
            team, manager, approve=True, comment="Helder en haalbaar. Succes met de eerste les!"
        ),
    )
    _done(
        line,
        milestones,
        "script",
        done_on=ago(32),
        evidence=f"{WIKI}/vr-zorg/draaiboek-rondleiding",
        actor=emma,
    )
    scenario: dict[str, LessonScenario] = {}
    tour = ScenarioInput(
        "Virtuele rondleiding door een zorgappartement",
        summary=(
            "Studenten lopen met de VR-bril door een appartement van een cliënt, zoeken "
            "valrisico's en bespreken na afloop wat ze zouden aanpassen."
        ),
        course="Wonen en welzijn (Verzorgende IG)",
        cohort="VIG2B",
        link=f"{WIKI}/vr-zorg/rondleiding",
    )

    def add_tour(when: datetime) -> None:
        scenario["tour"] = services.add_scenario(team, tour, actor=ingrid, now=when)

    delivered = ago(10)
    line.step(line.at(ago(40), "14:00"), add_tour)
    line.step(
        line.at(delivered, "16:00"),
        lambda when: services.change_scenario(
            scenario["tour"], replace(tour, delivered_on=delivered), actor=ingrid, now=when
        ),
    )
    _done(
        line,
        milestones,
        "lesson",
        done_on=delivered,
        evidence=f"{WIKI}/vr-zorg/rondleiding (les gegeven in VIG2B, enquête in de map)",
        actor=anouk,
        wall="16:15",
    )
    line.step(
        line.at(ago(8), "15:00"),
        lambda when: services.add_scenario(
            team,
            ScenarioInput(
                "Een lastig gesprek oefenen in VR",
                summary=(
                    "Een cliënt die geen hulp wil bij het wassen: drie keuzes, elk met een "
                    "eigen afloop."
                ),
                course="Communicatie (Verzorgende IG)",
                cohort="VIG1A",
            ),
            actor=emma,
            now=when,
        ),
    )
    _log(
        line,
        team,
        _entry_days(ago(3), start),
        [anouk, ingrid, emma],
        [
            "Plan opgezet en rollen verdeeld; VR-brillen bij de balie bekeken.",
            "Feedback van de manager verwerkt; de doelen zijn nu meetbaar.",
            "Draaiboek van de rondleiding in de maak; Emma bouwt de omgeving.",
            "Proefronde met drie collega's: de instructie aan het begin moet korter.",
            "Rondleiding aangepast; enquête voor studenten gemaakt.",
            "Les gegeven in VIG2B. 21 van de 24 studenten vonden het nuttig.",
            "Begonnen aan het tweede scenario: het lastige gesprek.",
        ],
    )


def _podcasts(line: _Timeline, manager: User) -> None:
    team = _team(PODCASTS)
    formed, ago = _formed(line, team), line.ago
    lotte, daan, sanne = _user("l.jansen"), _user("d.smit"), _user("docent")
    emma = _user("e.hendriks")
    start = _after(formed, 3)
    activities = [
        ActivityInput(ActivityKind.WORKSHOP, "Workshop interviewtechniek", "NPO Academie", 4),
        ActivityInput(ActivityKind.TOOL_TRIAL, "Opnemen en monteren met de Zoom H5", "Daan", 6),
    ]

    def plan(extra: list[ActivityInput]) -> Callable[[datetime], object]:
        return lambda when: services.save_plan(
            team,
            goals=(
                "Studenten werken aan mondelinge taalvaardigheid (2F/3F) door zelf een "
                "podcastaflevering te maken: voorbereiden, interviewen, monteren."
            ),
            collaboration=(
                "Lotte coördineert. Daan regelt de techniek en de studio, Sanne en Emma "
                "schrijven de lesopzet. Elke donderdag in het lab."
            ),
            intended_scenarios="Een interview voorbereiden en opnemen (AV-2).",
            activities=[*activities, *extra],
            actor=lotte,
            now=when,
        )

    line.step(line.at(start, "13:00"), plan([]))
    milestones = _add_milestones(
        line,
        team,
        line.at(start, "13:30"),
        lotte,
        {
            "format": ("Format en draaiboek van de podcastserie", ago(35)),
            "episode": (
                "Eerste aflevering opgenomen en gemonteerd",
                line.today - timedelta(days=6),
            ),
            "publish": ("Podcastserie op de schoolsite", line.today + timedelta(days=35)),
        },
    )
    line.step(
        line.at(_after(formed, 6), "16:00"),
        lambda when: services.submit_plan(team, actor=daan, now=when),
    )
    line.step(
        line.at(_after(formed, 10), "09:30"),
        _decide(
            team,
            manager,
            approve=True,
            comment="Akkoord. Mooi dat de studenten zelf gaan interviewen.",
        ),
    )
    _done(
        line,
        milestones,
        "format",
        done_on=ago(36),
        evidence=f"{WIKI}/podcasts/format",
        actor=daan,
    )
    line.step(
        line.at(ago(12), "15:00"),
        lambda when: services.add_scenario(
            team,
            ScenarioInput(
                "Een interview voorbereiden en opnemen",
                summary="In tweetallen een vakman uit de regio interviewen, tien minuten.",
                course="Nederlands 2F/3F, mondelinge vaardigheid",
                cohort="AV-2",
                link=f"{WIKI}/podcasts/interviewles",
            ),
            actor=sanne,
            now=when,
        ),
    )
    # The approved plan grows a peer observation; the new version waits for the manager.
    revised = ago(5)
    line.step(
        line.at(revised, "15:30"),
        plan(
            [
                ActivityInput(
                    ActivityKind.PEER_OBSERVATION,
                    "Bij elkaar in de les kijken hoe studenten interviewen",
                    "Sanne en Emma",
                    3,
                )
            ]
        ),
    )
    line.step(
        line.at(revised, "15:45"),
        lambda when: services.submit_plan(team, actor=lotte, now=when),
    )
    _log(
        line,
        team,
        _entry_days(ago(24), start),
        [lotte, daan, sanne, emma],
        [
            "Plan geschreven; de studio en de recorders gereserveerd.",
            "Format van de serie vastgelegd: vijf afleveringen van tien minuten.",
            "Interviewles uitgeschreven; gastsprekers benaderd.",
            "Proefopname met twee studenten: geluid goed, vragen te gesloten.",
        ],
    )


def _drones(line: _Timeline, manager: User) -> None:
    team = _team(DRONES)
    formed, ago = _formed(line, team), line.ago
    sanne, mehmet, kevin = _user("docent"), _user("m.yilmaz"), _user("k.deboer")
    start = _after(formed, 3)
    line.step(
        line.at(start, "13:00"),
        lambda when: services.save_plan(
            team,
            goals="Drones inzetten in de lessen Bouwkunde en Infra.",
            collaboration="Sanne coördineert.",
            intended_scenarios="Een inspectievlucht boven een bouwplaats.",
            activities=[
                ActivityInput(ActivityKind.TOOL_TRIAL, "Vliegen met de DJI Mini 4 Pro", "", 12),
            ],
            actor=sanne,
            now=when,
        ),
    )
    milestones = _add_milestones(
        line,
        team,
        line.at(start, "13:20"),
        sanne,
        {
            "permit": ("Vliegvergunning en risicoanalyse rond", ago(50)),
            "flight": ("Eerste inspectievlucht met studenten", line.today - timedelta(days=24)),
            "scenario": ("Lesscenario Infra klaar", line.today + timedelta(days=28)),
        },
    )
    line.step(
        line.at(_after(formed, 8), "15:00"),
        lambda when: services.submit_plan(team, actor=kevin, now=when),
    )
    line.step(
        line.at(_after(formed, 11), "09:45"),
        _decide(
            team,
            manager,
            approve=False,
            comment=(
                "De samenwerkingsafspraken zijn te mager: wie regelt de vergunningen, wie "
                "vliegt, wie schrijft de les? En welke les willen jullie als eerste geven?"
            ),
        ),
    )
    _done(
        line,
        milestones,
        "permit",
        done_on=ago(48),
        evidence="Risicoanalyse en toestemming van de gemeente: Teams, map Drones/Vergunningen.",
        actor=mehmet,
        wall="10:00",
    )
    _log(
        line,
        team,
        _entry_days(ago(45), start),
        [sanne, mehmet],
        [
            "Plan geschreven; drones bij de balie bekeken.",
            "Risicoanalyse geschreven; wachten op de gemeente.",
            "Vergunning binnen. Eerste vlucht met studenten gepland.",
        ],
    )


def _escape(line: _Timeline) -> None:
    team = _team(ESCAPE)
    formed = _formed(line, team, timedelta(days=7))
    pieter = _user("p.vandijk")
    start = _after(formed, 1)
    line.step(
        line.at(start, "16:00"),
        lambda when: services.save_plan(
            team,
            goals=(
                "Studenten bouwen als eindopdracht Techniek een escape room met sensoren en "
                "Arduino, en leren zo programmeren in een echte opdracht."
            ),
            collaboration="",
            intended_scenarios="",
            activities=[
                ActivityInput(ActivityKind.WORKSHOP, "Arduino-cursus voor docenten", "Thijs", 8),
            ],
            actor=pieter,
            now=when,
        ),
    )
    _add_milestones(
        line,
        team,
        line.at(start, "16:10"),
        pieter,
        {
            "submit": ("Plan klaar en ingediend", line.ago(2)),
            "design": ("Eerste ontwerp van de escape room", line.today + timedelta(days=21)),
        },
    )
