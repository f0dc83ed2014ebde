"""Forms of programme requests and their approval: the request with its preview, approval
with exceptions (drop or move named dates), rejection and withdrawal."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from straxlab.core.forms import Form
from straxlab.design_teams import rules
from straxlab.design_teams.labels import weekday_name

NOTE_MAX = 2000
# Dates outside these years mean nothing here (and near year 9999 they overflow).
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _within_years(form: Form, field: DateField) -> None:
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(_l("Choose a date in the years 2000 to 2100."))


def _optional_weekday(value: Any) -> int | None:
    """The second-choice select: "" is no second choice."""
    if value in (None, "", "None"):
        return None
    return int(value)


def weekday_choices(weekdays: Iterable[int]) -> list[SelectChoice]:
    return [SelectChoice(day, weekday_name(day)) for day in sorted(weekdays)]


class RequestForm(Form):
    """A programme request: "every Tuesday 09:00-16:00 from 3 February, 20 lab days"."""

    weekday = SelectField(_l("Weekday"), coerce=int, validators=[InputRequired()])
    starts_at = TimeField(
        _l("Start time"), validators=[InputRequired()], description=_l("As HH:MM, e.g. 09:00.")
    )
    ends_at = TimeField(
        _l("End time"), validators=[InputRequired()], description=_l("As HH:MM, e.g. 16:00.")
    )
    first_day = DateField(
        _l("First day"),
        validators=[InputRequired(), _within_years],
        description=_l("If this is not the chosen weekday, the programme starts on the next one."),
    )
    day_count = IntegerField(
        _l("Number of lab days"),
        validators=[InputRequired(), NumberRange(min=1, max=rules.MAX_DAY_COUNT)],
        description=_l("About 20 lab days is half a school year. Closed days are skipped."),
    )
    second_weekday = SelectField(
        _l("Second choice (optional)"),
        coerce=_optional_weekday,
        validators=[Optional()],
        description=_l("Another weekday that would also suit the team, if the first is full."),
    )
    note = TextAreaField(
        _l("Note for lab staff (optional)"), validators=[Optional(), Length(max=NOTE_MAX)]
    )
    preview = SubmitField(_l("Show preview"))
    send = SubmitField(_l("Send request"))

    def offer_weekdays(self, weekdays: Iterable[int]) -> None:
        choices = weekday_choices(weekdays)
        self.weekday.choices = choices
        self.second_weekday.choices = [SelectChoice("", _l("No second choice")), *choices]


class WithdrawForm(Form):
    confirm = BooleanField(
        _l("Yes, withdraw this request"),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )
    submit = SubmitField(_l("Withdraw request"))


class RejectForm(Form):
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(message=_l("Say why, so the team knows what to change.")),
            Length(max=NOTE_MAX),
        ],
        description=_l("The team sees this. Suggest another weekday or period if you can."),
    )
    submit = SubmitField(_l("Reject request"))


def day_key(day: date) -> str:
    return f"{day:%Y%m%d}"


class ApproveForm(Form):
    """Approve a request, optionally dropping or moving some of its dates.

    Built per programme by :func:`approve_form`: one "drop" checkbox and one "move to" date
    per generated date, named ``drop_YYYYMMDD`` and ``move_YYYYMMDD``.
    """

    days: list[date] = []
    submit = SubmitField(_l("Approve"))

    def drop_field(self, day: date) -> BooleanField:
        return self[f"drop_{day_key(day)}"]

    def move_field(self, day: date) -> DateField:
        return self[f"move_{day_key(day)}"]

    def validate(self, extra_validators: Any = None) -> bool:
        valid: bool = super().validate(extra_validators)
        for day in self.days:
            move = self.move_field(day)
            if self.drop_field(day).data and move.data and move.data != day:
                move.errors = [*move.errors, _("Drop this date or move it, not both.")]
                valid = False
        return valid

    def exceptions(self) -> tuple[set[date], dict[date, date]]:
        """The dates to leave out, and the dates to put on another day."""
        drop: set[date] = set()
        moves: dict[date, date] = {}
        for day in self.days:
            target = self.move_field(day).data
            if self.drop_field(day).data:
                drop.add(day)
            elif target is not None and target != day:
                moves[day] = target
        return drop, moves


def approve_form(days: list[date], **kwargs: Any) -> ApproveForm:
    """An approval form with a drop checkbox and a move-to date for each of ``days``."""

    class Approve(ApproveForm):
        pass

    Approve.days = list(days)
    for day in days:
        shown = format_date(day, "EEE d MMM y")
        setattr(Approve, f"drop_{day_key(day)}", BooleanField(_("Drop %(day)s", day=shown)))
        setattr(
            Approve,
            f"move_{day_key(day)}",
            DateField(_("Move %(day)s to", day=shown), validators=[Optional(), _within_years]),
        )
    return Approve(**kwargs)
