"""Mail to a team when a manager returns its plan (with the comment) or approves it."""

from __future__ import annotations

import pytest

from straxlab.compliance import notifications
from straxlab.compliance import services as compliance
from straxlab.core.errors import Conflict
from straxlab.mail.rules import Notice
from tests.factories import make_plan
from tests.notifications.conftest import BASE_URL, NOW, opt_out, outbox, recipients

DECIDED = Notice.PLAN_DECIDED.value


@pytest.fixture
def plan(world):
    opt_out(world.opted_out, Notice.PLAN_DECIDED)
    return make_plan(world.team, submit=True)


def for_user(user_id):
    rows = [r for r in outbox(DECIDED) if r.recipient_id == user_id]
    assert len(rows) == 1, rows
    return rows[0]


def test_submitting_sends_nothing(world, plan):
    assert outbox() == []


def test_a_returned_plan_mails_the_team_the_managers_comment(world, plan):
    version = compliance.return_plan(
        plan, comment="Name who observes whose lesson.", actor=world.manager, now=NOW
    )

    assert recipients(DECIDED) == world.mailed
    cora = for_user(world.coordinator.id)
    assert cora.to_address == "cora@school.example"
    assert cora.subject == "Plan returned: VR in de zorg, version 1"
    assert cora.dedupe_key == f"plan:{plan.id}:v{version.number}:returned:{world.coordinator.id}"
    assert "returned version 1 of the professionalisation plan" in cora.body_text
    assert "on 30 Nov 2026, 10:00" in cora.body_text
    assert "Comment from the manager:\nName who observes whose lesson.\n" in cora.body_text
    assert "Name who observes whose lesson." in cora.body_html
    link = f"{BASE_URL}/teams/{world.team.id}/plan"
    assert f"The plan: {link}\n" in cora.body_text
    assert f'href="{link}"' in cora.body_html
    assert "Manon" not in cora.body_text + cora.body_html


def test_an_approved_plan_mails_the_team(world, plan):
    compliance.approve_plan(plan, comment="", actor=world.manager, now=NOW)
    assert recipients(DECIDED) == world.mailed
    mila = for_user(world.member.id)
    assert mila.subject == "Plan approved: VR in de zorg, version 1"
    assert "A manager approved version 1" in mila.body_text
    assert "Comment" not in mila.body_text  # none given
    assert f'href="{BASE_URL}/teams/{world.team.id}/plan"' in mila.body_html


def test_an_approval_comment_is_included(world, plan):
    compliance.approve_plan(plan, comment="Good plan.", actor=world.manager, now=NOW)
    assert "Comment from the manager:\nGood plan.\n" in for_user(world.member.id).body_text


def test_a_replayed_decision_adds_nothing_the_next_versions_decision_mails_again(world, plan):
    version = compliance.return_plan(plan, comment="More goals.", actor=world.manager, now=NOW)
    with pytest.raises(Conflict):
        compliance.return_plan(plan, comment="More goals.", actor=world.manager, now=NOW)
    assert notifications.plan_decided(plan, version, actor=world.manager, now=NOW) == 0
    assert len(outbox(DECIDED)) == 2

    compliance.submit_plan(world.team, actor=world.coordinator, now=NOW)
    compliance.approve_plan(plan, actor=world.manager, now=NOW)
    rows = outbox(DECIDED)
    assert len(rows) == 4
    assert {r.subject for r in rows[2:]} == {"Plan approved: VR in de zorg, version 2"}


def test_dutch_members_get_dutch_dates(world, plan):
    world.member.locale = "nl"
    compliance.return_plan(plan, comment="Meer doelen.", actor=world.manager, now=NOW)
    mila = for_user(world.member.id)
    assert "30 nov 2026, 10:00" in mila.body_text
    assert "Meer doelen." in mila.body_text
    assert '<html lang="nl">' in mila.body_html


def test_the_html_escapes_the_comment(world, plan):
    compliance.return_plan(
        plan, comment="<script>alert(1)</script> & more", actor=world.manager, now=NOW
    )
    mila = for_user(world.member.id)
    assert "<script>" not in mila.body_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in mila.body_html
    assert "<script>alert(1)</script> & more" in mila.body_text
