"""Compliance reports for a period and a department: the data, and CSV and XLSX files.

:func:`build_report` gathers, in a fixed number of statements whatever the number of teams,
the teams with design days in the period, each team's assessment (``assess_teams``, so the
numbers are the dashboard's) as of the period's end or today, and the period's own figures.
:func:`to_csv` and :func:`to_xlsx` turn it into files; the printable page is a template
(``compliance/report_print.html``). Headers and words are in the reader's language.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from straxlab.compliance import labels
from straxlab.compliance.assessment import TeamAssessment, assess_teams, end_of
from straxlab.compliance.models import (
    LessonScenario,
    Milestone,
    ProfessionalisationPlan,
    ProgressEntry,
)
from straxlab.compliance.rules import Finding
from straxlab.core import audit
from straxlab.design_teams import services as teams
from straxlab.design_teams.models import DesignDay, DesignTeam
from straxlab.design_teams.rules import TAKING_PLACE
from straxlab.extensions import db

# Flask adds "; charset=utf-8" to text types.
CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy-mm-dd"
WRAP = Alignment(wrap_text=True, vertical="top")
# Text a spreadsheet would take for a formula (CSV injection): shown as text instead.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ReportRow:
    """One team in the report: its assessment and what it did in the period."""

    assessment: TeamAssessment
    days_held: int
    entries: int
    scenarios: int
    milestones_done_in_period: int

    @property
    def team(self) -> DesignTeam:
        return self.assessment.team

    @property
    def milestones_done(self) -> int:
        today = self.assessment.facts.today
        return sum(
            1
            for m in self.assessment.facts.milestones
            if m.done_on is not None and m.done_on <= today
        )

    @property
    def milestones_total(self) -> int:
        return len(self.assessment.facts.milestones)

    @property
    def milestones_overdue(self) -> int:
        """Open milestones past their due date (the rule's "overdue", whatever the grace)."""
        today = self.assessment.facts.today
        return sum(
            1
            for m in self.assessment.facts.milestones
            if m.due_on < today and (m.done_on is None or m.done_on > today)
        )

    @property
    def reasons(self) -> list[str]:
        """The non-green findings in words, worst first (as on the dashboard)."""
        return [labels.explain(finding) for finding in self.assessment.problems]

    @property
    def reasons_text(self) -> str:
        return "; ".join(self.reasons) or _("All rules met")


@dataclass(frozen=True)
class Report:
    start: date
    end: date
    department: str
    # The day the teams were assessed on: the period's last day, or today if that is sooner.
    on: date
    made_at: datetime
    rows: list[ReportRow]


def _counts(query: sa.Select[int, int]) -> dict[int, int]:
    return {team_id: count for team_id, count in db.session.execute(query).all()}


def build_report(start: date, end: date, department: str, now: datetime) -> Report:
    """The teams with a design day (not cancelled) in ``start``..``end``, in ``department``
    ("" for all), assessed as of ``min(end, today)``."""
    on = min(end, teams.today(now))
    at = end_of(on, now)
    in_period = sa.select(DesignDay.team_id).where(
        DesignDay.day >= start, DesignDay.day <= end, DesignDay.status.in_(TAKING_PLACE)
    )
    query = (
        sa.select(DesignTeam)
        .where(DesignTeam.id.in_(in_period))
        .order_by(sa.func.lower(DesignTeam.name), DesignTeam.id)
    )
    if department:
        query = query.where(DesignTeam.department == department)
    chosen = list(db.session.scalars(query))
    if not chosen:
        return Report(start, end, department, on, now, [])
    ids = [team.id for team in chosen]
    # What happened in the period, up to the day of the assessment.
    last = on
    held = _counts(
        sa.select(DesignDay.team_id, sa.func.count(DesignDay.id))
        .where(
            DesignDay.team_id.in_(ids),
            DesignDay.status.in_(TAKING_PLACE),
            DesignDay.day >= start,
            DesignDay.day <= last,
            DesignDay.ends_at <= at,
        )
        .group_by(DesignDay.team_id)
    )
    entries = _counts(
        sa.select(ProgressEntry.team_id, sa.func.count(ProgressEntry.id))
        .where(
            ProgressEntry.team_id.in_(ids),
            ProgressEntry.written_on >= start,
            ProgressEntry.written_on <= last,
        )
        .group_by(ProgressEntry.team_id)
    )
    # Like the rule: a scenario counts once it is delivered and linked to a course.
    scenarios = _counts(
        sa.select(LessonScenario.team_id, sa.func.count(LessonScenario.id))
        .where(
            LessonScenario.team_id.in_(ids),
            LessonScenario.delivered_on >= start,
            LessonScenario.delivered_on <= last,
            LessonScenario.course != "",
        )
        .group_by(LessonScenario.team_id)
    )
    milestones = _counts(
        sa.select(ProfessionalisationPlan.team_id, sa.func.count(Milestone.id))
        .join(ProfessionalisationPlan, ProfessionalisationPlan.id == Milestone.plan_id)
        .where(
            ProfessionalisationPlan.team_id.in_(ids),
            Milestone.done_on >= start,
            Milestone.done_on <= last,
        )
        .group_by(ProfessionalisationPlan.team_id)
    )
    rows = [
        ReportRow(
            assessment=item,
            days_held=held.get(item.team.id, 0),
            entries=entries.get(item.team.id, 0),
            scenarios=scenarios.get(item.team.id, 0),
            milestones_done_in_period=milestones.get(item.team.id, 0),
        )
        for item in assess_teams(chosen, on=on, now=now)
    ]
    return Report(start, end, department, on, now, rows)


def record_download(report: Report, *, format: str, actor_id: int, now: datetime) -> None:
    """Every report a manager takes away is in the audit trail (the caller commits)."""
    audit.record(
        "report.downloaded",
        actor_id=actor_id,
        object_type="report",
        object_id=None,
        now=now,
        format=format,
        period_start=report.start.isoformat(),
        period_end=report.end.isoformat(),
        department=report.department,
        teams=len(report.rows),
    )


# --- the columns --------------------------------------------------------------------------


def _plan_status(row: ReportRow) -> str:
    status = row.assessment.facts.plan_status
    return str(labels.PLAN_STATUS_LABELS[status]) if status is not None else _("No plan yet")


@dataclass(frozen=True)
class Column:
    header: Any
    value: Callable[[ReportRow], Any]
    # Widest a spreadsheet column gets, in characters; longer text wraps.
    widest: int = 40


# One row per team, in the CSV, the XLSX summary and the printable page alike.
COLUMNS: tuple[Column, ...] = (
    Column(_l("Team"), lambda row: row.team.name),
    Column(_l("Department"), lambda row: row.team.department),
    Column(_l("Coordinator"), lambda row: row.team.coordinator.name),
    Column(_l("Status"), lambda row: str(labels.SEVERITY_LABELS[row.assessment.status])),
    Column(_l("Active members"), lambda row: row.assessment.facts.active_members),
    Column(_l("Attendance (%)"), lambda row: row.assessment.attendance_percent),
    Column(_l("Plan status"), _plan_status),
    Column(_l("Milestones done"), lambda row: row.milestones_done),
    Column(_l("Milestones in total"), lambda row: row.milestones_total),
    Column(_l("Milestones overdue"), lambda row: row.milestones_overdue),
    Column(_l("Last progress entry"), lambda row: row.assessment.facts.last_progress_on),
    Column(_l("Design days held in the period"), lambda row: row.days_held),
    Column(_l("Progress entries in the period"), lambda row: row.entries),
    Column(_l("Milestones done in the period"), lambda row: row.milestones_done_in_period),
    Column(_l("Lesson scenarios delivered in the period"), lambda row: row.scenarios),
    Column(_l("Reasons"), lambda row: row.reasons_text, widest=90),
)


def headers() -> list[str]:
    return [str(column.header) for column in COLUMNS]


def values(row: ReportRow) -> list[Any]:
    return [column.value(row) for column in COLUMNS]


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _safe_text(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(report: Report, separator: str = ";") -> bytes:
    """One row per team, UTF-8 with a byte order mark so that Excel reads the accents."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    writer.writerow(headers())
    for row in report.rows:
        writer.writerow([_as_text(_safe_text(value)) for value in values(row)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- XLSX ---------------------------------------------------------------------------------


def _put(sheet: Worksheet, row: int, column: int, value: Any) -> Cell:
    if isinstance(value, str):
        # Names stored before input was cleaned may hold control characters openpyxl refuses.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str) and value.startswith("="):
        # openpyxl stores text that starts with "=" as a formula; keep it text.
        cell.data_type = "s"
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT
    return cell


def _sheet(
    sheet: Worksheet,
    header: Sequence[str],
    lines: Iterable[Sequence[Any]],
    widest: Sequence[int],
) -> None:
    """A table with a bold, frozen header row, a filter and columns as wide as their text."""
    bold = Font(bold=True)
    widths = [len(text) for text in header]
    for column, text in enumerate(header, start=1):
        _put(sheet, 1, column, text).font = bold
    count = 0
    for count, line in enumerate(lines, start=1):
        for column, value in enumerate(line, start=1):
            _put(sheet, count + 1, column, value)
            shown = 10 if isinstance(value, date) else len(_as_text(value))
            widths[column - 1] = max(widths[column - 1], shown)
    for column, width in enumerate(widths, start=1):
        limit = widest[column - 1]
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = min(max(width, 8), limit) + 2
        if width > limit:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                cell.alignment = WRAP
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count + 1}"


def _finding_line(row: ReportRow, finding: Finding) -> list[Any]:
    return [
        row.team.name,
        str(labels.RULE_LABELS[finding.rule]),
        str(labels.SEVERITY_LABELS[finding.severity]),
        labels.explain(finding),
        labels.advice(finding),
    ]


def to_xlsx(report: Report) -> bytes:
    """A workbook of three sheets: Summary (one row per team), Findings, Attendance."""
    book = Workbook()
    summary = book.worksheets[0]
    summary.title = _("Summary")
    _sheet(
        summary,
        headers(),
        (values(row) for row in report.rows),
        [column.widest for column in COLUMNS],
    )
    findings = book.create_sheet(_("Findings"))
    _sheet(
        findings,
        [_("Team"), _("Rule"), _("Status"), _("Explanation"), _("What the team can do")],
        (_finding_line(row, f) for row in report.rows for f in row.assessment.findings),
        [40, 24, 18, 90, 90],
    )
    attendance = book.create_sheet(_("Attendance"))
    _sheet(
        attendance,
        [_("Team"), _("Member"), _("Design days held"), _("Present"), _("Attendance (%)")],
        (
            [row.team.name, member.name, member.held, member.present, member.percent]
            for row in report.rows
            for member in row.assessment.attendance
        ),
        [40, 40, 18, 12, 16],
    )
    book.properties.title = _(
        "Compliance of the design teams, %(start)s to %(end)s",
        start=report.start.isoformat(),
        end=report.end.isoformat(),
    )
    book.properties.creator = "STRAX-lab"
    book.properties.created = report.made_at.replace(tzinfo=None)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- names --------------------------------------------------------------------------------


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def filename(report: Report, extension: str) -> str:
    """``naleving-zorg-en-welzijn-2026-08-01-2027-01-31.xlsx`` (in the reader's language)."""
    parts = [_slug(_("compliance")) or "compliance"]
    if report.department and _slug(report.department):
        parts.append(_slug(report.department))
    parts += [report.start.isoformat(), report.end.isoformat()]
    return "-".join(parts) + "." + extension
