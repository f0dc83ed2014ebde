"""Mail to a team when one of its lab days moves or is cancelled: by hand, by a closure, by a
changed closure or by imported holidays."""

from __future__ import annotations

from datetime import date, time

import pytest
import sqlalchemy as sa

from straxlab.core.errors import Conflict
from straxlab.design_teams import notifications
from straxlab.design_teams import services as teams
from straxlab.design_teams.models import DesignDay
from straxlab.design_teams.rules import DesignDayStatus
from straxlab.extensions import db
from straxlab.lab_calendar.rules import ClosedPeriod
from straxlab.mail.rules import Notice
from tests.factories import make_programme, make_team, make_user
from tests.notifications.conftest import BASE_URL, NOW, opt_out, outbox, recipients

CHANGED = Notice.LAB_DAY_CHANGED.value
TUESDAY = date(2026, 12, 1)


@pytest.fixture
def days(world):
    """The team's approved programme: Tuesdays 1, 8, 15 and 22 December 2026, 09:00-16:00."""
    opt_out(world.opted_out, Notice.LAB_DAY_CHANGED)
    programme = make_programme(world.team, first_day=TUESDAY, approve_by=world.staff)
    return list(
        db.session.scalars(
            sa.select(DesignDay)
            .where(DesignDay.programme_id == programme.id)
            .order_by(DesignDay.day)
        )
    )


def move(design_day, actor, day=date(2026, 12, 3), starts=time(9), ends=time(16)):
    teams.move_day(design_day, day=day, starts=starts, ends=ends, actor=actor, now=NOW)


def link(design_day):
    return f"{BASE_URL}/lab/days/{design_day.id}"


# --- moved ----------------------------------------------------------------------------------


def test_a_moved_day_mails_the_active_members_from_when_to_when(world, days):
    first = days[0]
    move(first, world.staff)

    rows = outbox(CHANGED)
    assert recipients(CHANGED) == world.mailed
    mila = next(row for row in rows if row.recipient_id == world.member.id)
    assert mila.to_address == "mila@school.example"
    assert mila.subject == "Lab day moved: VR in de zorg, now Thu 3 Dec 2026, 09:00–16:00"
    assert mila.dedupe_key == f"designday:{first.id}:moved:{first.sequence}:{world.member.id}"
    assert "Now: Thu 3 Dec 2026, 09:00–16:00" in mila.body_text
    assert "Was: Tue 1 Dec 2026, 09:00–16:00" in mila.body_text
    assert f"The lab day: {link(first)}\n" in mila.body_text
    assert f'href="{link(first)}"' in mila.body_html
    assert mila.body_text.startswith("Hello Mila Member,")
    # One mail per person: no other member's name in it.
    for other in ("Cora", "Fay", "Dirk", "Otto", "Sam Staff"):
        assert other not in mila.body_text + mila.body_html


def test_a_replayed_move_adds_nothing_a_second_real_move_mails_again(world, days):
    first = days[0]
    move(first, world.staff)
    old_start, old_end = days[1].starts_at, days[1].ends_at  # any other window
    assert len(outbox(CHANGED)) == 2
    # The same call again (a retry of the same change) finds its keys taken.
    assert (
        notifications.lab_day_moved(
            first, old_starts_at=old_start, old_ends_at=old_end, actor=world.staff, now=NOW
        )
        == 0
    )
    assert len(outbox(CHANGED)) == 2

    move(first, world.staff, starts=time(10), ends=time(15))
    rows = outbox(CHANGED)
    assert len(rows) == 4
    assert {row.subject for row in rows[2:]} == {
        "Lab day moved: VR in de zorg, now Thu 3 Dec 2026, 10:00–15:00"
    }
    assert all("Was: Thu 3 Dec 2026, 09:00–16:00" in row.body_text for row in rows[2:])


def test_moving_a_day_to_where_it_is_sends_nothing(world, days):
    first = days[0]
    move(first, world.staff, day=TUESDAY)
    assert outbox(CHANGED) == []


def test_the_coordinator_who_moved_the_day_is_not_mailed_about_it(world, days):
    move(days[0], world.coordinator)
    assert recipients(CHANGED) == {world.member.id}


def test_the_opted_out_member_still_gets_other_mail(world, days):
    # Otto turned off lab-day mail only; the programme approval reached him.
    assert world.opted_out.id in recipients(Notice.PROGRAMME_DECIDED.value)
    move(days[0], world.staff)
    assert world.opted_out.id not in recipients(CHANGED)


# --- cancelled ------------------------------------------------------------------------------


def test_a_cancelled_day_mails_the_reason(world, days):
    second = days[1]
    teams.cancel_day(second, reason="Staff training", actor=world.staff, now=NOW)

    assert recipients(CHANGED) == world.mailed
    row = next(r for r in outbox(CHANGED) if r.recipient_id == world.coordinator.id)
    assert row.subject == "Lab day cancelled: VR in de zorg, Tue 8 Dec 2026, 09:00–16:00"
    assert row.dedupe_key == f"designday:{second.id}:cancelled:{world.coordinator.id}"
    assert "This lab day of your design team VR in de zorg is cancelled:" in row.body_text
    assert "Reason:\nStaff training\n" in row.body_text
    assert "Staff training" in row.body_html
    assert f'href="{link(second)}"' in row.body_html

    # Cancelling again is refused; the replayed notification adds nothing.
    with pytest.raises(Conflict):
        teams.cancel_day(second, reason="Again", actor=world.staff, now=NOW)
    assert notifications.lab_days_cancelled([second], actor=world.staff, now=NOW) == 0
    assert len(outbox(CHANGED)) == 2


def test_a_closure_cancels_and_mails_each_teams_days(world, days):
    other_coordinator = make_user(locale="en")
    other = make_team(other_coordinator, [make_user(locale="en")], name="Drones")
    make_programme(other, first_day=date(2026, 12, 2), approve_by=world.staff)

    cancelled = teams.close_lab(
        first_day=date(2026, 12, 7),
        last_day=date(2026, 12, 11),
        reason="Lab refurbished",
        actor=world.staff,
        now=NOW,
    )

    assert len(cancelled) == 2  # Tue 8 Dec of one team, Wed 9 Dec of the other
    rows = outbox(CHANGED)
    assert len(rows) == 4
    subjects = {row.subject for row in rows}
    assert subjects == {
        "Lab day cancelled: VR in de zorg, Tue 8 Dec 2026, 09:00–16:00",
        "Lab day cancelled: Drones, Wed 9 Dec 2026, 09:00–16:00",
    }
    ours = [row for row in rows if "VR in de zorg" in row.subject]
    assert {row.recipient_id for row in ours} == world.mailed
    assert all("The lab is closed, so this lab day" in row.body_text for row in rows)
    assert all("Reason:\nLab refurbished" in row.body_text for row in rows)


def test_a_closure_made_longer_cancels_and_mails_the_newly_covered_day(world, days):
    teams.close_lab(
        first_day=date(2026, 12, 7),
        last_day=date(2026, 12, 9),
        reason="Lab refurbished",
        actor=world.staff,
        now=NOW,
    )
    from straxlab.lab_calendar.models import Closure

    closure = db.session.scalar(sa.select(Closure))
    assert len(outbox(CHANGED)) == 2
    teams.change_closure(
        closure,
        first_day=date(2026, 12, 7),
        last_day=date(2026, 12, 16),
        reason="Lab refurbished",
        actor=world.staff,
        now=NOW,
    )
    rows = outbox(CHANGED)
    assert len(rows) == 4  # Tue 15 Dec added; Tue 8 Dec not mailed twice
    assert {row.subject for row in rows[2:]} == {
        "Lab day cancelled: VR in de zorg, Tue 15 Dec 2026, 09:00–16:00"
    }


def test_imported_holidays_cancel_and_mail(world, days):
    teams.import_holidays(
        [ClosedPeriod(date(2026, 12, 19), date(2027, 1, 3), "Kerstvakantie")],
        actor=world.staff,
        now=NOW,
    )
    rows = outbox(CHANGED)
    assert recipients(CHANGED) == world.mailed
    assert {row.subject for row in rows} == {
        "Lab day cancelled: VR in de zorg, Tue 22 Dec 2026, 09:00–16:00"
    }
    assert all("Kerstvakantie" in row.body_text for row in rows)
    assert [d.status for d in days] == [DesignDayStatus.SCHEDULED] * 3 + [DesignDayStatus.CANCELLED]


# --- language and escaping ------------------------------------------------------------------


def test_dutch_members_get_dutch_dates(world, days):
    world.member.locale = "nl"
    move(days[0], world.staff)
    row = next(r for r in outbox(CHANGED) if r.recipient_id == world.member.id)
    assert "do 3 dec 2026, 09:00–16:00" in row.subject
    assert "di 1 dec 2026, 09:00–16:00" in row.body_text
    assert '<html lang="nl">' in row.body_html


def test_the_html_escapes_team_name_and_reason(world, days):
    world.team.name = "R&D <script>x</script>"
    teams.cancel_day(days[0], reason="<b>Storm</b> & rain", actor=world.staff, now=NOW)
    row = outbox(CHANGED)[0]
    html = row.body_html
    assert "<script>" not in html and "<b>" not in html
    assert "R&amp;D &lt;script&gt;x&lt;/script&gt;" in html
    assert "&lt;b&gt;Storm&lt;/b&gt; &amp; rain" in html
    assert "<b>Storm</b> & rain" in row.body_text
