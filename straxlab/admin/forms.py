from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    IntegerField,
    SearchField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from straxlab.auth.forms import ROLE_LABELS
from straxlab.auth.rules import Permission, Role
from straxlab.core.forms import Form
from straxlab.core.settings import SettingSpec


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]


class UserForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=role_choices, coerce=Role)
    submit = SubmitField(_l("Save"))


class UserFilterForm(Form):
    class Meta:
        csrf = False

    q = SearchField(_l("Search by name or e-mail"), validators=[Optional(), Length(max=100)])
    role = SelectField(
        _l("Role"), choices=lambda: [SelectChoice("", _l("All roles")), *role_choices()], default=""
    )
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("All")),
            SelectChoice("active", _l("Active")),
            SelectChoice("inactive", _l("Deactivated")),
        ],
        default="",
    )


@dataclass(frozen=True)
class SettingGroup:
    key: str
    title: Any
    permission: Permission


# The settings pages, in order; a user sees the groups their role may change.
SETTING_GROUPS = [
    SettingGroup("lab", _l("Lab and lending desk"), Permission.MANAGE_LAB_SETTINGS),
    SettingGroup("calendar", _l("Lab calendar and design days"), Permission.MANAGE_LAB_CALENDAR),
    SettingGroup("compliance", _l("Compliance check"), Permission.MANAGE_COMPLIANCE),
]


def field_name(spec: SettingSpec) -> str:
    return spec.key.replace(".", "__")


def settings_form(specs: list[SettingSpec]) -> Form:
    """A form with one field per setting, filled with the current values."""
    from straxlab.core import settings

    class SettingsForm(Form):
        submit = SubmitField(_l("Save settings"))

    for spec in specs:
        field: Any
        if spec.choices is not None:
            field = SelectField(
                spec.label,
                choices=[SelectChoice(choice, choice) for choice in spec.choices],
                description=spec.help,
            )
        else:
            kind = IntegerField if spec.kind is int else StringField
            validators = (
                [InputRequired()] if spec.kind is int else [InputRequired(), Length(max=20)]
            )
            field = kind(spec.label, validators=validators, description=spec.help)
        setattr(SettingsForm, field_name(spec), field)
    return SettingsForm(data={field_name(spec): settings.get(spec.key) for spec in specs})
