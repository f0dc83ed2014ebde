"""Forms of the design-team pages: the team list filter, a team's details, members."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, SearchField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from straxlab.auth.models import User
from straxlab.core.forms import Form, strip_text
from straxlab.design_teams.services import NAME_LENGTH, THEME_LENGTH


class TeamFilterForm(Form):
    class Meta:
        csrf = False

    q = SearchField(
        _l("Search by team name"),
        validators=[Optional(), Length(max=100)],
        filters=[strip_text],
        default="",
    )


class TeamForm(Form):
    """A team's details; the coordinator field is removed for teachers creating a team."""

    name = StringField(
        _l("Team name"),
        validators=[DataRequired(), Length(max=NAME_LENGTH)],
        filters=[strip_text],
        description=_l("For example: VR in the care programme."),
    )
    theme = StringField(
        _l("Theme"),
        validators=[DataRequired(), Length(max=THEME_LENGTH)],
        filters=[strip_text],
        description=_l("What the team designs lessons about."),
    )
    department = StringField(
        _l("Department"),
        validators=[Optional(), Length(max=NAME_LENGTH)],
        filters=[strip_text],
        description=_l("Optional: the department or programme the team belongs to."),
    )
    coordinator = SelectField(_l("Coordinator"), coerce=int, choices=[])
    submit = SubmitField(_l("Save"))

    def offer_coordinators(self, people: Iterable[User]) -> None:
        self.coordinator.choices = [
            SelectChoice(str(user.id), f"{user.name} ({user.email})") for user in people
        ]


class AddMemberForm(Form):
    email = EmailField(
        _l("E-mail address of the new member"),
        validators=[
            InputRequired(message=_l("Type the e-mail address of the person to add.")),
            Length(max=254),
        ],
        filters=[strip_text],
        description=_l("The person needs an account in STRAX-lab."),
        render_kw={"autocomplete": "off"},
    )
    submit = SubmitField(_l("Add member"))


class EndMembershipForm(Form):
    confirm = BooleanField(
        _l("Yes, end this membership"),
        validators=[InputRequired(message=_l("Tick the box to confirm."))],
    )
