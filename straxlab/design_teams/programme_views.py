"""Programme requests, the approval queue and approval with exceptions (blueprint `programmes`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from straxlab.auth.access import permission_required
from straxlab.auth.queries import user_names
from straxlab.auth.rules import Permission
from straxlab.core import clock
from straxlab.core.audit import AuditEvent
from straxlab.core.errors import DomainError
from straxlab.core.web import MAX_ID, show_error
from straxlab.design_teams import access, rules, services
from straxlab.design_teams import programme_queries as queries
from straxlab.design_teams.labels import weekday_name
from straxlab.design_teams.models import DesignTeam, Programme
from straxlab.design_teams.programme_forms import (
    ApproveForm,
    RejectForm,
    RequestForm,
    WithdrawForm,
    approve_form,
)
from straxlab.design_teams.rules import Problem, ProgrammeStatus
from straxlab.extensions import db
from straxlab.lab_calendar.rules import OpeningHours, Series
from straxlab.lab_calendar.settings import lab_hours

bp = Blueprint("programmes", __name__, url_prefix="/programmes")

# Suggested daily times of a new request, moved inside the lab's opening hours.
DEFAULT_STARTS = time(9, 0)
DEFAULT_ENDS = time(16, 0)


# --- the preview -------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewDay:
    """One generated date with what stands in its way."""

    check: rules.DayCheck
    busy_names: list[str]


@dataclass(frozen=True)
class Preview:
    series: Series
    days: list[PreviewDay]
    day_count: int
    starts: time
    ends: time

    @property
    def extended(self) -> bool:
        return queries.is_extended(self.series, self.day_count)

    @property
    def short(self) -> bool:
        """Fewer open days than asked for within the series' horizon."""
        return len(self.series.days) < self.day_count

    @property
    def trouble(self) -> int:
        return sum(1 for day in self.days if not day.check.ok)

    @property
    def regular_end(self) -> date | None:
        """The last day had no closure been skipped."""
        if not self.series.days:
            return None
        return self.series.days[0] + timedelta(weeks=self.day_count - 1)


def _preview(
    team: DesignTeam, *, weekday: int, starts: time, ends: time, first_day: date, day_count: int
) -> Preview:
    plan = services.plan(
        team, weekday=weekday, starts=starts, ends=ends, first_day=first_day, day_count=day_count
    )
    names = user_names(uid for check in plan.checks for uid in check.busy_members)
    days = [
        PreviewDay(check, [names.get(uid, "?") for uid in check.busy_members])
        for check in plan.checks
    ]
    return Preview(plan.series, days, day_count, starts, ends)


def _programme_preview(programme: Programme) -> Preview | None:
    try:
        return _preview(
            programme.team,
            weekday=programme.weekday,
            starts=programme.starts_at,
            ends=programme.ends_at,
            first_day=services.starts_on(programme, clock.now()),
            day_count=programme.day_count,
        )
    except DomainError:
        # Only a daily time inside the spring clock change gets here; approving says so.
        return None


# --- a new request -----------------------------------------------------------------------


def _team_from_query() -> DesignTeam:
    """The team of ``?team=<id>``; 404 for anything else."""
    raw = request.args.get("team", "")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
        abort(404)
    return db.get_or_404(DesignTeam, int(raw))


def _clamp(value: time, hours: OpeningHours) -> time:
    return min(max(value, hours.opens), hours.closes)


def _defaults(today: date, hours: OpeningHours) -> dict[str, Any]:
    weekday = min(hours.weekdays)
    next_monday = today + timedelta(days=8 - today.isoweekday())
    starts, ends = _clamp(DEFAULT_STARTS, hours), _clamp(DEFAULT_ENDS, hours)
    if ends <= starts:
        starts, ends = hours.opens, hours.closes
    return {
        "weekday": weekday,
        "starts_at": starts,
        "ends_at": ends,
        "first_day": next_monday + timedelta(days=weekday - 1),
        "day_count": rules.DEFAULT_DAY_COUNT,
        "second_weekday": None,
    }


def _check_request(form: RequestForm, today: date, hours: OpeningHours, members: int) -> None:
    """Put what the service would refuse beside its field already at preview time."""
    problems = rules.request_problems(
        weekday=form.weekday.data,
        second_weekday=form.second_weekday.data,
        starts=form.starts_at.data,
        ends=form.ends_at.data,
        first_day=form.first_day.data,
        day_count=form.day_count.data,
        today=today,
        lab=hours,
        active_members=members,
    )
    for problem in problems:
        if problem is not Problem.TOO_FEW_MEMBERS:  # said plainly above the form
            show_error(form, services.problem_error(problem))


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.TAKE_PART)
def new() -> ResponseReturnValue:
    team = _team_from_query()
    now = clock.now()
    today = services.today(now)
    access.require_run(team)
    hours = lab_hours()
    members = len(services.active_members(team.id, today))
    if request.method == "POST":
        form = RequestForm()
    else:
        form = RequestForm(formdata=None, data=_defaults(today, hours))
    form.offer_weekdays(hours.weekdays)
    preview = None
    if request.method == "GET" or form.validate_on_submit():
        data = form.data
        try:
            preview = _preview(
                team,
                weekday=data["weekday"],
                starts=data["starts_at"],
                ends=data["ends_at"],
                first_day=data["first_day"],
                day_count=data["day_count"],
            )
        except DomainError as exc:
            show_error(form, exc)
        if request.method == "POST" and preview is not None:
            if form.send.data:
                return _send(team, form, now) or _render_new(team, form, preview, members, hours)
            _check_request(form, today, hours, members)
    return _render_new(team, form, preview, members, hours)


def _send(team: DesignTeam, form: RequestForm, now: datetime) -> ResponseReturnValue | None:
    data = form.data
    try:
        programme = services.request_programme(
            team,
            weekday=data["weekday"],
            second_weekday=data["second_weekday"],
            starts=data["starts_at"],
            ends=data["ends_at"],
            first_day=data["first_day"],
            day_count=data["day_count"],
            note=data["note"] or "",
            actor=current_user,
            now=now,
        )
    except DomainError as exc:
        db.session.rollback()
        show_error(form, exc)
        return None
    db.session.commit()
    flash(
        _("Your request has been sent. Lab staff will approve it or get back to you."),
        "success",
    )
    return redirect(url_for("programmes.programme", programme_id=programme.id))


def _render_new(
    team: DesignTeam,
    form: RequestForm,
    preview: Preview | None,
    members: int,
    hours: OpeningHours,
) -> str:
    return render_template(
        "programmes/new.html",
        team=team,
        form=form,
        preview=preview,
        members=members,
        min_members=rules.MIN_ACTIVE_MEMBERS,
        max_days=rules.MAX_DAY_COUNT,
        hours=hours,
    )


# --- one programme -----------------------------------------------------------------------


def _readable(programme_id: int) -> Programme:
    """The programme, or 404 for someone who may not read its team."""
    programme = db.get_or_404(Programme, programme_id)
    access.require_read(programme.team)
    return programme


@bp.route("/<int:programme_id>")
@permission_required(Permission.TAKE_PART)
def programme(programme_id: int) -> ResponseReturnValue:
    return _show(_readable(programme_id))


def _show(
    programme: Programme,
    *,
    approve: ApproveForm | None = None,
    withdraw: WithdrawForm | None = None,
) -> str:
    """The programme page with its forms as they stand (a failed one keeps its input)."""
    waiting = programme.status is ProgrammeStatus.REQUESTED
    may_run = services.may_run(programme.team, current_user)
    may_decide = current_user.can(Permission.APPROVE_PROGRAMMES)
    preview = _programme_preview(programme) if waiting else None
    if waiting and may_decide and approve is None:
        approve = approve_form(preview.series.days if preview else [], formdata=None)
    events = queries.history(programme)
    names = user_names(
        [
            programme.requested_by_id,
            programme.decided_by_id,
            *(event.actor_id for event in events),
        ]
    )
    return render_template(
        "programmes/programme.html",
        programme=programme,
        preview=preview,
        design_days=queries.design_days(programme)
        if programme.status in (ProgrammeStatus.APPROVED, ProgrammeStatus.FINISHED)
        else [],
        may_run=may_run,
        may_decide=may_decide,
        approve_form=approve if waiting and may_decide else None,
        reject_form=RejectForm(formdata=None) if waiting and may_decide else None,
        withdraw_form=(withdraw or WithdrawForm(formdata=None)) if waiting and may_run else None,
        events=events,
        names=names,
        describe=describe_event,
    )


@bp.route("/<int:programme_id>/withdraw", methods=["POST"])
@permission_required(Permission.TAKE_PART)
def withdraw(programme_id: int) -> ResponseReturnValue:
    programme = db.get_or_404(Programme, programme_id)
    access.require_run(programme.team)
    form = WithdrawForm()
    if programme.status is ProgrammeStatus.REQUESTED and not form.validate_on_submit():
        return _show(programme, withdraw=form)
    try:
        services.withdraw(programme, actor=current_user, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("The request has been withdrawn."), "success")
    return redirect(url_for("programmes.programme", programme_id=programme_id))


@bp.route("/<int:programme_id>/approve", methods=["POST"])
@permission_required(Permission.APPROVE_PROGRAMMES)
def approve(programme_id: int) -> ResponseReturnValue:
    programme = db.get_or_404(Programme, programme_id)
    if programme.status is not ProgrammeStatus.REQUESTED:
        flash(_("This request has already been dealt with."), "error")
        return redirect(url_for("programmes.programme", programme_id=programme_id))
    preview = _programme_preview(programme)
    form = approve_form(preview.series.days if preview else [])
    if form.validate_on_submit():
        drop, moves = form.exceptions()
        try:
            created = services.approve(
                programme, actor=current_user, now=clock.now(), drop=drop, moves=moves
            )
        except DomainError as exc:
            db.session.rollback()
            if programme.status is not ProgrammeStatus.REQUESTED:
                # Someone else decided in the meantime: the form no longer applies.
                flash(str(exc), "error")
                return redirect(url_for("programmes.programme", programme_id=programme_id))
            show_error(form, exc, rename={"day": "", "exceptions": ""})
        else:
            db.session.commit()
            flash(
                ngettext(
                    "Approved: %(num)d design day.", "Approved: %(num)d design days.", len(created)
                ),
                "success",
            )
            return redirect(url_for("programmes.programme", programme_id=programme_id))
    return _show(programme, approve=form)


@bp.route("/<int:programme_id>/reject", methods=["GET", "POST"])
@permission_required(Permission.APPROVE_PROGRAMMES)
def reject(programme_id: int) -> ResponseReturnValue:
    programme = db.get_or_404(Programme, programme_id)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            services.reject(
                programme, reason=form.reason.data or "", actor=current_user, now=clock.now()
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(
                _("Rejected: the request of %(team)s.", team=programme.team.name),
                "success",
            )
            return redirect(url_for("programmes.queue"))
    return render_template("programmes/reject.html", programme=programme, form=form)


# --- the queue ---------------------------------------------------------------------------


@bp.route("")
@permission_required(Permission.APPROVE_PROGRAMMES)
def queue() -> ResponseReturnValue:
    decided, deciders = queries.recent_decisions()
    return render_template(
        "programmes/queue.html",
        queue=queries.queue(clock.now()),
        decided=decided,
        deciders=deciders,
    )


# --- history in words --------------------------------------------------------------------


def describe_event(event: AuditEvent) -> str:
    """One sentence for the programme's history."""
    details = event.details or {}
    text: str
    match event.action:
        case "programme.requested":
            weekday = details.get("weekday")
            if isinstance(weekday, int) and 1 <= weekday <= 7:
                text = _("Requested (%(weekday)s)", weekday=weekday_name(weekday))
            else:
                text = _("Requested")
        case "programme.withdrawn":
            text = _("Request withdrawn")
        case "programme.approved":
            text = ngettext(
                "Approved: %(num)d design day", "Approved: %(num)d design days", _count(details)
            )
            if details.get("dropped"):
                text += "; " + _("dropped: %(days)s", days=_days(details["dropped"]))
            if details.get("moved"):
                moved = ", ".join(
                    f"{_day(old)} → {_day(new)}" for old, new in dict(details["moved"]).items()
                )
                text += "; " + _("moved: %(days)s", days=moved)
        case "programme.rejected":
            text = _("Rejected: %(reason)s", reason=details.get("reason", ""))
        case _:
            text = event.action
    return text


def _count(details: dict[str, Any]) -> int:
    value = details.get("days", 0)
    return value if isinstance(value, int) else 0


def _day(raw: Any) -> str:
    try:
        return services.days_text([date.fromisoformat(str(raw))])
    except ValueError:
        return "?"


def _days(raw: Any) -> str:
    return ", ".join(_day(day) for day in raw or [])
