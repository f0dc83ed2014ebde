from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from straxlab.core import clock


def test_now_is_aware_utc():
    value = clock.now()
    assert value.tzinfo is not None and value.utcoffset() == timedelta(0)


def test_frozen_replaces_and_restores_the_clock():
    moment = datetime(2026, 10, 25, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    with clock.frozen(moment):
        assert clock.now() == moment
        assert clock.now().tzinfo is UTC
        assert clock.today(ZoneInfo("Europe/Amsterdam")).isoformat() == "2026-10-25"
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_frozen_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="timezone-aware"), clock.frozen(datetime(2026, 1, 1)):
        pass


def test_today_uses_the_lab_wall_clock():
    # 23:30 UTC on 31 December is already New Year in Amsterdam.
    with clock.frozen(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)):
        assert clock.today(ZoneInfo("Europe/Amsterdam")).isoformat() == "2027-01-01"
