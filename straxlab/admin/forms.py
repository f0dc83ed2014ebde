from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SearchField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from straxlab.auth.forms import ROLE_LABELS
from straxlab.auth.rules import Role
from straxlab.core.forms import Form


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
