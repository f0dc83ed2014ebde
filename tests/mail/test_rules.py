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


@pytest.mark.parametrize(
    ("waited_minutes", "wait_minutes"),
    [(-5, 1), (0, 1), (1, 2), (3, 4), (7, 8), (8, 9), (9, 10), (15, 10), (360, 10)],
)
def test_the_wait_after_a_server_failure_grows_with_the_time_already_waited(
    waited_minutes, wait_minutes
):
    waited = timedelta(minutes=waited_minutes)
    assert rules.server_retry_delay(waited) == timedelta(minutes=wait_minutes)


def test_the_wait_after_a_server_failure_is_at_most_ten_minutes():
    # A reset link queued during a long outage goes out within minutes of the server's return.
    assert rules.server_retry_delay(timedelta(days=30)) == timedelta(minutes=10)


def test_a_server_retried_on_time_doubles_its_wait_up_to_ten_minutes():
    waited, waits = timedelta(0), []
    for _ in range(8):
        waits.append(rules.server_retry_delay(waited))
        waited += waits[-1]
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 10, 10, 10, 10)]


def test_the_outbox_keeps_sent_mail_for_ninety_days():
    assert rules.OUTBOX_RETENTION.days == 90 and rules.OUTBOX_RETENTION.seconds == 0


def test_only_security_mail_is_always_sent():
    assert set(ALWAYS_SENT) == {Notice.SECURITY}
    assert not rules.may_opt_out(Notice.SECURITY)
    for notice in Notice:
        if notice is not Notice.SECURITY:
            assert rules.may_opt_out(notice), notice
