"""Forms of single design days: cancel, move, an extra day, check-in and attendance."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from straxlab.core.forms import Form, strip_text, within_years
from straxlab.core.web import MAX_ID

# As long as the services allow (design_teams.services.THEME_LENGTH).
REASON_MAX = 200


class CancelDayForm(Form):
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(message=_l("Say why the design day is cancelled.")),
            Length(max=REASON_MAX),
        ],
        filters=[strip_text],
        description=_l("The team sees this, and it stays in the day's history."),
    )
    submit = SubmitField(_l("Cancel this design day"))


class DayWindowForm(Form):
    """A date and a start and end time in the lab's zone (move a day, or add one)."""

    day = DateField(_l("Date"), validators=[InputRequired(), within_years])
    starts_at = TimeField(_l("Start time"), validators=[InputRequired()])
    ends_at = TimeField(_l("End time"), validators=[InputRequired()])


class MoveDayForm(DayWindowForm):
    submit = SubmitField(_l("Move the design day"))


class AddDayForm(DayWindowForm):
    submit = SubmitField(_l("Add the design day"))


class CheckInForm(Form):
    submit = SubmitField(_l("I'm here — check in"))


def presence_choices() -> list[SelectChoice]:
    return [SelectChoice("present", _l("Present")), SelectChoice("absent", _l("Absent"))]


class AttendanceForm(Form):
    """Staff record (or correct) one member's attendance on the day page."""

    user = HiddenField(validators=[InputRequired()])
    present = SelectField(_l("Attendance"), choices=presence_choices, validators=[InputRequired()])
    reason = StringField(
        _l("Reason"),
        validators=[Optional(), Length(max=REASON_MAX)],
        filters=[strip_text],
        description=_l("Needed when you correct what was recorded before."),
    )
    submit = SubmitField(_l("Save"))

    def user_id(self) -> int | None:
        """The posted member's id, if it is one the database can hold."""
        raw = (self.user.data or "").strip()
        if not (raw.isdigit() and len(raw) <= 10) or not 0 < int(raw) <= MAX_ID:
            return None
        return int(raw)
