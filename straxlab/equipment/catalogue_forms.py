"""Forms of catalogue upkeep; choices that come from the database are set by the views."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileSize
from wtforms import (
    BooleanField,
    DateField,
    FormField,
    HiddenField,
    IntegerField,
    SearchField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from straxlab.core.forms import Form, RowList
from straxlab.equipment import rules
from straxlab.equipment.catalogue import (
    MAX_ADVANCE_DAYS,
    MAX_BULK_ASSETS,
    MAX_KIT_QUANTITY,
    PHOTO_MAX_BYTES,
    TAG_MAX_LENGTH,
)
from straxlab.equipment.labels import ASSET_STATUS_LABELS
from straxlab.equipment.rules import AssetStatus

# Rows in the kit form: enough for any kit the lab has, and it works without JavaScript.
KIT_ROWS = 6


def optional_int(value: Any) -> int | None:
    """Coerce a select's value; the empty first option is ``None``."""
    if value in (None, ""):
        return None
    return int(value)


class CategoryForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Save"))


class EquipmentTypeForm(Form):
    category = SelectField(_l("Category"), coerce=optional_int, validators=[InputRequired()])
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=120)],
        description=_l("Brand and model as borrowers know it, such as “Zoom H5 recorder”."),
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=5000)],
        description=_l("What it is for and what comes with it."),
    )
    photo = FileField(
        _l("Photo"),
        validators=[
            FileAllowed(
                ["jpg", "jpeg", "png", "webp"],
                _l("Upload a JPEG, PNG or WebP image."),
            ),
            FileSize(
                PHOTO_MAX_BYTES, message=_l("The photo is larger than 5 MB; use a smaller one.")
            ),
        ],
        description=_l(
            "JPEG, PNG or WebP, at most 5 MB. Location and camera data are removed on upload."
        ),
    )
    needs_approval = BooleanField(_l("Reservations need approval by lab staff"))
    turnaround_minutes = IntegerField(
        _l("Turnaround time in minutes"),
        validators=[InputRequired(), NumberRange(0, rules.MAX_TURNAROUND_MINUTES)],
        description=_l("Time to charge and clean between two loans; 0 for none."),
        default=0,
    )
    max_loan_days = IntegerField(
        _l("Longest loan period in days"),
        validators=[InputRequired(), NumberRange(1, rules.MAX_LOAN_DAYS)],
        default=7,
    )
    max_advance_days = IntegerField(
        _l("Can be reserved up to this many days ahead"),
        validators=[InputRequired(), NumberRange(1, MAX_ADVANCE_DAYS)],
        default=90,
    )
    required_qualification = StringField(
        _l("Required qualification"),
        validators=[Optional(), Length(max=80)],
        description=_l(
            "Leave empty when anyone may borrow it. For example “Drone pilot A1/A3”: "
            "borrowers need this on file with lab staff."
        ),
    )
    holds_recordings = BooleanField(
        _l("Records sound or images (ask “memory card wiped?” when taking it back)")
    )
    submit = SubmitField(_l("Save"))


class AssetForm(Form):
    tag = StringField(
        _l("Asset tag"),
        validators=[DataRequired(), Length(max=TAG_MAX_LENGTH)],
        description=_l("Letters, digits, “-”, “_” and “.”, as on the label, such as H5-07."),
    )
    serial_number = StringField(_l("Serial number"), validators=[Optional(), Length(max=64)])
    condition_note = TextAreaField(
        _l("Condition"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Scratches, missing parts: what the desk should know."),
    )
    submit = SubmitField(_l("Save"))


class BulkAssetForm(Form):
    prefix = StringField(
        _l("Asset tag prefix"),
        validators=[Optional(), Length(max=TAG_MAX_LENGTH - 2)],
        description=_l(
            "The numbers follow the prefix: “H5-” and 6 gives H5-01 to H5-06. "
            "Tags that exist already are skipped."
        ),
    )
    count = IntegerField(
        _l("How many"),
        validators=[InputRequired(), NumberRange(1, MAX_BULK_ASSETS)],
        default=1,
    )
    bulk_submit = SubmitField(_l("Add these assets"))


class AssetStatusForm(Form):
    """Available and in maintenance, freely either way (also back from retired)."""

    status = SelectField(
        _l("New status"),
        choices=[
            SelectChoice(status.value, ASSET_STATUS_LABELS[status])
            for status in (AssetStatus.AVAILABLE, AssetStatus.MAINTENANCE)
        ],
        coerce=AssetStatus,
    )
    note = StringField(
        _l("Reason"),
        validators=[Optional(), Length(max=500)],
        description=_l("For the history, such as “screen cracked, sent for repair”."),
    )
    status_submit = SubmitField(_l("Change status"))


class RetireAssetForm(Form):
    """Retiring takes an asset out of lending for good; it asks for a confirmation."""

    retire = HiddenField(default="1")
    retire_note = StringField(_l("Reason for retiring"), validators=[Optional(), Length(max=500)])
    confirm = BooleanField(
        _l("Yes, retire this asset: it will no longer be lent out"),
        validators=[DataRequired(_l("Tick the box to confirm that you want to retire it."))],
    )
    retire_submit = SubmitField(_l("Retire asset"))


class KitComponentForm(Form):
    class Meta:
        csrf = False

    equipment_type = SelectField(_l("Equipment type"), coerce=optional_int, validate_choice=True)
    quantity = IntegerField(
        _l("Quantity"),
        validators=[Optional(), NumberRange(1, MAX_KIT_QUANTITY)],
        default=1,
    )


class KitForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=5000)],
        description=_l("What is in the case, and anything borrowers should know."),
    )
    components = RowList(FormField(KitComponentForm), min_entries=KIT_ROWS, max_entries=KIT_ROWS)
    submit = SubmitField(_l("Save"))

    def set_type_choices(self, choices: list[SelectChoice]) -> None:
        for entry in self.components:
            entry.form.equipment_type.choices = choices

    def component_rows(self) -> list[tuple[int, int | None]]:
        """The rows with a type chosen, as (type id, quantity); empty rows are ignored."""
        return [
            (entry.form.equipment_type.data, entry.form.quantity.data)
            for entry in self.components
            if entry.form.equipment_type.data is not None
        ]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for entry in self.components:
            row = entry.form
            if row.equipment_type.data is not None and row.quantity.data is None:
                if not row.quantity.errors:
                    row.quantity.errors = [str(_l("Enter a quantity."))]
                valid = False
        return bool(valid)


class QualificationForm(Form):
    user = SelectField(_l("Borrower"), coerce=optional_int, validators=[InputRequired()])
    kind = StringField(
        _l("Qualification"),
        validators=[DataRequired(), Length(max=80)],
        description=_l("As the equipment type asks for it, such as “Drone pilot A1/A3”."),
    )
    valid_until = DateField(
        _l("Valid until"),
        validators=[Optional()],
        description=_l("Leave empty when it does not expire."),
    )
    note = StringField(
        _l("Note"),
        validators=[Optional(), Length(max=500)],
        description=_l("Such as the certificate number."),
    )
    submit = SubmitField(_l("Add qualification"))


class QualificationFilterForm(Form):
    class Meta:
        csrf = False

    q = SearchField(_l("Search by name"), validators=[Optional(), Length(max=100)])
