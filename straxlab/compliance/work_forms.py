"""Forms of the team-work pages: milestones, the progress log and lesson scenarios."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from straxlab.compliance.services import (
    COHORT_LENGTH,
    COURSE_LENGTH,
    LINK_LENGTH,
    TEXT_LENGTH,
    TITLE_LENGTH,
    ScenarioInput,
)
from straxlab.core.forms import Form, strip_text, within_years


class MilestoneForm(Form):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(), Length(max=TITLE_LENGTH)],
        filters=[strip_text],
        description=_l("What the team will have done, e.g. “First VR lesson tried out”."),
    )
    due_on = DateField(_l("Due date"), validators=[InputRequired(), within_years])
    done_on = DateField(
        _l("Done on"),
        validators=[Optional(), within_years],
        description=_l("The day it was done; leave empty while the milestone is open."),
    )
    # Not stripped: the service keeps the note's line breaks and trims it itself.
    evidence = TextAreaField(
        _l("Evidence: link or note"),
        validators=[Optional(), Length(max=TEXT_LENGTH)],
        description=_l("A link to the evidence, or a note saying where it is."),
        render_kw={"rows": 4},
    )
    submit = SubmitField(_l("Save milestone"))


class RemoveMilestoneForm(Form):
    confirm = BooleanField(
        _l("Yes, remove this milestone"),
        validators=[InputRequired(message=_l("Tick the box to confirm."))],
    )


class ProgressForm(Form):
    written_on = DateField(_l("Date"), validators=[InputRequired(), within_years])
    text = TextAreaField(
        _l("What did the team do and learn?"),
        validators=[DataRequired(), Length(max=TEXT_LENGTH)],
        render_kw={"rows": 5},
    )
    submit = SubmitField(_l("Add to the log"))


class ProgressEditForm(ProgressForm):
    submit = SubmitField(_l("Save entry"))


class ScenarioForm(Form):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(), Length(max=TITLE_LENGTH)],
        filters=[strip_text],
    )
    summary = TextAreaField(
        _l("Summary"),
        validators=[Optional(), Length(max=TEXT_LENGTH)],
        description=_l("What the students do and learn in this lesson."),
        render_kw={"rows": 4},
    )
    course = StringField(
        _l("Course"),
        validators=[Optional(), Length(max=COURSE_LENGTH)],
        filters=[strip_text],
        description=_l("The regular course the lesson is used in."),
    )
    cohort = StringField(
        _l("Cohort"),
        validators=[Optional(), Length(max=COHORT_LENGTH)],
        filters=[strip_text],
        description=_l("For example: VP2A, or second-year nursing."),
    )
    link = StringField(
        _l("Link"),
        validators=[Optional(), Length(max=LINK_LENGTH)],
        filters=[strip_text],
        description=_l("Where the lesson material is, starting with https://."),
        render_kw={"inputmode": "url", "autocomplete": "url"},
    )
    delivered_on = DateField(
        _l("Delivered on"),
        validators=[Optional(), within_years],
        description=_l("The day the lesson was first given; leave empty until then."),
    )
    submit = SubmitField(_l("Save lesson scenario"))

    def to_input(self) -> ScenarioInput:
        return ScenarioInput(
            title=self.title.data or "",
            summary=self.summary.data or "",
            course=self.course.data or "",
            cohort=self.cohort.data or "",
            link=self.link.data or "",
            delivered_on=self.delivered_on.data,
        )
