"""Forms of the plan pages: the plan itself, submitting, a manager's decision, comparing."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import FormField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from straxlab.compliance.labels import ACTIVITY_LABELS
from straxlab.compliance.models import ProfessionalisationPlan
from straxlab.compliance.rules import ActivityKind
from straxlab.compliance.services import (
    ACTIVITY_LENGTH,
    COMMENT_LENGTH,
    MAX_ACTIVITIES,
    MAX_PLANNED_HOURS,
    TEXT_LENGTH,
    WHO_LENGTH,
    ActivityInput,
)
from straxlab.core.forms import Form, RowList, strip_text

# Empty activity rows offered below the existing ones: more rows need no JavaScript, only
# a save (the page then offers three new empty rows).
EMPTY_ROWS = 3
# The value of the compare page's "to" that stands for the working copy (not yet submitted).
DRAFT = "draft"


def _kind(value: Any) -> ActivityKind | str | None:
    """The select's value as a kind; the empty first option is None.

    An unknown value stays text, so that the select reports "Not a valid choice."
    """
    if value in (None, ""):
        return None
    try:
        return ActivityKind(value)
    except ValueError:
        return str(value)


def _typed(field: Any) -> bool:
    """Whether the field holds anything: what was typed or chosen (before it was coerced),
    or, for a form filled from the plan, its stored value."""
    if field.raw_data:
        return any(str(value).strip() for value in field.raw_data)
    return field.data not in (None, "")


class ActivityForm(Form):
    """One row of the activities table; a row left fully empty is ignored."""

    class Meta:
        csrf = False

    kind = SelectField(
        _l("Kind of activity"),
        choices=[
            SelectChoice("", _l("(choose)")),
            *(SelectChoice(kind.value, ACTIVITY_LABELS[kind]) for kind in ActivityKind),
        ],
        coerce=_kind,
    )
    description = StringField(
        _l("Description"),
        validators=[Length(max=ACTIVITY_LENGTH)],
        filters=[strip_text],
        render_kw={"maxlength": ACTIVITY_LENGTH},
    )
    who = StringField(
        _l("Who"),
        validators=[Length(max=WHO_LENGTH)],
        filters=[strip_text],
        render_kw={"maxlength": WHO_LENGTH},
    )
    planned_hours = IntegerField(
        _l("Planned hours"),
        validators=[Optional(), NumberRange(0, MAX_PLANNED_HOURS)],
        render_kw={"min": 0, "max": MAX_PLANNED_HOURS, "inputmode": "numeric"},
    )

    @property
    def is_blank(self) -> bool:
        return not any(
            _typed(field) for field in (self.kind, self.description, self.who, self.planned_hours)
        )

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.is_blank:
            return bool(valid)
        # A half-filled row is an error on that row, never silently dropped.
        for field, message in (
            (self.kind, _l("Choose the kind of activity.")),
            (self.description, _l("Describe the activity.")),
            (self.planned_hours, _l("Enter the planned hours (0 if you do not know yet).")),
        ):
            if not field.errors and field.data in (None, ""):
                field.errors = [str(message)]
                valid = False
        return bool(valid)


class PlanForm(Form):
    """The plan's working copy. A draft may be incomplete; submitting checks completeness."""

    goals = TextAreaField(
        _l("Goals"),
        validators=[Length(max=TEXT_LENGTH)],
        description=_l("What the team wants to learn and achieve, and how you will notice it."),
    )
    collaboration = TextAreaField(
        _l("Collaboration agreements"),
        validators=[Length(max=TEXT_LENGTH)],
        description=_l("Who does what: tasks, roles, when and how the team works together."),
    )
    intended_scenarios = TextAreaField(
        _l("Intended lesson scenarios"),
        validators=[Length(max=TEXT_LENGTH)],
        description=_l("The lessons the team intends to deliver, and in which courses."),
    )
    activities = RowList(FormField(ActivityForm), max_entries=MAX_ACTIVITIES + EMPTY_ROWS)

    @classmethod
    def for_plan(cls, plan: ProfessionalisationPlan | None) -> PlanForm:
        """The form filled from the plan's working copy (empty when there is no plan yet)."""
        if plan is None:
            form = cls(formdata=None)
        else:
            form = cls(
                formdata=None,
                data={
                    "goals": plan.goals,
                    "collaboration": plan.collaboration,
                    "intended_scenarios": plan.intended_scenarios,
                    "activities": [
                        {
                            "kind": activity.kind,
                            "description": activity.description,
                            "who": activity.who,
                            "planned_hours": activity.planned_hours,
                        }
                        for activity in plan.activities
                    ],
                },
            )
        form.offer_empty_rows()
        return form

    def offer_empty_rows(self) -> None:
        """Make sure there are EMPTY_ROWS empty rows to type in, below what is there."""
        blank = sum(1 for entry in self.activities if entry.form.is_blank)
        while blank < EMPTY_ROWS and len(self.activities) < MAX_ACTIVITIES + EMPTY_ROWS:
            self.activities.append_entry()
            blank += 1

    def activity_inputs(self) -> list[ActivityInput]:
        """The filled-in rows in their order; fully empty rows are left out."""
        return [
            ActivityInput(
                kind=row.kind.data,
                description=row.description.data or "",
                who=row.who.data or "",
                planned_hours=row.planned_hours.data,
            )
            for row in (entry.form for entry in self.activities)
            if not row.is_blank
        ]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        filled = sum(1 for entry in self.activities if not entry.form.is_blank)
        if filled > MAX_ACTIVITIES:
            self.form_errors.append(
                str(_l("A plan has at most %(n)s activities.", n=MAX_ACTIVITIES))
            )
            valid = False
        return bool(valid)


class SubmitPlanForm(Form):
    """Submitting asks nothing: the button says it all (the form carries the CSRF token)."""


class DecisionForm(Form):
    """A manager's decision: one comment, and the button pressed (approve or return)."""

    comment = TextAreaField(
        _l("Comment for the team"),
        validators=[Length(max=COMMENT_LENGTH)],
        description=_l(
            "Optional when you approve. When you return the plan, say what the team should change."
        ),
    )


class CompareForm(Form):
    """Which two versions to compare (GET; the choices are the plan's versions)."""

    class Meta:
        csrf = False

    # "from" is a Python keyword: the fields are named older/newer, the query keeps from/to.
    older = SelectField(_l("From"), choices=[], name="from")
    newer = SelectField(_l("To"), choices=[], name="to")

    def offer(self, numbers: list[int], *, working_copy: bool) -> None:
        choices = [SelectChoice(str(n), _l("Version %(number)s", number=n)) for n in numbers]
        self.older.choices = choices
        self.newer.choices = [
            *choices,
            *([SelectChoice(DRAFT, _l("the current working copy"))] if working_copy else []),
        ]
