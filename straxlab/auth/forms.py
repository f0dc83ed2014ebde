from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length
from wtforms.widgets import CheckboxInput, ListWidget

from straxlab.auth.rules import Role
from straxlab.core.forms import Form

ROLE_LABELS = {
    Role.TEACHER: _l("Teacher"),
    Role.STAFF: _l("Lab staff"),
    Role.MANAGER: _l("Manager"),
}

LANGUAGE_CHOICES = [
    SelectChoice("nl", "Nederlands", render_kw={"lang": "nl"}),
    SelectChoice("en", "English", render_kw={"lang": "en"}),
]


class LoginForm(Form):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()
    submit = SubmitField(_l("Log in"))


class NewPasswordForm(Form):
    """The new password, typed twice: changing it, resetting it by a mailed link."""

    new = PasswordField(
        _l("New password"),
        validators=[DataRequired()],
        description=_l(
            "At least 12 characters. A short sentence is easy to remember and hard to guess."
        ),
        render_kw={"autocomplete": "new-password", "minlength": 12, "maxlength": 128},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(),
            EqualTo("new", message=_l("The two new passwords differ.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class PasswordChangeForm(NewPasswordForm):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Change password"))


class CheckboxesField(SelectMultipleField):  # type: ignore[misc]
    """A list of checkboxes (one per choice)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProfileForm(Form):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    # The kinds of mail the user receives; the view sets the choices (mail.labels.notices_for).
    notices = CheckboxesField(
        _l("E-mail notifications"), choices=[], invalid_choice_message=_l("Not a valid choice.")
    )
    # Present only when the page showed the checkboxes: a POST without it keeps the choices.
    notices_shown = HiddenField()
    submit = SubmitField(_l("Save"))


class LanguageForm(Form):
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    next = HiddenField()
    submit = SubmitField(_l("Switch"))


class ForgotPasswordForm(Form):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Length(max=254)],
        description=_l("The address you log in with."),
        render_kw={"autocomplete": "username"},
    )
    submit = SubmitField(_l("Send me a link"))


class PasswordResetForm(NewPasswordForm):
    submit = SubmitField(_l("Save new password"))
