"""Forms of the teacher-facing lending pages: a period, a reservation, a change, a cancel.

A moment (pickup, return) is a date input plus a list of half hours, which works with a
keyboard and with a phone's own pickers. Clients that post ``starts_at``/``ends_at`` as one
``datetime-local`` string (``2026-12-01T10:00``) are understood as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import Choice, SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from straxlab.core.forms import FIRST_DAY, LAST_DAY, Form
from straxlab.equipment import rules
from straxlab.equipment.rules import Interval, OpeningHours

HALF_HOUR = 30
# Dates outside these never make sense here, and would overflow date arithmetic near year 9999.
# Moment fields and the single ``datetime-local`` names they may also arrive as.
MOMENTS = {"starts_at": ("start_date", "start_time"), "ends_at": ("end_date", "end_time")}


def half_hours(first: time, last: time) -> list[str]:
    """``"08:30", "09:00", ... ``: every half hour from ``first`` up to and including ``last``."""
    values: list[str] = []
    minute = first.hour * 60 + first.minute
    end = last.hour * 60 + last.minute
    while minute <= end:
        values.append(f"{minute // 60:02d}:{minute % 60:02d}")
        minute += HALF_HOUR
    closing = f"{last:%H:%M}"
    if closing not in values:
        values.append(closing)
    return values


def _split_moments(formdata: Any) -> Any:
    """Turn ``starts_at=2026-12-01T10:00`` into ``start_date`` and ``start_time``."""
    if formdata is None or not any(name in formdata for name in MOMENTS):
        return formdata
    data = MultiDict(formdata)
    for combined, (date_name, time_name) in MOMENTS.items():
        raw = (data.get(combined) or "").strip()
        if not raw or date_name in data:
            continue
        day, _, wall = raw.replace(" ", "T", 1).partition("T")
        data[date_name] = day
        data[time_name] = wall[:5]
    return data


class TimeOfDayField(SelectField):
    """A time of day, offered as half hours; any valid ``HH:MM`` is accepted and kept."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, choices=[], validate_choice=False, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        raw = valuelist[0].strip()
        if not raw:
            self.data = ""
            return
        try:
            self.data = f"{rules.parse_time_of_day(raw):%H:%M}"
        except ValueError:
            self.data = raw
            raise ValueError(_l("Choose a time such as 13:30.")) from None

    def iter_choices(self) -> Iterator[Choice]:
        values = [choice.value for choice in self.choices or []]
        if self.data and self.data not in values:
            values = sorted([*values, self.data])
        for value in values:
            yield Choice(value=value, label=value, selected=value == self.data, render_kw={})

    def time(self) -> time | None:
        try:
            return rules.parse_time_of_day(self.data or "")
        except ValueError:
            return None


class PeriodForm(Form):
    """Pickup and return moments on the lab's wall clock."""

    class Meta:
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            return _split_moments(super().wrap_formdata(form, formdata))

    start_date = DateField(_l("Date"), validators=[InputRequired()])
    start_time = TimeOfDayField(_l("Time"), validators=[InputRequired()])
    end_date = DateField(_l("Date"), validators=[InputRequired()])
    end_time = TimeOfDayField(_l("Time"), validators=[InputRequired()])

    def offer_times(self, hours: OpeningHours, *, whole_day: bool = False) -> None:
        """Half hours within the desk's opening hours (staff who may waive them: all day)."""
        values = half_hours(time(0, 0), time(23, 30)) if whole_day else None
        values = values or half_hours(hours.opens, hours.closes)
        choices = [SelectChoice(value) for value in values]
        self.start_time.choices = choices
        self.end_time.choices = choices
        # Untouched forms start at opening time and end at closing time.
        if not self.start_time.raw_data and not self.start_time.data:
            self.start_time.data = f"{hours.opens:%H:%M}"
        if not self.end_time.raw_data and not self.end_time.data:
            self.end_time.data = f"{hours.closes:%H:%M}"

    def period(self, zone: ZoneInfo) -> Interval | None:
        """The chosen period as UTC instants, or None with the reason on the field."""
        start = self._instant(self.start_date, self.start_time, zone)
        end = self._instant(self.end_date, self.end_time, zone)
        if start is None or end is None:
            return None
        return Interval(start, end)

    def _instant(self, day_field: Any, time_field: TimeOfDayField, zone: ZoneInfo) -> Any:
        day, wall = day_field.data, time_field.time()
        if day is None or wall is None:
            return None
        if not FIRST_DAY <= day <= LAST_DAY:
            day_field.errors = [
                *day_field.errors,
                str(_l("Choose a date in the years 2000 to 2100.")),
            ]
            return None
        try:
            return rules.local_instant(day, wall, zone)
        except ValueError:
            time_field.errors = [
                *time_field.errors,
                str(_l("This time does not exist on that day (the clocks go forward).")),
            ]
            return None

    def fill_period(self, period: Interval, zone: ZoneInfo) -> None:
        """Show ``period`` in the moment fields (lab wall clock)."""
        start, end = period.start.astimezone(zone), period.end.astimezone(zone)
        self.start_date.data, self.start_time.data = start.date(), f"{start:%H:%M}"
        self.end_date.data, self.end_time.data = end.date(), f"{end:%H:%M}"

    def has_period_input(self) -> bool:
        return bool(self.start_date.raw_data or self.end_date.raw_data)


class CataloguePeriodForm(PeriodForm):
    """The "when?" form on top of the catalogue (a GET form: bookmarkable, no CSRF)."""

    class Meta:
        csrf = False

    submit = SubmitField(_l("Show what is free"))


class ReservationForm(PeriodForm):
    quantity = IntegerField(
        _l("How many"),
        default=1,
        validators=[InputRequired()],
        render_kw={"min": 1, "inputmode": "numeric"},
    )
    purpose = TextAreaField(
        _l("What will you use it for?"),
        validators=[InputRequired(), Length(max=2000)],
        description=_l("For example: vlog assignment in class 2B, Thursday's lesson."),
    )
    # Lab staff only (OVERRIDE_LIMITS); the view removes them for everyone else.
    requester = SelectField(_l("For whom"), coerce=int, choices=[])
    override_reason = TextAreaField(
        _l("Reason for exceeding a limit"),
        validators=[Optional(), Length(max=1000)],
        description=_l(
            "Only needed when this goes past a lending rule (quota, loan period, opening "
            "hours); it is recorded with the reservation."
        ),
    )
    submit = SubmitField(_l("Reserve"))

    def offer_requesters(self, people: Iterable[tuple[int, str, str]]) -> None:
        self.requester.choices = [
            SelectChoice(str(user_id), f"{name} ({email})") for user_id, name, email in people
        ]


class ChangeForm(PeriodForm):
    quantity = IntegerField(
        _l("How many"),
        validators=[InputRequired()],
        render_kw={"min": 1, "inputmode": "numeric"},
    )
    purpose = TextAreaField(
        _l("What will you use it for?"), validators=[InputRequired(), Length(max=2000)]
    )
    override_reason = TextAreaField(
        _l("Reason for exceeding a limit"),
        validators=[Optional(), Length(max=1000)],
        description=_l("Only needed when the change goes past a lending rule."),
    )
    submit = SubmitField(_l("Save changes"))


class CancelForm(Form):
    """Cancelling cannot be undone, so it takes a ticked box as well as the button."""

    reason = TextAreaField(
        _l("Reason (optional)"),
        validators=[Optional(), Length(max=1000)],
    )
    confirm = BooleanField(
        _l("Yes, cancel this reservation"),
        validators=[
            DataRequired(
                message=_l("Tick the box to confirm that you want to cancel this reservation.")
            )
        ],
    )
    submit = SubmitField(_l("Cancel this reservation"))


def moment_args(period: Interval, zone: ZoneInfo) -> dict[str, str]:
    """Query-string values that prefill a period form with ``period``."""
    start, end = period.start.astimezone(zone), period.end.astimezone(zone)
    return {
        "start_date": start.date().isoformat(),
        "start_time": f"{start:%H:%M}",
        "end_date": end.date().isoformat(),
        "end_time": f"{end:%H:%M}",
    }
