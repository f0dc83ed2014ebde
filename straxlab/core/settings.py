"""Run-time settings that staff and managers change: one typed table, defaults in code.

Every setting is declared once, in :data:`SPECS`, with its type, default and bounds.
Deployment configuration (secrets, database URL) is not a setting: see ``config.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from straxlab.core import audit
from straxlab.core.errors import InvalidRequest
from straxlab.extensions import Model, db


@dataclass(frozen=True)
class SettingSpec:
    key: str
    kind: type
    default: Any
    label: Any
    help: Any = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    # Extra validation for text settings (a time of day, a set of weekdays): raise ValueError.
    check: Callable[[Any], object] | None = None
    # Which settings page shows it; the page decides who may change that group.
    group: str = "lab"

    def parse(self, raw: Any) -> Any:
        """Coerce ``raw`` to this setting's type, or raise ``InvalidRequest``."""
        try:
            if self.kind is bool:
                value: Any = (
                    raw if isinstance(raw, bool) else str(raw).lower() in {"1", "true", "on"}
                )
            elif self.kind is int:
                if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                    raise ValueError(raw)
                value = int(raw)
            else:
                value = self.kind(raw)
        except (TypeError, ValueError):
            raise InvalidRequest(
                _l("“%(label)s” has an invalid value.", label=self.label)
            ) from None
        if self.minimum is not None and value < self.minimum:
            raise InvalidRequest(
                _l("“%(label)s” must be at least %(min)s.", label=self.label, min=self.minimum)
            )
        if self.maximum is not None and value > self.maximum:
            raise InvalidRequest(
                _l("“%(label)s” must be at most %(max)s.", label=self.label, max=self.maximum)
            )
        if self.choices is not None and value not in self.choices:
            raise InvalidRequest(_l("“%(label)s” has an invalid value.", label=self.label))
        if self.check is not None:
            try:
                self.check(value)
            except ValueError:
                raise InvalidRequest(
                    _l("“%(label)s” has an invalid value.", label=self.label)
                ) from None
        return value


SPECS: dict[str, SettingSpec] = {}
# Rules over several settings at once (the desk must close after it opens). Each gets the
# values as they would be after a change and raises InvalidRequest(field=key) to refuse it.
CROSS_CHECKS: list[Callable[[dict[str, Any]], None]] = []


def define(spec: SettingSpec) -> SettingSpec:
    """Declare a setting; each key once."""
    if spec.key in SPECS:
        raise ValueError(f"setting {spec.key!r} is declared twice")
    spec.parse(spec.default)
    SPECS[spec.key] = spec
    return spec


class Setting(Model):
    key: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    value: so.Mapped[Any] = so.mapped_column(sa.JSON)
    updated_at: so.Mapped[datetime]
    updated_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user.id"))

    def __repr__(self) -> str:
        return f"<Setting {self.key}={self.value!r}>"


_CACHE_KEY = "straxlab.settings"


def get(key: str) -> Any:
    """The current value of a setting: the stored one, else the default in code.

    All stored values are read in one query per transaction (a reservation asks for several)
    and forgotten at commit or rollback, so every transaction sees the values as they are.
    """
    spec = SPECS[key]
    stored = _stored_values()
    if key not in stored:
        return spec.default
    try:
        return spec.parse(stored[key])
    except InvalidRequest:
        # A value stored under older bounds must not take the application down.
        return spec.default


def _stored_values() -> dict[str, Any]:
    info = db.session.info
    if _CACHE_KEY not in info:
        rows = db.session.execute(sa.select(Setting.key, Setting.value))
        info[_CACHE_KEY] = {row.key: row.value for row in rows}
    return dict(info[_CACHE_KEY])


def _forget(session: so.Session, *_: Any) -> None:
    session.info.pop(_CACHE_KEY, None)


for _event in ("after_commit", "after_rollback", "after_soft_rollback"):
    sa.event.listen(so.Session, _event, _forget)


def put(key: str, raw: Any, *, actor_id: int | None, now: datetime) -> Any:
    """Validate and store a new value, recording who changed it."""
    spec = SPECS[key]
    value = spec.parse(raw)
    row = db.session.get(Setting, key)
    old = spec.default if row is None else row.value
    if row is None:
        row = Setting(key=key, value=value, updated_at=now, updated_by_id=actor_id)
        db.session.add(row)
    else:
        row.value, row.updated_at, row.updated_by_id = value, now, actor_id
    db.session.info.pop(_CACHE_KEY, None)
    audit.record(
        "setting.changed",
        actor_id=actor_id,
        object_type="setting",
        object_id=None,
        now=now,
        key=key,
        old=old,
        new=value,
    )
    return value


def in_group(group: str) -> list[SettingSpec]:
    """The settings shown together on one settings page, in declaration order."""
    return [spec for spec in SPECS.values() if spec.group == group]


def put_many(raw_values: dict[str, Any], *, actor_id: int | None, now: datetime) -> list[str]:
    """Validate every value first, then store the ones that changed; returns their keys.

    Nothing is stored when any value is refused; the error names the setting's key as field.
    """
    parsed: dict[str, Any] = {}
    for key, raw in raw_values.items():
        try:
            parsed[key] = SPECS[key].parse(raw)
        except InvalidRequest as exc:
            raise InvalidRequest(exc.message, field=key) from None
    would_be = {key: get(key) for key in SPECS} | parsed
    for check in CROSS_CHECKS:
        check(would_be)
    changed = [key for key, value in parsed.items() if value != get(key)]
    for key in changed:
        put(key, parsed[key], actor_id=actor_id, now=now)
    return changed
