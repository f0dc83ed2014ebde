"""The feed rules, without an app: window, token, ETag, masking, milestone sequence."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from straxlab.design_teams.rules import DesignDayStatus
from straxlab.equipment.rules import ReservationStatus
from straxlab.feeds import rules
from straxlab.feeds.rules import EventStatus

NOW = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


def test_the_window_runs_from_30_days_back_to_365_days_ahead():
    start, end = rules.window(NOW)
    assert start == datetime(2026, 2, 8, 8, 0, tzinfo=UTC)
    assert end == datetime(2027, 3, 10, 8, 0, tzinfo=UTC)


def test_the_window_refuses_a_naive_instant():
    with pytest.raises(ValueError):
        rules.window(datetime(2026, 3, 10, 8, 0))


def test_window_days_are_local_dates_of_the_lab():
    zone = ZoneInfo("Europe/Amsterdam")
    # 23:30 UTC is already the next day in Amsterdam.
    late = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
    assert rules.window_days(late, late + timedelta(days=1), zone) == (
        date(2026, 3, 11),
        date(2026, 3, 12),
    )


def test_a_new_token_has_256_random_bits_in_43_url_safe_characters():
    tokens = {rules.new_token() for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
        assert rules.looks_like_token(token)


@pytest.mark.parametrize(
    "candidate",
    ["", "short", "A" * 42, "A" * 44, "A" * 42 + "/", "A" * 42 + ".", "A" * 42 + "é", "*" * 43],
)
def test_looks_like_token_refuses_other_shapes(candidate):
    assert not rules.looks_like_token(candidate)


def test_the_token_hash_is_sha256_hex():
    assert rules.token_hash("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert len(rules.token_hash(rules.new_token())) == 64


def test_the_etag_is_the_sha256_of_the_bytes():
    assert rules.etag(b"abc") == rules.token_hash("abc")
    assert rules.etag(b"BEGIN:VCALENDAR\r\n") != rules.etag(b"BEGIN:VCALENDAR\n")


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        (
            '127.0.0.1 - - [10/Mar/2026] "GET /calendar/abcDEF_-123/mine.ics HTTP/1.1" 200 -',
            '127.0.0.1 - - [10/Mar/2026] "GET /calendar/***/mine.ics HTTP/1.1" 200 -',
        ),
        ("GET /calendar/tok/team/12.ics?x=1", "GET /calendar/***/team/12.ics?x=1"),
        (
            "/calendar/one/lab.ics and /calendar/two/type/3.ics",
            "/calendar/***/lab.ics and /calendar/***/type/3.ics",
        ),
        ("GET /calendar HTTP/1.1", "GET /calendar HTTP/1.1"),
        ("POST /calendar/token HTTP/1.1", "POST /calendar/token HTTP/1.1"),
        ("GET /calendar/download/mine.ics", "GET /calendar/download/mine.ics"),
        ("GET /lab/days/3", "GET /lab/days/3"),
        # A link cut short, or with no feed after the token, still hides the token.
        ('"GET /calendar/abcDEF_-123 HTTP/1.1" 404', '"GET /calendar/*** HTTP/1.1" 404'),
        ("GET /calendar/abcDEF_-123?x=1", "GET /calendar/***?x=1"),
        ("GET /calendar/abcDEF_-123", "GET /calendar/***"),
        ("GET /calendar/download HTTP/1.1", "GET /calendar/download HTTP/1.1"),
    ],
)
def test_mask_tokens(line, masked):
    assert rules.mask_tokens(line) == masked


@pytest.mark.parametrize(
    ("path", "plain"),
    [
        ("/calendar/abcDEF_-123/mine.ics", True),
        ("/calendar/abcDEF_-123/nonsense", True),
        ("/calendar/abcDEF_-123", True),
        ("/calendar/abcDEF_-123/", True),
        ("/calendar/tokens/mine.ics", True),
        ("/calendar", False),
        ("/calendar/", False),
        ("/calendar/token", False),
        ("/calendar/download", False),
        ("/calendar/download/mine.ics", False),
        ("/calendar/download/team/3.ics", False),
        ("/calendarabc/x", False),
        ("/lab/calendar/abc/x", False),
        ("/", False),
    ],
)
def test_is_subscription_path(path, plain):
    assert rules.is_subscription_path(path) is plain


def test_every_reservation_and_design_day_status_has_an_event_status():
    assert set(rules.RESERVATION_EVENT_STATUS) == set(ReservationStatus)
    assert set(rules.DESIGN_DAY_EVENT_STATUS) == set(DesignDayStatus)
    cancelled = {s for s, e in rules.RESERVATION_EVENT_STATUS.items() if e is EventStatus.CANCELLED}
    assert cancelled == {
        ReservationStatus.CANCELLED,
        ReservationStatus.REJECTED,
        ReservationStatus.EXPIRED,
    }
    assert rules.RESERVATION_EVENT_STATUS[ReservationStatus.PENDING] is EventStatus.TENTATIVE
    assert rules.DESIGN_DAY_EVENT_STATUS[DesignDayStatus.CANCELLED] is EventStatus.CANCELLED


def test_the_milestone_sequence_grows_with_each_later_change():
    created = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert rules.milestone_sequence(created, created) == 0
    first = rules.milestone_sequence(created, created + timedelta(minutes=5))
    second = rules.milestone_sequence(created, created + timedelta(days=3))
    assert 0 < first < second
