"""mail.rules: pure, no app."""

from __future__ import annotations

from datetime import timedelta

import pytest

from straxlab.mail import rules
from straxlab.mail.rules import ALWAYS_SENT, MAX_ATTEMPTS, Notice


@pytest.mark.parametrize(
    ("attempts", "minutes"),
    [(0, 0), (1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (6, 32), (7, 64), (8, 128), (9, 256)],
)
def test_retry_delay_doubles_from_one_minute(attempts, minutes):
    assert rules.retry_delay(attempts) == timedelta(minutes=minutes)


@pytest.mark.parametrize("attempts", [10, 11, 50, 10_000])
def test_retry_delay_is_at_most_six_hours(attempts):
    assert rules.retry_delay(attempts) == timedelta(hours=6)


def test_retry_delay_of_nonsense_is_no_wait():
    assert rules.retry_delay(-3) == timedelta(0)


def test_gives_up_at_max_attempts():
    assert MAX_ATTEMPTS == 8
    assert not rules.gives_up(0)
    assert not rules.gives_up(MAX_ATTEMPTS - 1)
    assert rules.gives_up(MAX_ATTEMPTS)
    assert rules.gives_up(MAX_ATTEMPTS + 1)


def test_total_wait_before_giving_up_spans_hours_not_days():
    waited = sum((rules.retry_delay(n) for n in range(1, MAX_ATTEMPTS)), timedelta())
    assert timedelta(hours=1) < waited < timedelta(hours=3)


def test_only_security_mail_is_always_sent():
    assert set(ALWAYS_SENT) == {Notice.SECURITY}
    assert not rules.may_opt_out(Notice.SECURITY)
    for notice in Notice:
        if notice is not Notice.SECURITY:
            assert rules.may_opt_out(notice), notice
