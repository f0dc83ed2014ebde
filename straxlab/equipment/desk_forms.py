"""Forms of the lending desk: tag lookup, check-out, take-back, approvals, lists and labels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from straxlab.core.forms import Form, strip_text, within_years
from straxlab.equipment.labels import RESERVATION_STATUS_LABELS
from straxlab.equipment.rules import ReservationStatus

NOTE_MAX = 2000


class CheckboxesField(SelectMultipleField):  # type: ignore[misc]
    """A list of checkboxes (one per choice) whose values are ids."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LookupForm(Form):
    """The tag field on the desk (rendered by templates/desk/_lookup.html)."""

    class Meta:
        csrf = False

    tag = StringField(
        _l("Asset tag"), validators=[Optional(), Length(max=64)], filters=[strip_text]
    )


class CheckOutForm(Form):
    condition = TextAreaField(
        _l("Condition when handed out"),
        validators=[Optional(), Length(max=NOTE_MAX)],
        description=_l("Optional: scratches, missing parts, battery level."),
    )
    next = HiddenField()
    submit = SubmitField(_l("Check out"))


class CheckInForm(Form):
    asset_ids = CheckboxesField(_l("Items that have come back"), coerce=int)
    condition = TextAreaField(
        _l("Condition when taken back"),
        validators=[Optional(), Length(max=NOTE_MAX)],
        description=_l("Optional: anything worth knowing for the next borrower."),
    )
    damaged = CheckboxesField(_l("Damaged items"), coerce=int)
    damage_report = TextAreaField(
        _l("Damage report"),
        validators=[Optional(), Length(max=NOTE_MAX)],
        description=_l("What is broken or missing. Damaged items go to maintenance."),
    )
    card_wiped = BooleanField(_l("Memory card wiped"))
    next = HiddenField()
    submit = SubmitField(_l("Take back"))


class ApproveForm(Form):
    note = TextAreaField(_l("Note for the teacher"), validators=[Optional(), Length(max=NOTE_MAX)])


class RejectForm(Form):
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(message=_l("Give the reason for rejecting, for the teacher.")),
            Length(max=NOTE_MAX),
        ],
        description=_l("The teacher sees this. Suggest another period or equipment if you can."),
    )
    submit = SubmitField(_l("Reject request"))


class SwapForm(Form):
    next = HiddenField()


def status_choices() -> list[SelectChoice]:
    return [
        SelectChoice("", _l("All statuses")),
        *(
            SelectChoice(status.value, RESERVATION_STATUS_LABELS[status])
            for status in ReservationStatus
        ),
    ]


class ReservationFilterForm(Form):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=status_choices, default="")
    q = SearchField(_l("Requester name"), validators=[Optional(), Length(max=100)])
    first = DateField(_l("From"), validators=[Optional(), within_years])
    last = DateField(_l("To"), validators=[Optional(), within_years])

    def validate_last(self, field: DateField) -> None:
        if field.data and self.first.data and field.data < self.first.data:
            raise ValidationError(_l("The last day must not be before the first day."))


class LabelsForm(Form):
    """Which assets to print labels for: all of them, or the ticked ones."""

    class Meta:
        csrf = False

    all = BooleanField(_l("All assets that are not retired"))
    asset = CheckboxesField(_l("Assets"), coerce=int, validate_choice=False)
