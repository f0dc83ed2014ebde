from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from straxlab.core import settings
from straxlab.core.audit import AuditEvent
from straxlab.core.errors import InvalidRequest
from straxlab.extensions import db

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def capacity():
    spec = settings.define(
        settings.SettingSpec(
            key="test.capacity", kind=int, default=4, label="Capacity", minimum=1, maximum=20
        )
    )
    yield spec
    settings.SPECS.pop(spec.key)


def test_default_comes_from_code(app_ctx, capacity):
    assert settings.get("test.capacity") == 4


def test_put_stores_typed_value_and_records_who(app_ctx, capacity):
    assert settings.put("test.capacity", "6", actor_id=None, now=NOW) == 6
    db.session.commit()
    assert settings.get("test.capacity") == 6
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "setting.changed"))
    assert event.details == {"key": "test.capacity", "old": 4, "new": 6}


@pytest.mark.parametrize("raw", ["0", "21", "vier", 2.5, True])
def test_invalid_values_are_refused_with_a_message(app_ctx, capacity, raw):
    with pytest.raises(InvalidRequest):
        settings.put("test.capacity", raw, actor_id=None, now=NOW)


def test_a_key_is_declared_once(capacity):
    with pytest.raises(ValueError, match="twice"):
        settings.define(capacity)


def test_out_of_bounds_stored_value_falls_back_to_default(app_ctx, capacity):
    db.session.add(settings.Setting(key="test.capacity", value=99, updated_at=NOW))
    db.session.commit()
    assert settings.get("test.capacity") == 4
