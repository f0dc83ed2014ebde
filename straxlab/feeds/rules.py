"""Calendar feed rules: the window, the feed token, ETags and masking tokens in logs.

Pure: no database, no Flask. Services and views gather the facts and call these.
"""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from straxlab.design_teams.rules import DesignDayStatus
from straxlab.equipment.rules import ReservationStatus

# A feed holds what happens from a month ago up to a year ahead (issue 6).
WINDOW_BACK = timedelta(days=30)
WINDOW_AHEAD = timedelta(days=365)

# secrets.token_urlsafe(32): 32 random bytes (256 bits) in 43 URL-safe characters.
TOKEN_BYTES = 32
TOKEN_LENGTH = 43
_TOKEN_SHAPE = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}")

# "/calendar/<token>", the segment where a subscription link carries its token (in a path or
# a logged request line). The feed page, its POST and the downloads ("/calendar",
# "/calendar/token", "/calendar/download/...") carry no token and stay readable.
_TOKEN_IN_PATH = re.compile(r"/calendar/(?!(?:download|token)(?![^/\s?#\"']))[^/\s?#\"']+")
MASKED_PATH = "/calendar/***"


class Feed(enum.StrEnum):
    """The kinds of feed a user may subscribe to or download."""

    MINE = "mine"
    TEAM = "team"
    LAB = "lab"
    EQUIPMENT_TYPE = "type"


class EventStatus(enum.StrEnum):
    """The iCalendar STATUS values a VEVENT may carry (RFC 5545, 3.8.1.11)."""

    CONFIRMED = "CONFIRMED"
    TENTATIVE = "TENTATIVE"
    CANCELLED = "CANCELLED"


# Cancelled, rejected and expired reservations stay in the feed, marked cancelled, so that a
# calendar that already has them removes or strikes them instead of keeping a stale copy.
RESERVATION_EVENT_STATUS: dict[ReservationStatus, EventStatus] = {
    ReservationStatus.PENDING: EventStatus.TENTATIVE,
    ReservationStatus.APPROVED: EventStatus.CONFIRMED,
    ReservationStatus.CHECKED_OUT: EventStatus.CONFIRMED,
    ReservationStatus.RETURNED: EventStatus.CONFIRMED,
    ReservationStatus.REJECTED: EventStatus.CANCELLED,
    ReservationStatus.CANCELLED: EventStatus.CANCELLED,
    ReservationStatus.EXPIRED: EventStatus.CANCELLED,
}
DESIGN_DAY_EVENT_STATUS: dict[DesignDayStatus, EventStatus] = {
    DesignDayStatus.SCHEDULED: EventStatus.CONFIRMED,
    DesignDayStatus.HELD: EventStatus.CONFIRMED,
    DesignDayStatus.CANCELLED: EventStatus.CANCELLED,
}


def window(now: datetime) -> tuple[datetime, datetime]:
    """The instants a feed covers: 30 days back to 365 days ahead of ``now``."""
    if now.tzinfo is None:
        raise ValueError("window() needs a timezone-aware instant")
    return now - WINDOW_BACK, now + WINDOW_AHEAD


def window_days(start: datetime, end: datetime, zone: ZoneInfo) -> tuple[date, date]:
    """The local dates of a window's ends on the lab's wall clock (for all-day events)."""
    return start.astimezone(zone).date(), end.astimezone(zone).date()


def new_token() -> str:
    """A fresh feed token: 256 random bits, URL-safe, to be shown once and stored hashed."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def looks_like_token(candidate: str) -> bool:
    """Whether ``candidate`` has the shape of a token (saves a query for obvious garbage)."""
    return _TOKEN_SHAPE.fullmatch(candidate) is not None


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256 in hex (64 characters).

    A plain hash is enough: the token is 256 random bits, so there is nothing to guess
    from the hash, and a lookup by hash needs no per-user salt.
    """
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def etag(body: bytes) -> str:
    """A strong entity tag for a feed body (unquoted): the SHA-256 of the bytes in hex."""
    return hashlib.sha256(body).hexdigest()


def mask_tokens(text: str) -> str:
    """Hide feed tokens in a log line: ``/calendar/<token>/...`` becomes ``/calendar/***/...``."""
    if "/calendar/" not in text:
        return text
    return _TOKEN_IN_PATH.sub(MASKED_PATH, text)


def is_subscription_path(path: str) -> bool:
    """Whether a request path is (or looks like) a subscription link: ``/calendar/<token>``
    and anything under it, whether or not such a feed exists."""
    return _TOKEN_IN_PATH.match(path) is not None


def milestone_sequence(created_at: datetime, updated_at: datetime) -> int:
    """A SEQUENCE for a milestone, which has no counter of its own: seconds since creation
    at its last change. It grows with every change made at a later second (changes only
    ever move ``updated_at`` forward) and stays 0 until the first change."""
    return max(0, int((updated_at - created_at).total_seconds()))
