"""The lab calendar: week and month views, closures and the holiday import (blueprint `lab`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from straxlab.auth.access import permission_required
from straxlab.auth.rules import Permission
from straxlab.core import clock, settings
from straxlab.core.errors import DomainError
from straxlab.core.forms import FIRST_DAY, LAST_DAY
from straxlab.core.web import page_number, show_error
from straxlab.design_teams import calendar_queries, services
from straxlab.design_teams.calendar_forms import (
    ClosureFilterForm,
    ClosureForm,
    HolidayChoiceForm,
    HolidayImportForm,
    MonthForm,
    RemoveClosureForm,
    WeekForm,
    year_choices,
)
from straxlab.design_teams.models import DesignDay
from straxlab.extensions import db
from straxlab.lab_calendar import services as lab_calendar
from straxlab.lab_calendar.models import Closure
from straxlab.lab_calendar.services import HOLIDAY_YEARS, HolidayRow
from straxlab.lab_calendar.settings import HOLIDAY_REGION, HOLIDAY_REGIONS, capacity

bp = Blueprint("lab", __name__, url_prefix="/lab")

CLOSURES_PER_PAGE = 50
# The holiday import offers this year and the next ones.
IMPORT_YEARS_AHEAD = 2


def _today() -> date:
    return services.today(clock.now())


# Week and month ---------------------------------------------------------------------------


@bp.route("")
@permission_required(Permission.TAKE_PART)
def calendar() -> ResponseReturnValue:
    form = WeekForm(request.args)
    today = _today()
    chosen = form.week.data if form.validate() and form.week.data else today
    monday = calendar_queries.week_start(chosen)
    days = calendar_queries.week(monday)
    form.week.data = chosen
    return render_template(
        "lab/week.html",
        form=form,
        days=days,
        monday=monday,
        sunday=monday + timedelta(days=6),
        previous=monday - timedelta(days=7),
        next=monday + timedelta(days=7),
        today=today,
        capacity=capacity(),
        readable=services.readable_team_ids(current_user),
        can_see_closures=current_user.can(Permission.VIEW_ALL_TEAMS),
    )


@bp.route("/month")
@permission_required(Permission.TAKE_PART)
def month() -> ResponseReturnValue:
    form = MonthForm(request.args)
    today = _today()
    first = calendar_queries.month_start(today)
    if form.validate() and form.month.data:
        year, _sep, number = form.month.data.partition("-")
        try:
            first = date(int(year), int(number), 1)
        except ValueError:
            first = calendar_queries.month_start(today)
        if not FIRST_DAY <= first <= LAST_DAY:
            first = calendar_queries.month_start(today)
    return render_template(
        "lab/month.html",
        first=first,
        weeks=calendar_queries.month(first),
        previous=calendar_queries.add_months(first, -1),
        next=calendar_queries.add_months(first, 1),
        today=today,
        capacity=capacity(),
        can_see_closures=current_user.can(Permission.VIEW_ALL_TEAMS),
    )


# Closures ---------------------------------------------------------------------------------


def _ids(design_days: list[DesignDay]) -> str:
    return ",".join(str(day_id) for day_id in sorted(design_day.id for design_day in design_days))


def _confirmed(form: Any, affected: list[DesignDay]) -> bool:
    """No design day is cancelled, or the user ticked the box for exactly these ones."""
    if not affected:
        return True
    if form.confirm.data and form.affected.data == _ids(affected):
        return True
    # Ask (again): list the days, and keep the box unticked if the list changed.
    if form.affected.data != _ids(affected):
        form.confirm.data = False
    form.affected.data = _ids(affected)
    return False


def _require_manage() -> None:
    """Managers read the closures; only lab staff change them."""
    if not current_user.can(Permission.MANAGE_LAB_CALENDAR):
        abort(403)


@bp.route("/closures", methods=["GET", "POST"])
@permission_required(Permission.VIEW_ALL_TEAMS)
def closures() -> ResponseReturnValue:
    form = ClosureForm()
    affected: list[DesignDay] = []
    if request.method == "POST":
        _require_manage()
        if form.validate_on_submit():
            now = clock.now()
            affected = calendar_queries.affected_days(
                [(form.first_day.data, form.last_day.data)], now
            )
            if _confirmed(form, affected):
                try:
                    cancelled = services.close_lab(
                        first_day=form.first_day.data,
                        last_day=form.last_day.data,
                        reason=form.reason.data or "",
                        actor=current_user,
                        now=now,
                    )
                except DomainError as exc:
                    db.session.rollback()
                    show_error(form, exc)
                    affected = []
                else:
                    db.session.commit()
                    _flash_saved(_("Closure added."), len(cancelled))
                    return redirect(url_for("lab.closures"))
    return _render_closures(form, affected)


def _flash_saved(message: str, cancelled: int) -> None:
    if cancelled:
        message += " " + ngettext(
            "%(num)d design day has been cancelled.",
            "%(num)d design days have been cancelled.",
            cancelled,
        )
    flash(message, "success")


def _render_closures(form: ClosureForm, affected: list[DesignDay]) -> ResponseReturnValue:
    filters = ClosureFilterForm(request.args)
    filters.year.choices = year_choices(HOLIDAY_YEARS)
    today = _today()
    year = None
    if filters.validate() and filters.year.data:
        year = int(filters.year.data)
    else:
        filters.year.data = ""
    page = db.paginate(
        calendar_queries.closures(year=year, today=today),
        page=page_number(),
        per_page=CLOSURES_PER_PAGE,
        error_out=False,
    )
    return render_template(
        "lab/closures.html",
        form=form,
        affected=affected,
        filters=filters,
        year=year,
        page=page,
        school_year=calendar_queries.school_year_start(today),
        can_manage=current_user.can(Permission.MANAGE_LAB_CALENDAR),
        can_settings=current_user.can(Permission.MANAGE_LAB_SETTINGS),
    )


@bp.route("/closures/<int:closure_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_LAB_CALENDAR)
def edit_closure(closure_id: int) -> ResponseReturnValue:
    closure = db.get_or_404(Closure, closure_id)
    form = ClosureForm(obj=closure)
    affected: list[DesignDay] = []
    if form.validate_on_submit():
        now = clock.now()
        affected = calendar_queries.affected_days([(form.first_day.data, form.last_day.data)], now)
        if _confirmed(form, affected):
            try:
                cancelled = services.change_closure(
                    closure,
                    first_day=form.first_day.data,
                    last_day=form.last_day.data,
                    reason=form.reason.data or "",
                    actor=current_user,
                    now=now,
                )
            except DomainError as exc:
                db.session.rollback()
                show_error(form, exc)
                affected = []
            else:
                db.session.commit()
                _flash_saved(_("Closure saved."), len(cancelled))
                return redirect(url_for("lab.closures"))
    return _render_edit(closure, form, RemoveClosureForm(formdata=None, prefix="remove"), affected)


def _render_edit(
    closure: Closure,
    form: ClosureForm,
    remove_form: RemoveClosureForm,
    affected: list[DesignDay],
) -> ResponseReturnValue:
    return render_template(
        "lab/edit_closure.html",
        closure=closure,
        form=form,
        remove_form=remove_form,
        affected=affected,
    )


@bp.route("/closures/<int:closure_id>/remove", methods=["POST"])
@permission_required(Permission.MANAGE_LAB_CALENDAR)
def remove_closure(closure_id: int) -> ResponseReturnValue:
    closure = db.get_or_404(Closure, closure_id)
    remove_form = RemoveClosureForm(prefix="remove")
    if remove_form.validate_on_submit():
        reason = closure.reason
        lab_calendar.remove_closure(closure, actor_id=current_user.id, now=clock.now())
        db.session.commit()
        flash(_("Closure removed: %(reason)s.", reason=reason), "success")
        return redirect(url_for("lab.closures"))
    form = ClosureForm(formdata=None, obj=closure)
    return _render_edit(closure, form, remove_form, [])


# Holiday import ---------------------------------------------------------------------------


def _import_years(today: date) -> list[int]:
    return [
        year
        for year in range(today.year, today.year + IMPORT_YEARS_AHEAD + 1)
        if year in HOLIDAY_YEARS
    ]


def _holiday_language() -> str:
    return "nl" if str(get_locale() or "nl").startswith("nl") else "en_US"


def _preview(year: int, region: str) -> list[HolidayRow]:
    return lab_calendar.holiday_preview(year, region, _holiday_language())


@bp.route("/closures/import", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_LAB_CALENDAR)
def import_holidays() -> ResponseReturnValue:
    if request.method == "POST":
        return _confirm_import()
    years = _import_years(_today())
    choice = HolidayChoiceForm(request.args)
    choice.year.choices = [(year, str(year)) for year in years]
    if not (request.args and choice.validate()):
        choice = HolidayChoiceForm(formdata=None)
        choice.year.choices = [(year, str(year)) for year in years]
        choice.year.data = years[0] if years else None
        choice.region.data = settings.get(HOLIDAY_REGION.key)
    rows: list[HolidayRow] = []
    if choice.year.data in years and choice.region.data in HOLIDAY_REGIONS:
        rows = _preview(choice.year.data, choice.region.data)
    form = HolidayImportForm(formdata=None)
    _prepare_import_form(form, years, rows)
    form.year.data = choice.year.data
    form.region.data = choice.region.data
    form.rows.data = [index for index, row in enumerate(rows) if not row.known]
    return _render_import(choice, form, rows, [])


def _prepare_import_form(form: HolidayImportForm, years: list[int], rows: list[HolidayRow]) -> None:
    form.year.choices = [(year, str(year)) for year in years]
    form.rows.choices = [(index, row.period.reason) for index, row in enumerate(rows)]


def _render_import(
    choice: HolidayChoiceForm,
    form: HolidayImportForm,
    rows: list[HolidayRow],
    affected: list[DesignDay],
) -> ResponseReturnValue:
    return render_template(
        "lab/import.html",
        choice=choice,
        form=form,
        rows=rows,
        ticked=set(form.rows.data or []),
        affected=affected,
    )


def _confirm_import() -> ResponseReturnValue:
    years = _import_years(_today())
    form = HolidayImportForm()
    form.year.choices = [(year, str(year)) for year in years]
    rows: list[HolidayRow] = []
    # The preview is computed again here: posted dates or names are never trusted.
    if form.year.validate(form) and form.region.validate(form):
        rows = _preview(form.year.data, form.region.data)
    form.rows.choices = [(index, row.period.reason) for index, row in enumerate(rows)]
    choice = HolidayChoiceForm(formdata=None)
    choice.year.choices = [(year, str(year)) for year in years]
    if rows:
        choice.year.data, choice.region.data = form.year.data, form.region.data
    else:
        choice.year.data = years[0] if years else None
        choice.region.data = settings.get(HOLIDAY_REGION.key)
    affected: list[DesignDay] = []
    if form.validate_on_submit():
        wanted = [rows[index].period for index in sorted(set(form.rows.data or []))]
        new = [
            period
            for period in wanted
            if not any(row.known and row.period == period for row in rows)
        ]
        if not new:
            form.rows.errors = [_("Tick at least one holiday that is not in the calendar yet.")]
            return _render_import(choice, form, rows, [])
        now = clock.now()
        affected = calendar_queries.affected_days(
            [(period.first_day, period.last_day) for period in new], now
        )
        if _confirmed(form, affected):
            try:
                added, cancelled = services.import_holidays(new, actor=current_user, now=now)
            except DomainError as exc:
                db.session.rollback()
                show_error(form, exc)
                affected = []
            else:
                db.session.commit()
                message = ngettext(
                    "%(num)d closure imported.", "%(num)d closures imported.", len(added)
                )
                _flash_saved(message, len(cancelled))
                return redirect(url_for("lab.closures", year=form.year.data))
    return _render_import(choice, form, rows, affected)
