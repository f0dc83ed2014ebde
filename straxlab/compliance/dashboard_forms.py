"""Forms of the compliance dashboard (its filter) and of the reports page."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional, ValidationError

from straxlab.compliance.rules import Severity
from straxlab.core.forms import Form, within_years

# Dates a report may cover (the lab calendar's range).
# A report covers at most two school years.
MAX_PERIOD = timedelta(days=731)

STATUS_CHOICES = [
    SelectChoice("", _l("All statuses")),
    SelectChoice(Severity.GREEN.value, _l("On track")),
    SelectChoice(Severity.AMBER.value, _l("Needs attention")),
    SelectChoice(Severity.RED.value, _l("Not on track")),
]
FORMAT_CHOICES = [
    SelectChoice("xlsx", _l("Excel workbook (XLSX): a summary, findings and attendance sheet")),
    SelectChoice("csv", _l("CSV: one row per team, for any spreadsheet")),
    SelectChoice("print", _l("Printable page: one page per team")),
]
SEPARATOR_CHOICES = [
    SelectChoice("semicolon", _l("Semicolon (;), for Excel set to Dutch")),
    SelectChoice("comma", _l("Comma (,)")),
]
SEPARATORS = {"semicolon": ";", "comma": ","}


def department_choices(departments: Iterable[str]) -> list[SelectChoice]:
    return [SelectChoice("", _l("All departments"))] + [
        SelectChoice(name, name) for name in departments
    ]


def half_year(today: date) -> tuple[date, date]:
    """The school half-year ``today`` lies in: 1 August to 31 January, or 1 February to
    31 July (a Dutch school year runs from 1 August to 31 July)."""
    if today.month >= 8:
        return date(today.year, 8, 1), date(today.year + 1, 1, 31)
    if today.month == 1:
        return date(today.year - 1, 8, 1), date(today.year, 1, 31)
    return date(today.year, 2, 1), date(today.year, 7, 31)


class DashboardFilterForm(Form):
    """``?department=...&status=...``; a value that is not offered is shown as an error and
    ignored."""

    class Meta:
        csrf = False

    department = SelectField(_l("Department"), default="")
    status = SelectField(_l("Status"), choices=STATUS_CHOICES, default="")

    def offer_departments(self, departments: Iterable[str]) -> None:
        self.department.choices = department_choices(departments)

    def chosen(self) -> tuple[str, Severity | None]:
        """The department and status to show; a field in error counts as "all"."""
        self.validate()
        department = "" if self.department.errors else (self.department.data or "")
        status = None
        if not self.status.errors and self.status.data:
            status = Severity(self.status.data)
        return department, status


class ReportForm(Form):
    start = DateField(
        _l("From"),
        validators=[InputRequired(message=_l("Enter the first day of the period.")), within_years],
    )
    end = DateField(
        _l("To"),
        validators=[InputRequired(message=_l("Enter the last day of the period.")), within_years],
        description=_l("The report covers the teams with design days in this period."),
    )
    department = SelectField(_l("Department"), default="")
    format = RadioField(
        _l("Format"),
        choices=FORMAT_CHOICES,
        default="xlsx",
        validators=[InputRequired(message=_l("Choose a format."))],
    )
    separator = RadioField(
        _l("CSV separator"),
        choices=SEPARATOR_CHOICES,
        default="semicolon",
        validators=[Optional()],
        description=_l("Only for CSV. Excel set to Dutch expects a semicolon."),
    )
    submit = SubmitField(_l("Make the report"))

    def offer_departments(self, departments: Iterable[str]) -> None:
        self.department.choices = department_choices(departments)

    def validate_end(self, field: DateField) -> None:
        start = self.start.data
        if field.data is None or start is None:
            return
        if field.data < start:
            raise ValidationError(_l("The last day cannot be before the first day."))
        if field.data - start > MAX_PERIOD:
            raise ValidationError(_l("A report covers at most two years."))

    @property
    def separator_character(self) -> str:
        return SEPARATORS.get(self.separator.data or "", ";")
