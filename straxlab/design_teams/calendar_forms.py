"""Forms of the lab calendar: which week or month to show, closures, the holiday import."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from straxlab.core.forms import Form, strip_text, within_years
from straxlab.lab_calendar.services import MAX_CLOSURE_DAYS, REASON_LENGTH
from straxlab.lab_calendar.settings import HOLIDAY_REGIONS


class WeekForm(Form):
    """``?week=YYYY-MM-DD``: any day of the week to show."""

    class Meta:
        csrf = False

    week = DateField(_l("Go to the week of"), validators=[Optional(), within_years])


class MonthForm(Form):
    """``?month=YYYY-MM``."""

    class Meta:
        csrf = False

    month = StringField(
        _l("Month"), validators=[Optional(), Regexp(r"^\d{4}-\d{2}$")], filters=[strip_text]
    )


class ClosureForm(Form):
    first_day = DateField(
        _l("First day"),
        validators=[
            DataRequired(message=_l("Enter the first day the lab is closed.")),
            within_years,
        ],
    )
    last_day = DateField(
        _l("Last day"),
        validators=[
            DataRequired(message=_l("Enter the last day the lab is closed.")),
            within_years,
        ],
        description=_l("The same as the first day for a closure of one day."),
    )
    reason = StringField(
        _l("Reason"),
        validators=[
            DataRequired(message=_l("Say why the lab is closed.")),
            Length(max=REASON_LENGTH),
        ],
        filters=[strip_text],
        description=_l("Everyone sees this in the lab calendar, e.g. “Study day”."),
    )
    # Ticked on the second round, once the design days the closure cancels are listed.
    confirm = BooleanField(_l("Cancel these design days"))
    # The ids of the design days that were listed: if they change, ask again.
    affected = HiddenField()
    submit = SubmitField(_l("Save closure"))

    def validate_last_day(self, field: DateField) -> None:
        first = self.first_day.data
        if field.data is None or first is None:
            return
        if field.data < first:
            raise ValidationError(_l("The last day cannot be before the first day."))
        if (field.data - first).days >= MAX_CLOSURE_DAYS:
            raise ValidationError(_l("A closure lasts at most %(n)s days.", n=MAX_CLOSURE_DAYS))


class RemoveClosureForm(Form):
    confirm = BooleanField(
        _l("Yes, remove this closure"),
        validators=[DataRequired(message=_l("Tick the box to confirm the removal."))],
    )
    submit = SubmitField(_l("Remove closure"))


class ClosureFilterForm(Form):
    class Meta:
        csrf = False

    year = SelectField(_l("Year"), default="")


def year_choices(years: range) -> list[SelectChoice]:
    return [
        SelectChoice("", _l("This school year and later")),
        *(SelectChoice(str(year), str(year)) for year in reversed(years)),
    ]


def region_choices() -> list[SelectChoice]:
    return [SelectChoice(region, region) for region in HOLIDAY_REGIONS]


class CheckboxesField(SelectMultipleField):  # type: ignore[misc]
    """A list of checkboxes (one per choice)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class HolidayChoiceForm(Form):
    """Which year and region to preview (a GET form)."""

    class Meta:
        csrf = False

    year = SelectField(_l("Year"), coerce=int)
    region = SelectField(
        _l("School holiday region"),
        choices=region_choices,
        description=_l("Doetinchem is in region Midden."),
    )


class HolidayImportForm(Form):
    """The confirmed import: the same year and region, the ticked rows of the preview."""

    year = SelectField(_l("Year"), coerce=int)
    region = SelectField(_l("School holiday region"), choices=region_choices)
    rows = CheckboxesField(_l("Holidays to add"), coerce=int)
    confirm = BooleanField(_l("Cancel these design days"))
    affected = HiddenField()
    submit = SubmitField(_l("Add the ticked holidays"))
