"""Design days: the day page, cancel, move, check-in at the door, attendance (blueprint `days`)."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from typing import Any

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required

from straxlab.auth.access import permission_required
from straxlab.auth.models import User
from straxlab.auth.rules import Permission
from straxlab.core import clock
from straxlab.core.audit import AuditEvent
from straxlab.core.errors import DomainError, NotAllowed
from straxlab.core.web import MAX_ID, page_number, show_error
from straxlab.design_teams import access, day_queries, rules, services
from straxlab.design_teams.day_forms import (
    AddDayForm,
    AttendanceForm,
    CancelDayForm,
    CheckInForm,
    MoveDayForm,
)
from straxlab.design_teams.models import DesignDay, Programme
from straxlab.design_teams.rules import DesignDayStatus, ProgrammeStatus
from straxlab.extensions import db

bp = Blueprint("days", __name__, url_prefix="/lab/days")

# "My lab days": the coming days shown at once, and past days per page.
COMING_LIMIT = 20
PAST_PER_PAGE = 20
# Staff record attendance from this long before the start (as services.record_attendance).
RECORD_FROM = timedelta(hours=1)
# Errors of a date that cannot be taken (full, closed, a busy member) belong beside the date.
DAY_ERRORS = {"": "day"}


def _day_or_404(design_day_id: int) -> DesignDay:
    design_day = day_queries.load_day(design_day_id)
    if design_day is None:
        abort(404)
    return design_day


def _readable(design_day_id: int) -> DesignDay:
    """The day, or 404 for someone who may not read its team (do not reveal it exists)."""
    design_day = _day_or_404(design_day_id)
    access.require_read(design_day.team)
    return design_day


def _runnable(design_day_id: int) -> DesignDay:
    """The day, for its coordinator or staff; 403 for other readers (managers, members)."""
    design_day = _day_or_404(design_day_id)
    access.require_run(design_day.team)
    return design_day


def _still_to_come(design_day: DesignDay, now: datetime) -> bool:
    return design_day.status in rules.CHANGEABLE and design_day.ends_at > now


def check_in_link(design_day: DesignDay) -> str:
    """The address the door's QR code opens: the real host, whatever host printed it."""
    base = str(current_app.config["BASE_URL"]).rstrip("/")
    return base + url_for("days.check_in", design_day_id=design_day.id, _external=False)


def _local_time(moment: datetime) -> time:
    return moment.astimezone(services.lab_zone()).time().replace(tzinfo=None)


def _day_text(design_day: DesignDay) -> str:
    return str(format_date(design_day.day, "EEEE d MMMM yyyy"))


# The day page ---------------------------------------------------------------------------


@bp.route("/<int:design_day_id>")
@permission_required(Permission.TAKE_PART)
def day(design_day_id: int) -> ResponseReturnValue:
    return _show_day(_readable(design_day_id))


def _show_day(
    design_day: DesignDay,
    *,
    cancel_form: CancelDayForm | None = None,
    failed_user_id: int | None = None,
    failed_form: AttendanceForm | None = None,
) -> str:
    now = clock.now()
    rows = day_queries.attendance_rows(design_day)
    events, names = day_queries.day_history(design_day, rows)
    may_run = services.may_run(design_day.team, current_user)
    may_record = (
        current_user.can(Permission.RECORD_ATTENDANCE)
        and design_day.status is not DesignDayStatus.CANCELLED
        and design_day.starts_at - RECORD_FROM <= now
    )
    listed = {row.user.id for row in rows}
    return render_template(
        "days/day.html",
        design_day=design_day,
        rows=rows,
        events=events,
        names=names,
        describe=lambda event: describe_event(event, names),
        may_change=may_run and _still_to_come(design_day, now),
        cancel_form=cancel_form or CancelDayForm(formdata=None),
        may_record=may_record,
        record_later=current_user.can(Permission.RECORD_ATTENDANCE) and not may_record,
        failed_user_id=failed_user_id if failed_user_id in listed else None,
        failed_form=failed_form,
        stray_form=failed_form if failed_user_id not in listed else None,
        staff=current_user.can(Permission.RECORD_ATTENDANCE),
        check_in_open=rules.can_check_in(
            design_day.day, design_day.status, now, services.lab_zone()
        ),
        is_member=current_user.id in listed,
    )


def describe_event(event: AuditEvent, names: dict[int, str]) -> str:
    """One sentence for the design day's history."""
    details = event.details or {}

    def when(raw: Any, pattern: str) -> str:
        try:
            return str(format_datetime(datetime.fromisoformat(str(raw)), pattern))
        except ValueError:
            return "?"

    def presence(value: Any) -> str:
        return str(_("present") if value else _("absent"))

    match event.action:
        case "design_day.added":
            text = _("Added as an extra design day")
        case "design_day.cancelled":
            if details.get("closure"):
                text = _(
                    "Cancelled because the lab is closed: %(reason)s",
                    reason=details.get("reason", ""),
                )
            else:
                text = _("Cancelled: %(reason)s", reason=details.get("reason", ""))
        case "design_day.moved":
            before = details.get("before") or ["", "", ""]
            before = [*before, "", "", ""][:3]
            try:
                old_day = format_date(
                    datetime.fromisoformat(str(before[0])).date(), "EEE d MMM yyyy"
                )
            except ValueError:
                old_day = "?"
            text = _(
                "Moved; it was %(day)s %(start)s–%(end)s",
                day=old_day,
                start=when(before[1], "HH:mm"),
                end=when(before[2], "HH:mm"),
            )
        case "attendance.recorded":
            user_id = details.get("user_id")
            name = names.get(user_id, "?") if isinstance(user_id, int) else "?"
            if details.get("before") is None:
                text = _(
                    "Attendance of %(name)s recorded: %(state)s",
                    name=name,
                    state=presence(details.get("present")),
                )
            else:
                text = _(
                    "Attendance of %(name)s corrected from %(before)s to %(state)s",
                    name=name,
                    before=presence(details.get("before")),
                    state=presence(details.get("present")),
                )
            if details.get("reason"):
                text += ": " + str(details["reason"])
        case _:
            text = event.action
    return str(text)


# Cancel, move, an extra day --------------------------------------------------------------


@bp.route("/<int:design_day_id>/cancel", methods=["POST"])
@permission_required(Permission.TAKE_PART)
def cancel(design_day_id: int) -> ResponseReturnValue:
    design_day = _runnable(design_day_id)
    form = CancelDayForm()
    if form.validate_on_submit():
        try:
            services.cancel_day(
                design_day, reason=form.reason.data or "", actor=current_user, now=clock.now()
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(
                _("The design day of %(day)s has been cancelled.", day=_day_text(design_day)),
                "success",
            )
            return redirect(url_for("days.day", design_day_id=design_day.id))
    return _show_day(design_day, cancel_form=form)


@bp.route("/<int:design_day_id>/move", methods=["GET", "POST"])
@permission_required(Permission.TAKE_PART)
def move(design_day_id: int) -> ResponseReturnValue:
    design_day = _runnable(design_day_id)
    if request.method == "POST":
        form = MoveDayForm()
    else:
        form = MoveDayForm(
            data={
                "day": design_day.day,
                "starts_at": _local_time(design_day.starts_at),
                "ends_at": _local_time(design_day.ends_at),
            }
        )
    if form.validate_on_submit():
        try:
            services.move_day(
                design_day,
                day=form.day.data,
                starts=form.starts_at.data,
                ends=form.ends_at.data,
                actor=current_user,
                now=clock.now(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc, rename=DAY_ERRORS)
        else:
            db.session.commit()
            flash(
                _("The design day has been moved to %(day)s.", day=_day_text(design_day)),
                "success",
            )
            return redirect(url_for("days.day", design_day_id=design_day.id))
    return render_template(
        "days/move.html",
        design_day=design_day,
        form=form,
        changeable=_still_to_come(design_day, clock.now()),
    )


def _programme_from_query() -> Programme:
    programme_id = request.args.get("programme", type=int)
    if programme_id is None or not 0 < programme_id <= MAX_ID:
        abort(404)
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        abort(404)
    access.require_run(programme.team)
    return programme


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.TAKE_PART)
def add() -> ResponseReturnValue:
    programme = _programme_from_query()
    if request.method == "POST":
        form = AddDayForm()
    else:
        form = AddDayForm(data={"starts_at": programme.starts_at, "ends_at": programme.ends_at})
    if form.validate_on_submit():
        try:
            design_day = services.add_day(
                programme,
                day=form.day.data,
                starts=form.starts_at.data,
                ends=form.ends_at.data,
                actor=current_user,
                now=clock.now(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc, rename=DAY_ERRORS)
        else:
            db.session.commit()
            flash(
                _("An extra design day has been added on %(day)s.", day=_day_text(design_day)),
                "success",
            )
            return redirect(url_for("days.day", design_day_id=design_day.id))
    return render_template(
        "days/add.html",
        programme=programme,
        form=form,
        approved=programme.status is ProgrammeStatus.APPROVED,
    )


# Check-in at the lab door ----------------------------------------------------------------


@bp.route("/<int:design_day_id>/check-in", methods=["GET", "POST"])
@login_required
def check_in(design_day_id: int) -> ResponseReturnValue:
    design_day = _day_or_404(design_day_id)
    if not services.is_member(design_day.team, current_user, design_day.day):
        return _not_a_member(design_day)
    form = CheckInForm()
    if form.validate_on_submit():
        now = clock.now()
        try:
            attendance = services.check_in(design_day, user=current_user, now=now)
        except NotAllowed:
            db.session.rollback()
            return _not_a_member(design_day)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            checked_in_at = attendance.checked_in_at or now
            db.session.commit()
            when = format_datetime(checked_in_at, "HH:mm")
            if checked_in_at == now:
                flash(_("You are checked in at %(time)s.", time=when), "success")
            else:
                flash(_("You were already checked in at %(time)s.", time=when), "info")
        return redirect(url_for("days.check_in", design_day_id=design_day.id))
    now = clock.now()
    own = services.find_attendance(design_day.id, current_user.id)
    return render_template(
        "days/check_in.html",
        design_day=design_day,
        form=form,
        open=rules.can_check_in(design_day.day, design_day.status, now, services.lab_zone()),
        attendance=own if own is not None and own.present else None,
        too_early=design_day.day > services.today(now),
    )


def _not_a_member(design_day: DesignDay) -> ResponseReturnValue:
    """A plain refusal (403); a reader of the team (staff, a former member) gets its day page."""
    readable = services.may_read(design_day.team, current_user)
    page = render_template("days/not_member.html", design_day=design_day, readable=readable)
    return page, 403


# The door poster and its QR codes ---------------------------------------------------------


@bp.route("/<int:design_day_id>/qr.svg")
@permission_required(Permission.RECORD_ATTENDANCE)
def qr(design_day_id: int) -> ResponseReturnValue:
    design_day = _day_or_404(design_day_id)
    buffer = io.BytesIO()
    segno.make(check_in_link(design_day), error="m").save(
        buffer,
        kind="svg",
        scale=8,
        border=2,
        title=_("Check in: %(team)s", team=design_day.team.name),
    )
    return Response(buffer.getvalue(), mimetype="image/svg+xml")


@bp.route("/today")
@permission_required(Permission.RECORD_ATTENDANCE)
def door() -> ResponseReturnValue:
    now = clock.now()
    today = services.today(now)
    days = day_queries.days_on(today)
    return render_template(
        "days/door.html",
        today_label=format_date(today, "EEEE d MMMM yyyy"),
        posters=[{"day": design_day, "url": check_in_link(design_day)} for design_day in days],
    )


# Attendance, recorded by staff -----------------------------------------------------------


@bp.route("/<int:design_day_id>/attendance", methods=["POST"])
@permission_required(Permission.RECORD_ATTENDANCE)
def record(design_day_id: int) -> ResponseReturnValue:
    design_day = _day_or_404(design_day_id)
    form = AttendanceForm()
    user_id = form.user_id()
    member = db.session.get(User, user_id) if user_id is not None else None
    if form.validate_on_submit():
        if member is None:
            form.form_errors.append(_("Choose a member of this team."))
        else:
            present = form.present.data == "present"
            try:
                services.record_attendance(
                    design_day,
                    user=member,
                    present=present,
                    reason=form.reason.data or "",
                    actor=current_user,
                    now=clock.now(),
                )
            except DomainError as exc:
                db.session.rollback()
                show_error(form, exc, rename={"user": ""})
            else:
                name = member.name
                db.session.commit()
                if present:
                    message = _("%(name)s is recorded as present.", name=name)
                else:
                    message = _("%(name)s is recorded as absent.", name=name)
                flash(message, "success")
                return redirect(
                    url_for("days.day", design_day_id=design_day.id, _anchor="attendance")
                )
    return _show_day(design_day, failed_user_id=user_id, failed_form=form)


# My lab days -------------------------------------------------------------------------------


@bp.route("/mine")
@permission_required(Permission.TAKE_PART)
def mine() -> ResponseReturnValue:
    now = clock.now()
    today = services.today(now)
    coming = day_queries.coming_days(current_user.id, today, COMING_LIMIT)
    page = db.paginate(
        day_queries.past_days(current_user.id, today),
        page=page_number(),
        per_page=PAST_PER_PAGE,
        error_out=False,
    )
    attendance = day_queries.attendance_of(
        current_user.id, [design_day.id for design_day in [*coming, *page.items]]
    )
    return render_template(
        "days/mine.html",
        coming=coming,
        page=page,
        attendance=attendance,
        today=today,
        coming_limit=COMING_LIMIT,
    )
