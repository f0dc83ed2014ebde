"""mail.labels: every kind of mail has words, and reaches the right people."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from straxlab.auth.rules import Permission, Role, has_permission
from straxlab.mail import labels
from straxlab.mail.rules import Notice, may_opt_out


class _User:
    def __init__(self, role: Role) -> None:
        self.role = role

    def can(self, permission) -> bool:
        return has_permission(self.role, Permission(permission))


def test_every_kind_a_user_may_turn_off_has_a_label_and_an_explanation(app):
    optional = [notice for notice in Notice if may_opt_out(notice)]
    assert [item.notice for item in labels.NOTICE_LABELS] == optional
    with app.test_request_context(), force_locale("en"):
        for item in labels.NOTICE_LABELS:
            assert str(item.label) and str(item.explanation).endswith(".")


def test_every_audience_is_a_real_permission():
    for item in labels.NOTICE_LABELS:
        Permission(item.permission)  # raises on a typo


def test_teachers_and_staff_choose_every_lending_and_team_notice_but_not_the_digest():
    for role in (Role.TEACHER, Role.STAFF):
        offered = [item.notice for item in labels.notices_for(_User(role))]
        assert Notice.COMPLIANCE_DIGEST not in offered
        assert Notice.SECURITY not in offered
        assert {
            Notice.RESERVATION_DECIDED,
            Notice.RESERVATION_CHANGED,
            Notice.PICKUP_REMINDER,
            Notice.RETURN_REMINDER,
            Notice.OVERDUE,
            Notice.PROGRAMME_DECIDED,
            Notice.LAB_DAY_CHANGED,
            Notice.LAB_DAY_REMINDER,
            Notice.PLAN_DECIDED,
        } == set(offered)


def test_managers_also_choose_the_weekly_digest():
    offered = [item.notice for item in labels.notices_for(_User(Role.MANAGER))]
    assert offered[-1] is Notice.COMPLIANCE_DIGEST
    assert len(offered) == len(labels.NOTICE_LABELS)


@pytest.mark.parametrize("notice", list(Notice))
def test_every_kind_has_a_name_for_the_outbox(app, notice):
    with app.test_request_context(), force_locale("en"):
        assert str(labels.notice_label(notice))
