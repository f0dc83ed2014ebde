"""Run-time settings of the lab calendar: capacity, the lab's opening hours, holiday region."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from straxlab.core import settings
from straxlab.core.errors import InvalidRequest
from straxlab.core.settings import SettingSpec
from straxlab.lab_calendar.rules import OpeningHours, parse_time_of_day, parse_weekdays

# The regions of the Dutch school holidays, as the holidays package names them.
HOLIDAY_REGIONS = ("Noord", "Midden", "Zuid")

LAB_CAPACITY = settings.define(
    SettingSpec(
        "lab.capacity",
        int,
        4,
        _l("Team places per lab day"),
        _l("How many design teams the lab holds on one day."),
        minimum=1,
        maximum=50,
        group="calendar",
    )
)
LAB_WEEKDAYS = settings.define(
    SettingSpec(
        "lab.weekdays",
        str,
        "12345",
        _l("Lab open for design days on weekdays"),
        _l("Day numbers, 1 = Monday to 7 = Sunday: 12345 is Monday to Friday."),
        check=parse_weekdays,
        group="calendar",
    )
)
LAB_OPENS = settings.define(
    SettingSpec(
        "lab.opens",
        str,
        "08:30",
        _l("Lab opens at"),
        _l("Earliest start of a design day, as HH:MM."),
        check=parse_time_of_day,
        group="calendar",
    )
)
LAB_CLOSES = settings.define(
    SettingSpec(
        "lab.closes",
        str,
        "17:00",
        _l("Lab closes at"),
        _l("Latest end of a design day, as HH:MM."),
        check=parse_time_of_day,
        group="calendar",
    )
)
HOLIDAY_REGION = settings.define(
    SettingSpec(
        "lab.holiday_region",
        str,
        "Midden",
        _l("School holiday region"),
        _l("Noord, Midden or Zuid: which school holidays the closure import offers."),
        choices=HOLIDAY_REGIONS,
        group="calendar",
    )
)


def lab_hours() -> OpeningHours:
    """The lab's opening days and hours for design days, as they are set now."""
    opens = parse_time_of_day(settings.get(LAB_OPENS.key))
    closes = parse_time_of_day(settings.get(LAB_CLOSES.key))
    if closes <= opens:
        opens = parse_time_of_day(LAB_OPENS.default)
        closes = parse_time_of_day(LAB_CLOSES.default)
    return OpeningHours(parse_weekdays(settings.get(LAB_WEEKDAYS.key)), opens, closes)


def capacity() -> int:
    return int(settings.get(LAB_CAPACITY.key))


def _lab_closes_after_it_opens(values: dict[str, Any]) -> None:
    if parse_time_of_day(values[LAB_CLOSES.key]) <= parse_time_of_day(values[LAB_OPENS.key]):
        raise InvalidRequest(_l("The lab must close after it opens."), field=LAB_CLOSES.key)


settings.CROSS_CHECKS.append(_lab_closes_after_it_opens)
