"""The teacher-facing lending pages: catalogue, reserve, my reservations, availability."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from straxlab.auth.access import permission_required
from straxlab.auth.models import User
from straxlab.auth.rules import Permission
from straxlab.core import clock
from straxlab.core.audit import AuditEvent
from straxlab.core.errors import DomainError, NotAllowed
from straxlab.core.web import MAX_ID, page_number, show_error
from straxlab.equipment import queries, rules, services
from straxlab.equipment.forms import (
    CancelForm,
    CataloguePeriodForm,
    ChangeForm,
    PeriodForm,
    ReservationForm,
    moment_args,
)
from straxlab.equipment.models import EquipmentType, Kit, Reservation
from straxlab.equipment.rules import Interval, OpeningHours, Problem, ReservationStatus
from straxlab.equipment.settings import opening_hours
from straxlab.extensions import db

bp = Blueprint("equipment", __name__)

# The services name the moments starts_at/ends_at; the forms split each into date and time.
RENAME = {"starts_at": "start_date", "ends_at": "end_date"}
# The catalogue checks a period against the lab-wide limits only; each type's own limits
# (loan period, how far ahead) show as a note beside that type.
NO_ADVANCE_LIMIT = 100 * 365


def _photo_url(name: str | None) -> str | None:
    return url_for("catalogue.photo", name=name) if name else None


def _when(moment: datetime) -> str:
    return format_datetime(moment, "EEEE d MMMM HH:mm")


def _staff() -> bool:
    return bool(current_user.can(Permission.OVERRIDE_LIMITS))


# --- catalogue -------------------------------------------------------------------------------


@bp.route("/equipment")
@permission_required(Permission.RESERVE)
def catalogue() -> ResponseReturnValue:
    now, zone, hours = clock.now(), services.lab_zone(), opening_hours()
    form = CataloguePeriodForm(formdata=request.args)
    form.offer_times(hours, whole_day=_staff())
    period = None
    if form.has_period_input() and form.validate():
        period = form.period(zone)
        if period is not None and not _period_is_usable(form, period, now=now, hours=hours):
            period = None
    groups, kits = queries.catalogue(period, now=now)
    if period is not None:
        entries: list[queries.TypeEntry | queries.KitEntry] = [
            *(t for g in groups for t in g.types),
            *kits,
        ]
        for entry in entries:
            entry.notes = _type_limits(
                period,
                now=now,
                max_loan_days=entry.max_loan_days,
                max_advance_days=entry.max_advance_days,
            )
    today = clock.today(zone)
    return render_template(
        "equipment/catalogue.html",
        form=form,
        period=period,
        period_args=moment_args(period, zone) if period else {},
        groups=groups,
        kits=kits,
        hours=hours,
        hours_text=services.desk_times_text(hours),
        weekdays_text=services.desk_days_text(hours),
        qualifications=queries.qualification_kinds(current_user, today),
        photo_url=_photo_url,
        today=today,
    )


def _period_is_usable(
    form: PeriodForm, period: Interval, *, now: datetime, hours: OpeningHours
) -> bool:
    """Put what is wrong with the period itself on its fields; True when it can be looked up.

    Lab staff may waive the desk's opening hours, so for them those are warnings only.
    """
    zone = services.lab_zone()
    problems = rules.period_problems(
        period, now=now, max_loan_days=rules.MAX_LOAN_DAYS, max_advance_days=NO_ADVANCE_LIMIT
    )
    closed = services.closures_between(
        period.start.astimezone(zone).date(), period.end.astimezone(zone).date()
    )
    if Problem.START_NOT_BEFORE_END not in problems:
        problems += rules.desk_problems(period, hours=hours, closures=closed, zone=zone)
    findings = services.Findings(
        problems=problems,
        params={
            "days": rules.MAX_LOAN_DAYS,
            "hours": services.desk_hours_text(hours),
            "reason": "; ".join(sorted({c.reason for c in closed})),
        },
    )
    for problem in problems:
        show_error(form, findings.error(problem), rename=RENAME)
    return not findings.hard and (not findings.waivable or _staff())


def _type_limits(
    period: Interval, *, now: datetime, max_loan_days: int, max_advance_days: int
) -> list[str]:
    found = rules.period_problems(
        period, now=now, max_loan_days=max_loan_days, max_advance_days=max_advance_days
    )
    limits = {Problem.BEYOND_LOAN_LIMIT, Problem.TOO_LONG, Problem.TOO_FAR_AHEAD}
    findings = services.Findings(
        problems=[p for p in found if p in limits],
        params={
            "loan_days": max_loan_days,
            "advance_days": max_advance_days,
            "limit": rules.MAX_LOAN_DAYS,
        },
    )
    return findings.sentences(findings.problems)


# --- reserve ---------------------------------------------------------------------------------


def _id_arg(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value <= MAX_ID else None


def _reservable() -> tuple[EquipmentType | None, Kit | None]:
    """The type (``?type=``) or kit (``?kit=``) being reserved; 404 when there is none."""
    type_id, kit_id = _id_arg("type"), _id_arg("kit")
    if (type_id is None) == (kit_id is None):
        abort(404)
    if type_id is not None:
        equipment_type = db.session.get(EquipmentType, type_id)
        if equipment_type is None or equipment_type.is_retired:
            abort(404)
        return equipment_type, None
    kit = db.session.get(Kit, kit_id)
    if kit is None or kit.is_retired or not kit.components:
        abort(404)
    return None, kit


@bp.route("/equipment/reserve", methods=["GET", "POST"])
@permission_required(Permission.RESERVE)
def reserve() -> ResponseReturnValue:
    equipment_type, kit = _reservable()
    now, zone, hours = clock.now(), services.lab_zone(), opening_hours()
    staff = _staff()
    if request.method == "POST":
        form = ReservationForm(requester=current_user.id)
    else:
        form = ReservationForm(formdata=request.args, requester=current_user.id)
    if staff:
        form.offer_requesters(queries.active_people())
    else:
        del form.requester
        del form.override_reason
    form.offer_times(hours, whole_day=staff)
    suggestion = None
    if form.validate_on_submit():
        period = form.period(zone)
        requester = db.session.get(User, form.requester.data) if staff else current_user
        if period is not None and requester is not None:
            try:
                reservation = services.request_reservation(
                    requester,
                    actor=current_user,
                    period=period,
                    quantity=form.quantity.data,
                    purpose=form.purpose.data or "",
                    now=now,
                    equipment_type=equipment_type,
                    kit=kit,
                    override_reason=(form.override_reason.data or "") if staff else "",
                )
            except DomainError as exc:
                db.session.rollback()
                show_error(form, exc, rename=RENAME)
                suggestion = getattr(exc, "suggestion", None)
            else:
                db.session.commit()
                flash(_reserved_message(reservation), "success")
                return redirect(url_for("equipment.reservation", reservation_id=reservation.id))
    suggestion_url = None
    if suggestion is not None:
        keep = {"quantity": form.quantity.data, "purpose": form.purpose.data}
        if staff:
            keep["requester"] = form.requester.data
        suggestion_url = url_for(
            "equipment.reserve",
            type=equipment_type.id if equipment_type else None,
            kit=kit.id if kit else None,
            **dict(moment_args(suggestion, zone), **keep),
        )
    return render_template(
        "equipment/reserve.html",
        form=form,
        equipment_type=equipment_type,
        kit=kit,
        hours_text=services.desk_times_text(hours),
        suggestion=suggestion,
        suggestion_url=suggestion_url,
        photo_url=_photo_url,
        today=clock.today(zone),
    )


def _reserved_message(reservation: Reservation) -> str:
    what = reservation.title
    start, end = _when(reservation.starts_at), _when(reservation.ends_at)
    if reservation.status is ReservationStatus.PENDING:
        return _(
            "You asked for %(what)s from %(start)s to %(end)s. "
            "The request is awaiting approval by lab staff.",
            what=what,
            start=start,
            end=end,
        )
    if reservation.requester_id != current_user.id:
        return _(
            "%(what)s is reserved for %(name)s from %(start)s to %(end)s, and approved.",
            what=what,
            name=reservation.requester.name,
            start=start,
            end=end,
        )
    return _(
        "%(what)s is reserved for you from %(start)s to %(end)s, and approved. "
        "Pick it up at the lending desk.",
        what=what,
        start=start,
        end=end,
    )


# --- my reservations and one reservation -----------------------------------------------------


@bp.route("/reservations")
@permission_required(Permission.RESERVE)
def mine() -> ResponseReturnValue:
    lists = queries.my_reservations(current_user, clock.now(), page_number())
    return render_template("equipment/mine.html", **lists)


def _visible(reservation_id: int) -> Reservation:
    """The reservation, if the user may see it: its requester, or staff and managers."""
    reservation = db.session.get(Reservation, reservation_id)
    if reservation is None or not (
        reservation.requester_id == current_user.id
        or current_user.can(Permission.VIEW_ALL_RESERVATIONS)
    ):
        abort(404)
    return reservation


def _may_change(reservation: Reservation) -> bool:
    """Its requester and lab staff may change or cancel it (managers only look)."""
    return reservation.requester_id == current_user.id or bool(
        current_user.can(Permission.APPROVE_RESERVATIONS)
    )


@bp.route("/reservations/<int:reservation_id>", methods=["GET", "POST"])
@permission_required(Permission.RESERVE)
def reservation(reservation_id: int) -> ResponseReturnValue:
    reservation = _visible(reservation_id)
    if request.method == "POST" and not _may_change(reservation):
        abort(403)
    now, zone = clock.now(), services.lab_zone()
    staff = _staff()
    form = _change_form(reservation, zone, posted=request.method == "POST")
    suggestion_url = None
    if form.validate_on_submit():
        period = form.period(zone)
        if period is not None:
            try:
                services.change_reservation(
                    reservation,
                    actor=current_user,
                    period=period,
                    quantity=form.quantity.data,
                    purpose=form.purpose.data or "",
                    now=now,
                    override_reason=(form.override_reason.data or "") if staff else "",
                )
            except NotAllowed:
                db.session.rollback()
                abort(404)
            except DomainError as exc:
                db.session.rollback()
                show_error(form, exc, rename=RENAME)
                suggestion = getattr(exc, "suggestion", None)
                if suggestion is not None:
                    suggestion_url = url_for(
                        "equipment.reservation",
                        reservation_id=reservation_id,
                        quantity=form.quantity.data,
                        **moment_args(suggestion, zone),
                        _anchor="change-heading",
                    )
            else:
                db.session.commit()
                if reservation.status is ReservationStatus.PENDING:
                    flash(
                        _(
                            "Your changes have been saved. The reservation is awaiting "
                            "approval by lab staff."
                        ),
                        "success",
                    )
                else:
                    flash(_("Your changes have been saved."), "success")
                return redirect(url_for("equipment.reservation", reservation_id=reservation_id))
    return _show_reservation(
        reservation, form, CancelForm(formdata=None), now=now, suggestion_url=suggestion_url
    )


def _show_reservation(
    reservation: Reservation,
    form: ChangeForm,
    cancel_form: CancelForm,
    *,
    now: datetime,
    suggestion_url: str | None = None,
) -> str:
    """The reservation page, with the change and cancel forms as they stand."""
    zone, hours = services.lab_zone(), opening_hours()
    events, names = queries.reservation_history(reservation)
    return render_template(
        "equipment/reservation.html",
        reservation=reservation,
        form=form,
        cancel_form=cancel_form,
        # The borrower reads the page as theirs; staff and managers look at someone else's.
        own=reservation.requester_id == current_user.id,
        may_change=_may_change(reservation) and reservation.status in queries.OPEN_STATUSES,
        overdue=rules.is_overdue(reservation.status, reservation.ends_at, False, now),
        events=events,
        names=names,
        describe=lambda event: describe_event(event, names),
        desk=_desk_actions(reservation, now),
        suggestion_url=suggestion_url,
        hours_text=services.desk_times_text(hours),
        today=clock.today(zone),
    )


def _change_form(reservation: Reservation, zone: Any, *, posted: bool) -> ChangeForm:
    """When posted, what was sent; otherwise the reservation as it is, or a suggested period."""
    if posted:
        form = ChangeForm()
    elif "start_date" in request.args:
        form = ChangeForm(
            formdata=request.args, quantity=reservation.quantity, purpose=reservation.purpose
        )
    else:
        form = ChangeForm(formdata=None, quantity=reservation.quantity, purpose=reservation.purpose)
        form.fill_period(Interval(reservation.starts_at, reservation.ends_at), zone)
    staff = _staff()
    if not staff:
        del form.override_reason
    form.offer_times(opening_hours(), whole_day=staff)
    return form


def _desk_actions(reservation: Reservation, now: datetime) -> dict[str, str]:
    """Links to the desk's own pages, for staff, when the reservation is at that step."""
    found: dict[str, str | None] = {}
    ids = {"reservation_id": reservation.id}
    if current_user.can(Permission.APPROVE_RESERVATIONS) and (
        reservation.status is ReservationStatus.PENDING
    ):
        found["approve"] = url_for("desk.approve", **ids)
        found["reject"] = url_for("desk.reject", **ids)
    if current_user.can(Permission.LEND):
        period = Interval(reservation.starts_at, reservation.ends_at)
        if rules.can_check_out(reservation.status, period, now):
            found["check_out"] = url_for("desk.check_out", **ids)
        if reservation.status is ReservationStatus.CHECKED_OUT:
            found["check_in"] = url_for("desk.check_in", **ids)
    return {name: url for name, url in found.items() if url}


@bp.route("/reservations/<int:reservation_id>/cancel", methods=["POST"])
@permission_required(Permission.RESERVE)
def cancel(reservation_id: int) -> ResponseReturnValue:
    reservation = _visible(reservation_id)
    if not _may_change(reservation):
        abort(403)
    now = clock.now()
    form = CancelForm()
    # Only a reservation that can still be cancelled shows the form and its checkbox; for any
    # other the service says why not.
    cancellable = rules.can_move(reservation.status, ReservationStatus.CANCELLED)
    if cancellable and not form.validate_on_submit():
        change_form = _change_form(reservation, services.lab_zone(), posted=False)
        return _show_reservation(reservation, change_form, form, now=now)
    try:
        services.cancel_reservation(
            reservation, actor=current_user, now=now, reason=form.reason.data or ""
        )
    except NotAllowed:
        db.session.rollback()
        abort(404)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("The reservation has been cancelled. The equipment is free for others."), "success")
    return redirect(url_for("equipment.reservation", reservation_id=reservation_id))


def describe_event(event: AuditEvent, names: dict[int, str]) -> str:
    """One sentence for the reservation's history."""
    details = event.details or {}

    def when(raw: Any) -> str:
        try:
            return _when(datetime.fromisoformat(str(raw)))
        except ValueError:
            return "?"

    def tags(key: str) -> str:
        return ", ".join(str(tag) for tag in details.get(key) or []) or "–"

    match event.action:
        case "reservation.requested":
            if details.get("status") == ReservationStatus.PENDING.value:
                text = _("Requested; awaiting approval (assets %(tags)s)", tags=tags("assets"))
            else:
                text = _("Reserved and approved (assets %(tags)s)", tags=tags("assets"))
        case "reservation.changed":
            old = details.get("period") or ["", ""]
            text = _(
                "Changed; it was %(start)s to %(end)s, quantity %(quantity)s",
                quantity=details.get("quantity", "?"),
                start=when(old[0]),
                end=when(old[1] if len(old) > 1 else ""),
            )
            if details.get("back_to_pending"):
                text += " " + _("(awaiting approval again)")
        case "reservation.cancelled":
            text = _("Cancelled")
            if details.get("reason"):
                text += ": " + str(details["reason"])
        case "reservation.approved":
            text = _("Approved")
            if details.get("note"):
                text += ": " + str(details["note"])
            if details.get("replaced"):
                text += " " + _("(replaced assets: %(tags)s)", tags=tags("replaced"))
        case "reservation.rejected":
            text = _("Rejected: %(reason)s", reason=details.get("reason", ""))
        case "reservation.checked_out":
            text = _("Handed out at the desk: %(tags)s", tags=tags("assets"))
        case "reservation.taken_back":
            text = _("Taken back at the desk: %(tags)s", tags=tags("assets"))
            if details.get("damaged"):
                text += " " + _("(damaged: %(tags)s)", tags=tags("damaged"))
        case "reservation.asset_swapped":
            text = _(
                "Asset %(old)s swapped for %(new)s",
                old=details.get("old", "?"),
                new=details.get("new", "?"),
            )
        case "reservation.expired":
            text = _("Expired: not approved before the pickup time")
        case _:
            text = event.action
    if details.get("override"):
        text += " " + _("(limit waived: %(reason)s)", reason=details["override"])
    return text


# --- equipment types and their availability --------------------------------------------------


@bp.route("/equipment/types/<int:type_id>")
@permission_required(Permission.RESERVE)
def equipment_type(type_id: int) -> ResponseReturnValue:
    equipment_type = db.get_or_404(EquipmentType, type_id)
    usable = queries.usable_counts([equipment_type.id]).get(equipment_type.id, 0)
    zone = services.lab_zone()
    today = clock.today(zone)
    return render_template(
        "equipment/type.html",
        equipment_type=equipment_type,
        usable=usable,
        photo_url=_photo_url(equipment_type.photo),
        qualified=(
            not equipment_type.required_qualification
            or equipment_type.required_qualification.casefold()
            in queries.qualification_kinds(current_user, today)
        ),
    )


@bp.route("/equipment/types/<int:type_id>/availability")
@permission_required(Permission.RESERVE)
def availability(type_id: int) -> ResponseReturnValue:
    equipment_type = db.get_or_404(EquipmentType, type_id)
    now, zone, hours = clock.now(), services.lab_zone(), opening_hours()
    today = now.astimezone(zone).date()
    # When the desk does not open again this week (a weekend), the coming week is shown.
    default_week = queries.default_week(today, hours)
    monday = queries.week_of(request.args.get("week"), default_week)
    this_week = queries.week_of(None, today)
    closures = services.closures_between(monday, monday + timedelta(days=6))
    days = queries.week_days(monday, hours=hours, closures=closures, zone=zone, today=today)
    grid = queries.availability_grid(
        equipment_type,
        days,
        now=now,
        zone=zone,
        viewer_id=current_user.id,
        show_names=bool(current_user.can(Permission.VIEW_ALL_RESERVATIONS)),
    )
    return render_template(
        "equipment/availability.html",
        equipment_type=equipment_type,
        days=days,
        grid=grid,
        monday=monday,
        previous_week=monday - timedelta(days=7),
        next_week=monday + timedelta(days=7),
        this_week=this_week,
        moved_ahead="week" not in request.args and default_week != this_week,
        hours_text=services.desk_times_text(hours),
    )
