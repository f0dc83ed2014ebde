"""Mail to a team when staff approve its programme (with the dates) or reject it (with why)."""

from __future__ import annotations

from datetime import date

import pytest

from straxlab.core.errors import Conflict
from straxlab.design_teams import notifications
from straxlab.design_teams import services as teams
from straxlab.mail.rules import Notice
from tests.factories import make_programme
from tests.notifications.conftest import BASE_URL, NOW, opt_out, outbox, recipients

DECIDED = Notice.PROGRAMME_DECIDED.value
TUESDAY = date(2026, 12, 1)


@pytest.fixture
def request_(world):
    """The team asks for four Tuesdays from 1 December 2026, 09:00-16:00."""
    opt_out(world.opted_out, Notice.PROGRAMME_DECIDED)
    return make_programme(world.team, first_day=TUESDAY)


def test_asking_sends_nothing(world, request_):
    assert outbox() == []


def test_approval_mails_the_coordinator_and_active_members_with_the_dates(world, request_):
    created = teams.approve(request_, actor=world.staff, now=NOW)
    assert len(created) == 4

    # Not the former member, not the deactivated one, not the one who opted out, not staff.
    assert recipients(DECIDED) == world.mailed
    cora = next(r for r in outbox(DECIDED) if r.recipient_id == world.coordinator.id)
    assert cora.to_address == "cora@school.example"
    assert cora.subject == (
        "Programme approved: VR in de zorg, every Tuesday 09:00–16:00 from 1 Dec 2026"
    )
    assert cora.dedupe_key == f"programme:{request_.id}:approved:{world.coordinator.id}"
    text = cora.body_text
    assert "Lab staff approved the lab days of your design team VR in de zorg." in text
    assert "4 lab days, 09:00–16:00:" in text
    for day in ("Tue 1 Dec 2026", "Tue 8 Dec 2026", "Tue 15 Dec 2026", "Tue 22 Dec 2026"):
        assert f"- {day}\n" in text
        assert f"<li>{day}</li>" in cora.body_html
    link = f"{BASE_URL}/programmes/{request_.id}"
    assert f"The programme: {link}\n" in text
    assert f'href="{link}"' in cora.body_html
    assert "Mila" not in text and "Sam Staff" not in text


def test_approval_with_exceptions_lists_the_real_dates(world, request_):
    teams.approve(
        request_,
        actor=world.staff,
        now=NOW,
        drop=[date(2026, 12, 8)],
        moves={date(2026, 12, 15): date(2026, 12, 17)},
    )
    text = outbox(DECIDED)[0].body_text
    assert "3 lab days" in text
    assert "- Thu 17 Dec 2026\n" in text
    assert "Tue 8 Dec" not in text and "Tue 15 Dec" not in text


def test_rejection_mails_the_reason(world, request_):
    teams.reject(
        request_, reason="The lab is full on Tuesdays; try Thursday.", actor=world.staff, now=NOW
    )

    assert recipients(DECIDED) == world.mailed
    mila = next(r for r in outbox(DECIDED) if r.recipient_id == world.member.id)
    assert mila.subject == (
        "Programme rejected: VR in de zorg, every Tuesday 09:00–16:00 from 1 Dec 2026"
    )
    assert mila.dedupe_key == f"programme:{request_.id}:rejected:{world.member.id}"
    assert "Asked for: 4 lab days, every Tuesday 09:00–16:00, from 1 Dec 2026." in mila.body_text
    assert "Reason:\nThe lab is full on Tuesdays; try Thursday.\n" in mila.body_text
    assert "The lab is full on Tuesdays; try Thursday." in mila.body_html
    assert f'href="{BASE_URL}/programmes/{request_.id}"' in mila.body_html


def test_a_replayed_decision_adds_nothing(world, request_):
    teams.approve(request_, actor=world.staff, now=NOW)
    assert len(outbox(DECIDED)) == 2
    with pytest.raises(Conflict):
        teams.approve(request_, actor=world.staff, now=NOW)
    assert notifications.programme_decided(request_, actor=world.staff, now=NOW) == 0
    assert len(outbox(DECIDED)) == 2


def test_a_new_request_after_a_rejection_is_mailed_again(world, request_):
    teams.reject(request_, reason="Full", actor=world.staff, now=NOW)
    again = make_programme(world.team, first_day=date(2026, 12, 3))
    teams.approve(again, actor=world.staff, now=NOW)
    rows = outbox(DECIDED)
    assert len(rows) == 4
    assert {r.subject for r in rows[2:]} == {
        "Programme approved: VR in de zorg, every Thursday 09:00–16:00 from 3 Dec 2026"
    }


def test_staff_who_decide_on_a_team_they_are_in_are_not_mailed(world, request_):
    teams.add_member(world.team, world.staff, actor=world.coordinator, now=NOW)
    teams.approve(request_, actor=world.staff, now=NOW)
    assert recipients(DECIDED) == world.mailed


def test_dutch_members_get_dutch_dates(world, request_):
    world.member.locale = "nl"
    teams.approve(request_, actor=world.staff, now=NOW)
    mila = next(r for r in outbox(DECIDED) if r.recipient_id == world.member.id)
    assert "dinsdag 09:00–16:00" in mila.subject and "1 dec 2026" in mila.subject
    assert "- di 8 dec 2026\n" in mila.body_text
    assert '<html lang="nl">' in mila.body_html


def test_the_html_escapes_the_reason_and_team_name(world, request_):
    world.team.name = "Drones & <i>VR</i>"
    teams.reject(request_, reason="<script>alert(1)</script>", actor=world.staff, now=NOW)
    row = only_for(world.member.id)
    assert "<script>" not in row.body_html and "<i>" not in row.body_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in row.body_html
    assert "Drones &amp; &lt;i&gt;VR&lt;/i&gt;" in row.body_html
    assert "Drones & <i>VR</i>" in row.subject


def only_for(user_id):
    rows = [r for r in outbox(DECIDED) if r.recipient_id == user_id]
    assert len(rows) == 1
    return rows[0]
