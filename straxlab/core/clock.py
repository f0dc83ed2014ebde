"""The one place the application asks what time it is, replaceable in tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def _system_now() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _system_now


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return _source().astimezone(UTC)


def today(zone: ZoneInfo) -> date:
    """Today's date on the wall clock of ``zone``."""
    return now().astimezone(zone).date()


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Make :func:`now` return ``at`` inside the block (tests, demo data)."""
    if at.tzinfo is None:
        raise ValueError("frozen() needs a timezone-aware datetime")
    global _source
    previous = _source
    _source = lambda: at  # noqa: E731
    try:
        yield
    finally:
        _source = previous
