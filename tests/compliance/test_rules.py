"""Pure compliance rules: each rule on the day before, on and after each of its thresholds."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest

from straxlab.compliance import rules
from straxlab.compliance.rules import (
    Finding,
    MemberAttendance,
    MilestoneFact,
    PlanStatus,
    Rule,
    Severity,
    TeamFacts,
    Thresholds,
)

DEFAULT = Thresholds()
# Numbers unlike the defaults: a rule that hard-codes a default fails against these.
ODD = Thresholds(plan_weeks=5, attendance_percent=60, milestone_grace_days=9, progress_weeks=2)

FIRST = date(2026, 9, 15)  # a Tuesday: the team's first lab day
LAST = date(2027, 2, 16)
DAY = timedelta(days=1)


def facts(today: date, **changes: object) -> TeamFacts:
    """A team with three members and a programme from FIRST to LAST, as of ``today``."""
    values: dict[str, object] = {
        "today": today,
        "active_members": 3,
        "first_lab_day": FIRST,
        "last_lab_day": LAST,
        **changes,
    }
    return TeamFacts(**values)  # type: ignore[arg-type]


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


# --- members -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "severity", "message"),
    [
        (0, Severity.RED, "members.too_few"),
        (1, Severity.RED, "members.too_few"),
        (2, Severity.GREEN, "members.ok"),
        (3, Severity.GREEN, "members.ok"),
    ],
)
def test_members_rule_needs_two_active_members(count, severity, message):
    finding = only(rules.members_rule(facts(FIRST, active_members=count)))
    assert (finding.rule, finding.severity, finding.message) == (Rule.MEMBERS, severity, message)
    assert finding.params == {"count": count, "minimum": 2}


# --- plan ----------------------------------------------------------------------------------


def test_an_approved_plan_is_green_whenever_it_was_approved():
    late = FIRST + timedelta(weeks=10)
    finding = only(rules.plan_rule(facts(late + DAY, plan_approved_on=late), DEFAULT))
    assert finding.severity is Severity.GREEN and finding.message == "plan.approved"
    assert finding.params == {"approved_on": late.isoformat()}


def test_a_plan_without_lab_days_is_not_yet_due():
    finding = only(
        rules.plan_rule(
            facts(FIRST, first_lab_day=None, last_lab_day=None, plan_status=PlanStatus.DRAFT),
            DEFAULT,
        )
    )
    assert (finding.severity, finding.message) == (Severity.GREEN, "plan.not_started")
    assert finding.params == {"status": "draft"}


@pytest.mark.parametrize("thresholds", [DEFAULT, ODD], ids=["default", "odd"])
def test_the_plan_deadline_is_the_first_lab_day_plus_the_plan_weeks(thresholds):
    deadline = FIRST + timedelta(weeks=thresholds.plan_weeks)
    assert rules.plan_deadline(FIRST, thresholds) == deadline

    before = only(rules.plan_rule(facts(deadline - DAY), thresholds))
    assert (before.severity, before.message) == (Severity.AMBER, "plan.due")
    assert before.params["days_left"] == 1

    on = only(rules.plan_rule(facts(deadline, plan_status=PlanStatus.SUBMITTED), thresholds))
    assert (on.severity, on.message) == (Severity.AMBER, "plan.due")
    assert on.params == {
        "status": "submitted",
        "deadline": deadline.isoformat(),
        "weeks": thresholds.plan_weeks,
        "days_left": 0,
    }

    after = only(rules.plan_rule(facts(deadline + DAY), thresholds))
    assert (after.severity, after.message) == (Severity.RED, "plan.late")
    assert after.params == {
        "status": "none",
        "deadline": deadline.isoformat(),
        "weeks": thresholds.plan_weeks,
        "days_late": 1,
    }


def test_a_plan_is_due_from_before_the_first_lab_day():
    finding = only(rules.plan_rule(facts(FIRST - timedelta(weeks=2)), DEFAULT))
    assert finding.severity is Severity.AMBER
    assert finding.params["days_left"] == 35


# --- attendance ----------------------------------------------------------------------------


def member(name: str, held: int, present: int) -> MemberAttendance:
    return MemberAttendance(len(name), name, held, present)


@pytest.mark.parametrize("thresholds", [DEFAULT, ODD], ids=["default", "odd"])
def test_attendance_exactly_at_the_threshold_is_green_and_one_day_fewer_is_red(thresholds):
    percent = thresholds.attendance_percent
    held = 20
    present = held * percent // 100  # 15 of 20 at 75 %, 12 of 20 at 60 %
    assert present * 100 == percent * held

    exact = only(
        rules.attendance_rule(facts(LAST, attendance=[member("Anna", held, present)]), thresholds)
    )
    assert (exact.severity, exact.message) == (Severity.GREEN, "attendance.ok")
    assert exact.params == {"lowest": percent, "threshold": percent}

    short = rules.attendance_rule(
        facts(LAST, attendance=[member("Anna", held, present - 1)]), thresholds
    )
    finding = only(short)
    assert (finding.severity, finding.message) == (Severity.RED, "attendance.low")
    assert finding.params == {
        "user_id": len("Anna"),
        "name": "Anna",
        "present": present - 1,
        "held": held,
        "percent": (present - 1) * 100 // held,
        "threshold": percent,
    }


def test_attendance_rounds_down_so_two_of_three_is_not_sixty_seven_percent():
    thresholds = replace(DEFAULT, attendance_percent=67)
    finding = only(
        rules.attendance_rule(facts(LAST, attendance=[member("Bram", 3, 2)]), thresholds)
    )
    assert finding.severity is Severity.RED
    assert finding.params["percent"] == 66
    assert member("Bram", 3, 2).percent == 66
    # At 66 % the same two of three is enough.
    assert (
        only(
            rules.attendance_rule(
                facts(LAST, attendance=[member("Bram", 3, 2)]),
                replace(DEFAULT, attendance_percent=66),
            )
        ).severity
        is Severity.GREEN
    )


def test_members_without_held_days_are_left_out():
    assert member("Nieuw", 0, 0).percent is None
    none_yet = only(
        rules.attendance_rule(facts(FIRST, attendance=[member("Nieuw", 0, 0)]), DEFAULT)
    )
    assert (none_yet.severity, none_yet.message) == (Severity.GREEN, "attendance.none_yet")
    # A newcomer with no held days does not pull the lowest percentage down to 0.
    ok = only(
        rules.attendance_rule(
            facts(LAST, attendance=[member("Nieuw", 0, 0), member("Anna", 4, 4)]), DEFAULT
        )
    )
    assert (ok.severity, ok.params["lowest"]) == (Severity.GREEN, 100)


def test_no_members_at_all_is_no_attendance_yet():
    assert only(rules.attendance_rule(facts(LAST), DEFAULT)).message == "attendance.none_yet"


def test_every_low_member_is_a_finding_lowest_first_then_by_name():
    attendance = [
        member("Anna", 10, 10),
        member("Daan", 10, 7),
        member("Bram", 10, 5),
        member("Cees", 10, 7),
    ]
    findings = rules.attendance_rule(facts(LAST, attendance=attendance), DEFAULT)
    assert [(f.params["name"], f.params["percent"]) for f in findings] == [
        ("Bram", 50),
        ("Cees", 70),
        ("Daan", 70),
    ]
    assert {f.severity for f in findings} == {Severity.RED}


# --- milestones ----------------------------------------------------------------------------

TODAY = date(2026, 11, 30)


def milestone(title: str, due_on: date, done_on: date | None = None) -> MilestoneFact:
    return MilestoneFact(title, due_on, done_on)


def test_a_milestone_due_yesterday_is_overdue_by_one_day():
    finding = only(
        rules.milestones_rule(facts(TODAY, milestones=[milestone("Les 1", TODAY - DAY)]), DEFAULT)
    )
    assert (finding.severity, finding.message) == (Severity.AMBER, "milestones.overdue")
    assert finding.params == {
        "title": "Les 1",
        "due_on": (TODAY - DAY).isoformat(),
        "days": 1,
        "grace": DEFAULT.milestone_grace_days,
    }


def test_a_milestone_due_today_is_not_overdue():
    finding = only(
        rules.milestones_rule(facts(TODAY, milestones=[milestone("Les 1", TODAY)]), DEFAULT)
    )
    assert (finding.severity, finding.message) == (Severity.GREEN, "milestones.ok")
    assert finding.params == {"done": 0, "total": 1, "next_due": TODAY.isoformat()}


@pytest.mark.parametrize("thresholds", [DEFAULT, ODD], ids=["default", "odd"])
def test_a_milestone_turns_red_the_day_after_the_grace_runs_out(thresholds):
    grace = thresholds.milestone_grace_days
    due = TODAY - timedelta(days=grace)
    exactly = only(
        rules.milestones_rule(facts(TODAY, milestones=[milestone("M", due)]), thresholds)
    )
    assert (exactly.severity, exactly.message) == (Severity.AMBER, "milestones.overdue")
    assert exactly.params["days"] == grace

    late = only(
        rules.milestones_rule(facts(TODAY + DAY, milestones=[milestone("M", due)]), thresholds)
    )
    assert (late.severity, late.message) == (Severity.RED, "milestones.late")
    assert late.params["days"] == grace + 1 and late.params["grace"] == grace


def test_a_milestone_done_on_time_is_green_and_counts_as_done():
    done = milestone("Les 1", TODAY - timedelta(days=30), TODAY - timedelta(days=31))
    upcoming = milestone("Les 2", TODAY + timedelta(days=20))
    finding = only(rules.milestones_rule(facts(TODAY, milestones=[done, upcoming]), DEFAULT))
    assert (finding.severity, finding.message) == (Severity.GREEN, "milestones.ok")
    assert finding.params == {
        "done": 1,
        "total": 2,
        "next_due": (TODAY + timedelta(days=20)).isoformat(),
    }


def test_a_milestone_done_late_no_longer_counts_against_the_team():
    done_late = milestone("Les 1", TODAY - timedelta(days=60), TODAY - timedelta(days=2))
    finding = only(rules.milestones_rule(facts(TODAY, milestones=[done_late]), DEFAULT))
    assert finding.severity is Severity.GREEN
    assert "next_due" not in finding.params


def test_a_milestone_done_after_today_was_still_open_today():
    # As of a past day: the milestone was only done later, so on that day it was overdue.
    later = milestone("Les 1", TODAY - timedelta(days=20), TODAY + DAY)
    finding = only(rules.milestones_rule(facts(TODAY, milestones=[later]), DEFAULT))
    assert (finding.severity, finding.params["days"]) == (Severity.RED, 20)
    on_the_day = milestone("Les 1", TODAY - timedelta(days=20), TODAY)
    assert only(rules.milestones_rule(facts(TODAY, milestones=[on_the_day]), DEFAULT)).severity is (
        Severity.GREEN
    )


def test_no_milestones_is_amber_once_the_team_has_lab_days():
    with_days = only(rules.milestones_rule(facts(TODAY), DEFAULT))
    assert (with_days.severity, with_days.message) == (Severity.AMBER, "milestones.none")
    without = only(
        rules.milestones_rule(facts(TODAY, first_lab_day=None, last_lab_day=None), DEFAULT)
    )
    assert (without.severity, without.message) == (Severity.GREEN, "milestones.not_started")


def test_overdue_milestones_are_listed_red_first_then_by_due_date():
    ms = [
        milestone("Recent", TODAY - timedelta(days=3)),
        milestone("Oud", TODAY - timedelta(days=40)),
        milestone("Ouder", TODAY - timedelta(days=50)),
        milestone("Gisteren", TODAY - DAY),
        milestone("Klaar", TODAY - timedelta(days=60), TODAY - timedelta(days=61)),
        milestone("Later", TODAY + timedelta(days=5)),
    ]
    findings = rules.milestones_rule(facts(TODAY, milestones=ms), DEFAULT)
    assert [(f.severity, f.params["title"]) for f in findings] == [
        (Severity.RED, "Ouder"),
        (Severity.RED, "Oud"),
        (Severity.AMBER, "Recent"),
        (Severity.AMBER, "Gisteren"),
    ]


# --- progress ------------------------------------------------------------------------------


def test_progress_is_not_due_before_the_first_lab_day_or_without_lab_days():
    before = only(rules.progress_rule(facts(FIRST - DAY), DEFAULT))
    assert (before.severity, before.message) == (Severity.GREEN, "progress.not_started")
    none = only(rules.progress_rule(facts(TODAY, first_lab_day=None, last_lab_day=None), DEFAULT))
    assert none.message == "progress.not_started"
    on_first = only(rules.progress_rule(facts(FIRST), DEFAULT))
    assert (on_first.severity, on_first.message) == (Severity.GREEN, "progress.ok")


@pytest.mark.parametrize("thresholds", [DEFAULT, ODD], ids=["default", "odd"])
@pytest.mark.parametrize("last_on", [None, FIRST + timedelta(days=10)], ids=["none", "entry"])
def test_progress_is_due_a_week_before_the_interval_ends_and_late_after(thresholds, last_on):
    since = last_on or FIRST
    due_on = since + timedelta(weeks=thresholds.progress_weeks)
    expected = {
        due_on - timedelta(days=7): (Severity.GREEN, "progress.ok"),
        due_on - timedelta(days=6): (Severity.AMBER, "progress.due"),
        due_on: (Severity.AMBER, "progress.due"),
        due_on + DAY: (Severity.RED, "progress.late"),
    }
    for today, (severity, message) in expected.items():
        finding = only(rules.progress_rule(facts(today, last_progress_on=last_on), thresholds))
        assert (finding.severity, finding.message) == (severity, message), today
        assert finding.params["due_on"] == due_on.isoformat()
        assert finding.params["weeks"] == thresholds.progress_weeks
        assert finding.params.get("last_on") == (last_on.isoformat() if last_on else None)
    late = only(rules.progress_rule(facts(due_on + DAY, last_progress_on=last_on), thresholds))
    assert late.params["days_late"] == 1


def test_an_entry_before_the_first_lab_day_does_not_start_the_interval_early():
    early = FIRST - timedelta(weeks=3)
    finding = only(rules.progress_rule(facts(FIRST + DAY, last_progress_on=early), DEFAULT))
    assert finding.severity is Severity.GREEN
    assert finding.params["due_on"] == (FIRST + timedelta(weeks=4)).isoformat()
    assert finding.params["last_on"] == early.isoformat()


def test_after_the_last_lab_day_the_log_is_judged_as_it_stood_on_that_day():
    # Up to date on the last lab day: green for good, also long after the programme.
    recent = LAST - timedelta(weeks=2)
    for today in (LAST + DAY, LAST + timedelta(weeks=30)):
        ended = only(rules.progress_rule(facts(today, last_progress_on=recent), DEFAULT))
        assert (ended.severity, ended.message) == (Severity.GREEN, "progress.ended")
    # Already late on the last lab day: it stays red, with the lateness on that day.
    stale = LAST - timedelta(weeks=5)
    late = only(
        rules.progress_rule(facts(LAST + timedelta(weeks=30), last_progress_on=stale), DEFAULT)
    )
    assert (late.severity, late.message) == (Severity.RED, "progress.late")
    assert late.params["days_late"] == 7
    # On the last lab day itself the programme still runs.
    due = only(
        rules.progress_rule(facts(LAST, last_progress_on=LAST - timedelta(days=25)), DEFAULT)
    )
    assert (due.severity, due.message) == (Severity.AMBER, "progress.due")


# --- scenario ------------------------------------------------------------------------------


def test_a_delivered_scenario_is_green_whatever_the_date():
    for today in (FIRST, LAST, LAST + timedelta(weeks=10)):
        finding = only(rules.scenario_rule(facts(today, scenarios_delivered=2)))
        assert (finding.severity, finding.message) == (Severity.GREEN, "scenario.delivered")
        assert finding.params == {"count": 2}


def test_a_scenario_is_due_four_weeks_before_the_last_lab_day_and_missing_after_it():
    warn_from = LAST - timedelta(weeks=4)
    expected = {
        warn_from - DAY: (Severity.GREEN, "scenario.planned"),
        warn_from: (Severity.AMBER, "scenario.due"),
        LAST: (Severity.AMBER, "scenario.due"),
        LAST + DAY: (Severity.RED, "scenario.missing"),
    }
    for today, (severity, message) in expected.items():
        finding = only(rules.scenario_rule(facts(today)))
        assert (finding.severity, finding.message) == (severity, message), today
        assert finding.params == {"end": LAST.isoformat()}


def test_a_scenario_is_not_asked_for_without_lab_days():
    finding = only(rules.scenario_rule(facts(TODAY, first_lab_day=None, last_lab_day=None)))
    assert (finding.severity, finding.message) == (Severity.GREEN, "scenario.not_started")


# --- the whole assessment ------------------------------------------------------------------


def test_worst_is_the_highest_severity_and_green_for_nothing():
    assert rules.worst([]) is Severity.GREEN
    assert rules.worst([Severity.GREEN, Severity.GREEN]) is Severity.GREEN
    assert rules.worst([Severity.GREEN, Severity.AMBER]) is Severity.AMBER
    assert rules.worst([Severity.AMBER, Severity.RED, Severity.GREEN]) is Severity.RED
    assert rules.worst(iter([Severity.RED, Severity.AMBER])) is Severity.RED


def test_assess_lists_every_rule_in_order():
    team = facts(
        TODAY,
        active_members=1,
        attendance=[member("Anna", 10, 5), member("Bram", 10, 6)],
        milestones=[milestone("Oud", TODAY - timedelta(days=30)), milestone("Nu", TODAY - DAY)],
    )
    findings = rules.assess(team, DEFAULT)
    assert [f.rule for f in findings] == [
        Rule.MEMBERS,
        Rule.PLAN,
        Rule.ATTENDANCE,
        Rule.ATTENDANCE,
        Rule.MILESTONES,
        Rule.MILESTONES,
        Rule.PROGRESS,
        Rule.SCENARIO,
    ]
    assert rules.worst(f.severity for f in findings) is Severity.RED
    assert list(Rule) == [
        Rule.MEMBERS,
        Rule.PLAN,
        Rule.ATTENDANCE,
        Rule.MILESTONES,
        Rule.PROGRESS,
        Rule.SCENARIO,
    ]


def test_a_team_that_keeps_every_rule_is_green():
    team = facts(
        TODAY,
        plan_status=PlanStatus.APPROVED,
        plan_approved_on=FIRST + timedelta(weeks=2),
        attendance=[member("Anna", 10, 10), member("Bram", 10, 8)],
        milestones=[milestone("Les 1", TODAY - timedelta(days=5), TODAY - timedelta(days=6))],
        last_progress_on=TODAY - timedelta(days=7),
        scenarios_delivered=1,
    )
    findings = rules.assess(team, DEFAULT)
    assert {f.severity for f in findings} == {Severity.GREEN}
    assert len(findings) == len(Rule)


def test_a_finding_round_trips_through_json():
    finding = Finding(
        Rule.MILESTONES,
        Severity.RED,
        "milestones.late",
        {"title": "Les “één”", "due_on": "2026-11-01", "days": 29, "grace": 14},
    )
    data = finding.to_json()
    assert data == {
        "rule": "milestones",
        "severity": "red",
        "message": "milestones.late",
        "params": {"title": "Les “één”", "due_on": "2026-11-01", "days": 29, "grace": 14},
    }
    back = Finding.from_json(json.loads(json.dumps(data)))
    assert back == finding
    assert back.rule is Rule.MILESTONES and back.severity is Severity.RED
    assert (
        Finding.from_json({"rule": "plan", "severity": "green", "message": "plan.x"}).params == {}
    )


def test_iso_week_at_the_turn_of_the_year():
    # 2026 has 53 ISO weeks: 31 Dec 2026 and 1 Jan 2027 (Thu, Fri) are both in 2026-W53.
    assert rules.iso_week(date(2026, 12, 31)) == (2026, 53)
    assert rules.iso_week(date(2027, 1, 1)) == (2026, 53)
    assert rules.iso_week(date(2027, 1, 3)) == (2026, 53)
    assert rules.iso_week(date(2027, 1, 4)) == (2027, 1)
    assert rules.iso_week(date(2025, 12, 29)) == (2026, 1)
