"""Run-time settings of the lending desk (changed by lab staff on the settings page)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from straxlab.core import settings
from straxlab.core.errors import InvalidRequest
from straxlab.core.settings import SettingSpec
from straxlab.equipment.rules import OpeningHours, parse_time_of_day, parse_weekdays

DESK_WEEKDAYS = settings.define(
    SettingSpec(
        "desk.weekdays",
        str,
        "12345",
        _l("Desk open on weekdays"),
        _l("Day numbers, 1 = Monday to 7 = Sunday: 12345 is Monday to Friday."),
        check=parse_weekdays,
    )
)
DESK_OPENS = settings.define(
    SettingSpec(
        "desk.opens",
        str,
        "08:30",
        _l("Desk opens at"),
        _l("Earliest pickup and return time, as HH:MM."),
        check=parse_time_of_day,
    )
)
DESK_CLOSES = settings.define(
    SettingSpec(
        "desk.closes",
        str,
        "17:00",
        _l("Desk closes at"),
        _l("Latest pickup and return time, as HH:MM."),
        check=parse_time_of_day,
    )
)
MAX_ASSETS_PER_BORROWER = settings.define(
    SettingSpec(
        "lending.max_assets_per_borrower",
        int,
        8,
        _l("Most items one borrower may hold at once"),
        _l("Counted over every moment of a loan; lab staff may allow more, with a reason."),
        minimum=1,
        maximum=200,
    )
)


def opening_hours() -> OpeningHours:
    """The desk's opening hours as they are set now."""
    opens = parse_time_of_day(settings.get(DESK_OPENS.key))
    closes = parse_time_of_day(settings.get(DESK_CLOSES.key))
    if closes <= opens:
        # A contradictory pair must not lock everyone out: fall back to the defaults.
        opens = parse_time_of_day(DESK_OPENS.default)
        closes = parse_time_of_day(DESK_CLOSES.default)
    return OpeningHours(parse_weekdays(settings.get(DESK_WEEKDAYS.key)), opens, closes)


def _desk_closes_after_it_opens(values: dict[str, Any]) -> None:
    if parse_time_of_day(values[DESK_CLOSES.key]) <= parse_time_of_day(values[DESK_OPENS.key]):
        raise InvalidRequest(_l("The desk must close after it opens."), field=DESK_CLOSES.key)


settings.CROSS_CHECKS.append(_desk_closes_after_it_opens)
