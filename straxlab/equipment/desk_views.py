"""The lending desk: today's pickups and returns, the asset a QR label opens, check-out and
take-back, the approval queue, all reservations, and printable QR labels."""

from __future__ import annotations

from datetime import datetime

import segno
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date, format_datetime, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from straxlab.auth.access import permission_required
from straxlab.auth.rules import Permission, is_safe_next
from straxlab.core import clock
from straxlab.core.errors import DomainError
from straxlab.core.forms import LAST_DAY
from straxlab.core.web import MAX_ID, page_number, show_error
from straxlab.equipment import desk_queries, services
from straxlab.equipment.desk_forms import (
    ApproveForm,
    CheckInForm,
    CheckOutForm,
    LabelsForm,
    LookupForm,
    RejectForm,
    ReservationFilterForm,
    SwapForm,
)
from straxlab.equipment.models import Asset, Reservation, ReservationItem
from straxlab.equipment.rules import EARLY_PICKUP, AssetStatus, ReservationStatus
from straxlab.extensions import db

bp = Blueprint("desk", __name__)

PER_PAGE = 25
APPROVALS_PER_PAGE = 20
# A sheet of 3 x 8 labels (Avery L7159 and alikes) per A4 page.
LABELS_PER_PAGE = 24
# At most this many labels per sheet request (a few hundred assets print in one go).
MAX_LABELS = 1200
# At most this many reservations are linked in a flash (it travels in the session cookie).
FLASH_LINKS = 5


@bp.context_processor
def _desk_helpers() -> dict[str, object]:
    return {"missed_pickup": desk_queries.is_missed_pickup}


def _back(target: str | None, fallback: str) -> str:
    return target if target and is_safe_next(target) else fallback


def _asset_page(reservation: Reservation) -> str:
    if reservation.items:
        return url_for("desk.asset", asset_id=reservation.items[0].asset_id)
    return url_for("desk.index")


def _tags(items: list[ReservationItem]) -> str:
    return ", ".join(item.asset.tag for item in items)


# The desk -------------------------------------------------------------------------------


@bp.route("/desk")
@permission_required(Permission.LEND)
def index() -> ResponseReturnValue:
    return _render_desk()


def _render_desk(*, lookup_tag: str = "", lookup_error: str = "") -> ResponseReturnValue:
    now = clock.now()
    return render_template(
        "desk/index.html",
        now=now,
        endangered=desk_queries.endangered(now),
        lookup_tag=lookup_tag,
        lookup_error=lookup_error,
        **desk_queries.desk_today(now),
    )


@bp.route("/desk/lookup")
@permission_required(Permission.LEND)
def lookup() -> ResponseReturnValue:
    form = LookupForm(request.args)
    tag = (form.tag.data or "").strip()
    asset = desk_queries.find_asset(tag) if form.validate() else None
    if asset is not None:
        return redirect(url_for("desk.asset", asset_id=asset.id))
    if not tag:
        error = _("Scan a label or type an asset tag.")
    else:
        error = _(
            "No asset has the tag “%(tag)s”. Check the label for typing errors.", tag=tag[:64]
        )
    return _render_desk(lookup_tag=tag[:64], lookup_error=error)


@bp.route("/desk/assets/<int:asset_id>")
@login_required
def asset(asset_id: int) -> ResponseReturnValue:
    asset = db.get_or_404(Asset, asset_id)
    if not current_user.can(Permission.LEND):
        # A teacher who scans a label gets the type's page: availability and reserving.
        return redirect(url_for("equipment.equipment_type", type_id=asset.equipment_type_id))
    now = clock.now()
    state = desk_queries.asset_state(asset, now)
    return render_template(
        "desk/asset.html",
        state=state,
        now=now,
        can_manage_catalogue=current_user.can(Permission.MANAGE_CATALOGUE),
    )


@bp.route("/desk/reservations/<int:reservation_id>/check-out", methods=["GET", "POST"])
@permission_required(Permission.LEND)
def check_out(reservation_id: int) -> ResponseReturnValue:
    reservation = db.get_or_404(Reservation, reservation_id)
    form = CheckOutForm()
    if not form.is_submitted():
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        now = clock.now()
        try:
            services.check_out(
                reservation, actor=current_user, now=now, condition=form.condition.data or ""
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(
                _(
                    "Handed out to %(name)s: %(tags)s. Due back %(when)s.",
                    name=reservation.requester.name,
                    tags=_tags(reservation.items),
                    when=format_datetime(reservation.ends_at, "EEEE d MMMM HH:mm"),
                ),
                "success",
            )
            return redirect(_back(form.next.data, _asset_page(reservation)))
    now = clock.now()
    return render_template(
        "desk/check_out.html",
        reservation=reservation,
        form=form,
        now=now,
        ready=desk_queries.can_check_out(reservation, now),
        earliest=reservation.starts_at - EARLY_PICKUP,
    )


@bp.route("/desk/reservations/<int:reservation_id>/check-in", methods=["GET", "POST"])
@permission_required(Permission.LEND)
def check_in(reservation_id: int) -> ResponseReturnValue:
    reservation = db.get_or_404(Reservation, reservation_id)
    outstanding = [item for item in reservation.items if item.returned_at is None]
    is_out = reservation.status is ReservationStatus.CHECKED_OUT
    form = CheckInForm(asset_ids=[item.asset_id for item in outstanding] if is_out else [])
    choices = [
        (item.asset_id, f"{item.asset.tag} · {item.asset.equipment_type.name}")
        for item in outstanding
    ]
    form.asset_ids.choices = choices
    form.damaged.choices = choices
    asks_wiped = any(item.asset.equipment_type.holds_recordings for item in outstanding)
    if not form.is_submitted():
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        now = clock.now()
        returning = [item for item in outstanding if item.asset_id in set(form.asset_ids.data)]
        was_usable = {
            item.asset_id for item in returning if item.asset.status is AssetStatus.AVAILABLE
        }
        try:
            services.take_back(
                reservation,
                actor=current_user,
                now=now,
                asset_ids=form.asset_ids.data or [],
                condition=form.condition.data or "",
                damaged_asset_ids=form.damaged.data or [],
                damage_report=form.damage_report.data or "",
                card_wiped=bool(form.card_wiped.data) if asks_wiped else None,
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            tags = _tags(returning)
            # Assets the take-back sent to maintenance (damaged, or a card not wiped).
            benched = {
                item.asset_id: item.asset.tag
                for item in returning
                if item.asset_id in was_usable and item.asset.status is not AssetStatus.AVAILABLE
            }
            db.session.commit()
            if reservation.status is ReservationStatus.RETURNED:
                message = _("Taken back: %(tags)s. Everything is back.", tags=tags)
            else:
                message = _("Taken back: %(tags)s. Some items are still out.", tags=tags)
            flash(message, "success")
            if benched:
                _warn_about_holders(benched, now)
            return redirect(_back(form.next.data, _asset_page(reservation)))
    return render_template(
        "desk/check_in.html",
        reservation=reservation,
        outstanding=outstanding,
        is_out=is_out,
        form=form,
        asks_wiped=asks_wiped,
        now=clock.now(),
    )


def _warn_about_holders(benched: dict[int, str], now: datetime) -> None:
    """Flash which reservations hold the assets that just went to maintenance, with links."""
    tags = ", ".join(sorted(benched.values()))
    held = desk_queries.holders(list(benched), now)
    if not held:
        flash(
            ngettext(
                "%(tags)s has gone to maintenance. No upcoming reservation holds it.",
                "%(tags)s have gone to maintenance. No upcoming reservation holds them.",
                len(benched),
                tags=tags,
            ),
            "warning",
        )
        return
    links = Markup(", ").join(
        Markup('<a href="{url}">{label}</a>').format(
            url=url_for("equipment.reservation", reservation_id=item.reservation_id),
            label=_(
                "%(tag)s: %(name)s, pickup %(when)s",
                tag=benched[item.asset_id],
                name=item.reservation.requester.name,
                when=format_datetime(item.reservation.starts_at, "EEE d MMM HH:mm"),
            ),
        )
        for item in held[:FLASH_LINKS]
    )
    if len(held) > FLASH_LINKS:
        more = len(held) - FLASH_LINKS
        links += Markup(', <a href="{url}">{label}</a>').format(
            url=url_for("desk.index", _anchor="endangered"),
            label=ngettext("%(num)d more", "%(num)d more", more),
        )
    # Translate with the placeholders left in, escape that text, then fill in: the tags are
    # escaped, the links stay links.
    text = ngettext(
        "%(tags)s has gone to maintenance, and upcoming reservations hold it: %(links)s. "
        "Swap it for another free one on the lending desk page.",
        "%(tags)s have gone to maintenance, and upcoming reservations hold them: %(links)s. "
        "Swap them for other free ones on the lending desk page.",
        len(benched),
        tags="%(tags)s",
        links="%(links)s",
    )
    flash(escape(text) % {"tags": tags, "links": links}, "warning")


@bp.route("/desk/reservations/<int:reservation_id>/items/<int:item_id>/swap", methods=["POST"])
@permission_required(Permission.LEND)
def swap(reservation_id: int, item_id: int) -> ResponseReturnValue:
    reservation = db.get_or_404(Reservation, reservation_id)
    item = db.get_or_404(ReservationItem, item_id)
    if item.reservation_id != reservation.id:
        abort(404)
    form = SwapForm()
    back = _back(form.next.data, url_for("desk.check_out", reservation_id=reservation.id))
    old_tag = item.asset.tag
    try:
        spare = services.swap_asset(reservation, item, actor=current_user, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        new_tag = spare.tag
        db.session.commit()
        flash(
            _(
                "%(old)s has been swapped for %(new)s in the reservation of %(name)s.",
                old=old_tag,
                new=new_tag,
                name=reservation.requester.name,
            ),
            "success",
        )
    return redirect(back)


# Approvals ------------------------------------------------------------------------------


@bp.route("/desk/approvals")
@permission_required(Permission.APPROVE_RESERVATIONS)
def approvals() -> ResponseReturnValue:
    return _render_approvals()


def _render_approvals(
    *, failed_id: int | None = None, failed_form: ApproveForm | None = None
) -> ResponseReturnValue:
    now = clock.now()
    page = db.paginate(
        desk_queries.pending_requests(),
        page=page_number(),
        per_page=APPROVALS_PER_PAGE,
        error_out=False,
    )
    findings = desk_queries.approval_findings(page.items, now)
    return render_template(
        "desk/approvals.html",
        page=page,
        findings=findings,
        now=now,
        failed_id=failed_id,
        failed_form=failed_form,
    )


@bp.route("/desk/reservations/<int:reservation_id>/approve", methods=["POST"])
@permission_required(Permission.APPROVE_RESERVATIONS)
def approve(reservation_id: int) -> ResponseReturnValue:
    reservation = db.get_or_404(Reservation, reservation_id)
    form = ApproveForm()
    if form.validate_on_submit():
        try:
            services.approve(
                reservation, actor=current_user, now=clock.now(), note=form.note.data or ""
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc, rename={"starts_at": "", "note": "note"})
        else:
            db.session.commit()
            flash(
                _(
                    "Approved: %(what)s for %(name)s.",
                    what=reservation.title,
                    name=reservation.requester.name,
                ),
                "success",
            )
            return redirect(url_for("desk.approvals"))
    return _render_approvals(failed_id=reservation.id, failed_form=form)


@bp.route("/desk/reservations/<int:reservation_id>/reject", methods=["GET", "POST"])
@permission_required(Permission.APPROVE_RESERVATIONS)
def reject(reservation_id: int) -> ResponseReturnValue:
    reservation = db.get_or_404(Reservation, reservation_id)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            services.reject(
                reservation, actor=current_user, now=clock.now(), reason=form.reason.data or ""
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(
                _(
                    "Rejected: %(what)s for %(name)s.",
                    what=reservation.title,
                    name=reservation.requester.name,
                ),
                "success",
            )
            return redirect(url_for("desk.approvals"))
    return render_template("desk/reject.html", reservation=reservation, form=form, now=clock.now())


# All reservations -----------------------------------------------------------------------


@bp.route("/desk/reservations")
@permission_required(Permission.VIEW_ALL_RESERVATIONS)
def reservations() -> ResponseReturnValue:
    filters = ReservationFilterForm(request.args)
    today = clock.today(services.lab_zone())
    first, last = desk_queries.default_list_window(today)
    status = None
    requester = ""
    if filters.validate():
        first = filters.first.data or today
        last = filters.last.data or min(desk_queries.default_list_window(first)[1], LAST_DAY)
        first = min(first, last)
        if filters.status.data:
            status = ReservationStatus(filters.status.data)
        requester = filters.q.data or ""
    # Show the window in use, so the list always says which days it covers.
    if not filters.first.errors:
        filters.first.data = first
    if not filters.last.errors:
        filters.last.data = last
    query = desk_queries.all_reservations(
        first=first, last=last, status=status, requester=requester
    )
    page = db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)
    return render_template(
        "desk/reservations.html",
        page=page,
        filters=filters,
        first_label=format_date(first, "EEE d MMMM yyyy"),
        last_label=format_date(last, "EEE d MMMM yyyy"),
        can_lend=current_user.can(Permission.LEND),
        now=clock.now(),
    )


# QR labels ------------------------------------------------------------------------------


def asset_link(asset: Asset) -> str:
    """The address a label's QR code opens: the real host, whatever host printed it."""
    base = str(current_app.config["BASE_URL"]).rstrip("/")
    return base + url_for("desk.asset", asset_id=asset.id, _external=False)


def qr_data_uri(url: str) -> str:
    """An SVG QR code as a data URI (the CSP allows ``img-src data:``)."""
    return str(segno.make(url, error="m").svg_data_uri(scale=4, border=1))


@bp.route("/desk/labels")
@permission_required(Permission.LEND)
def labels() -> ResponseReturnValue:
    return render_template("desk/labels.html", groups=desk_queries.assets_by_type())


@bp.route("/desk/labels/sheet")
@permission_required(Permission.LEND)
def label_sheet() -> ResponseReturnValue:
    form = LabelsForm(request.args)
    form.validate()
    if form.all.data:
        assets = desk_queries.label_assets()
    else:
        # Ids the database cannot hold are nobody's asset (and must not reach PostgreSQL).
        wanted = [i for i in form.asset.data or [] if 0 < i <= MAX_ID]
        assets = desk_queries.label_assets(wanted)
    assets = assets[:MAX_LABELS]
    sheet = [
        {"asset": asset, "url": (url := asset_link(asset)), "qr": qr_data_uri(url)}
        for asset in assets
    ]
    return render_template("desk/label_sheet.html", labels=sheet, per_page=LABELS_PER_PAGE)
