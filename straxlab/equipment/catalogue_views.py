"""Catalogue upkeep for lab staff: categories, equipment types, assets, kits, qualifications."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import FileStorage
from wtforms.fields.choices import SelectChoice

from straxlab.auth.access import permission_required
from straxlab.auth.queries import user_names
from straxlab.auth.rules import Permission
from straxlab.core import audit, clock
from straxlab.core.errors import DomainError
from straxlab.core.web import page_number, show_error
from straxlab.equipment import catalogue
from straxlab.equipment.catalogue_forms import (
    AssetForm,
    AssetStatusForm,
    BulkAssetForm,
    CategoryForm,
    EquipmentTypeForm,
    KitForm,
    QualificationFilterForm,
    QualificationForm,
    RetireAssetForm,
)
from straxlab.equipment.labels import ASSET_STATUS_LABELS
from straxlab.equipment.models import Asset, Category, EquipmentType, Kit, Qualification
from straxlab.equipment.rules import AssetStatus
from straxlab.extensions import db

bp = Blueprint("catalogue", __name__)

QUALIFICATIONS_PER_PAGE = 25
# The equipment type's columns that its form edits directly.
TYPE_FIELDS = (
    "name",
    "description",
    "needs_approval",
    "turnaround_minutes",
    "max_loan_days",
    "max_advance_days",
    "required_qualification",
    "holds_recordings",
)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "format_date": format_date,
    }


@bp.route("/catalogue")
@permission_required(Permission.MANAGE_CATALOGUE)
def index() -> ResponseReturnValue:
    return render_template(
        "catalogue/index.html", categories=catalogue.overview(), kits=catalogue.all_kits()
    )


# Categories


@bp.route("/catalogue/categories/new", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_CATALOGUE)
def new_category() -> ResponseReturnValue:
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            category = catalogue.create_category(
                actor=current_user,
                name=form.name.data or "",
                description=form.description.data or "",
                now=clock.now(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Category “%(name)s” added.", name=category.name), "success")
            return redirect(url_for("catalogue.category", category_id=category.id))
    return render_template("catalogue/category.html", form=form, category=None, types=[])


@bp.route("/catalogue/categories/<int:category_id>", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_CATALOGUE)
def category(category_id: int) -> ResponseReturnValue:
    category = db.get_or_404(Category, category_id)
    form = CategoryForm(obj=category)
    if form.validate_on_submit():
        try:
            catalogue.update_category(
                category,
                actor=current_user,
                name=form.name.data or "",
                description=form.description.data or "",
                now=clock.now(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Category “%(name)s” saved.", name=category.name), "success")
            return redirect(url_for("catalogue.category", category_id=category.id))
    return render_template(
        "catalogue/category.html",
        form=form,
        category=category,
        types=catalogue.types_of(category),
    )


# Equipment types


def _type_form(
    categories: list[Category], equipment_type: EquipmentType | None = None
) -> EquipmentTypeForm:
    if equipment_type is not None:
        # Not obj=: the type's `category` is an object and its `photo` a file name.
        stored = {name: getattr(equipment_type, name) for name in TYPE_FIELDS}
        form = EquipmentTypeForm(data={**stored, "category": equipment_type.category_id})
    else:
        form = EquipmentTypeForm(category=request.args.get("category", type=int))
    form.category.choices = [
        SelectChoice("", _("Choose a category")),
        *(SelectChoice(str(c.id), c.name) for c in categories),
    ]
    return form


def _type_details(form: EquipmentTypeForm) -> catalogue.TypeDetails:
    return catalogue.TypeDetails(
        category_id=form.category.data,
        name=form.name.data or "",
        description=form.description.data or "",
        needs_approval=bool(form.needs_approval.data),
        turnaround_minutes=form.turnaround_minutes.data,
        max_loan_days=form.max_loan_days.data,
        max_advance_days=form.max_advance_days.data,
        required_qualification=form.required_qualification.data or "",
        holds_recordings=bool(form.holds_recordings.data),
    )


def _uploaded(form: EquipmentTypeForm) -> Any:
    # Without an upload the field holds the stored file name (the form was built from the type).
    upload = form.photo.data
    return upload.stream if isinstance(upload, FileStorage) and upload else None


@bp.route("/catalogue/types/new", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_CATALOGUE)
def new_type() -> ResponseReturnValue:
    categories = catalogue.categories()
    if not categories:
        flash(_("Start with a category; equipment types belong to one."), "info")
        return redirect(url_for("catalogue.new_category"))
    form = _type_form(categories)
    if form.validate_on_submit():
        try:
            equipment_type = catalogue.create_type(
                _type_details(form), actor=current_user, now=clock.now(), photo=_uploaded(form)
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(
                _(
                    "Equipment type “%(name)s” added. Now add its assets.",
                    name=equipment_type.name,
                ),
                "success",
            )
            return redirect(url_for("catalogue.equipment_type", type_id=equipment_type.id))
    return render_template(
        "catalogue/type_new.html", form=form, kinds=catalogue.qualification_kinds()
    )


@bp.route("/catalogue/types/<int:type_id>", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_CATALOGUE)
def equipment_type(type_id: int) -> ResponseReturnValue:
    equipment_type = db.get_or_404(EquipmentType, type_id)
    form = _type_form(catalogue.categories(), equipment_type)
    if form.validate_on_submit():
        old_photo = equipment_type.photo
        try:
            catalogue.update_type(
                equipment_type,
                _type_details(form),
                actor=current_user,
                now=clock.now(),
                photo=_uploaded(form),
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            if old_photo != equipment_type.photo:
                catalogue.discard_photo_file(old_photo)
            flash(_("“%(name)s” saved.", name=equipment_type.name), "success")
            return redirect(url_for("catalogue.equipment_type", type_id=equipment_type.id))
    return render_template(
        "catalogue/type.html",
        form=form,
        equipment_type=equipment_type,
        assets=catalogue.assets_of(equipment_type),
        kits=catalogue.kits_with(equipment_type),
        kinds=catalogue.qualification_kinds(),
    )


@bp.route("/catalogue/types/<int:type_id>/retire", methods=["POST"])
@permission_required(Permission.MANAGE_CATALOGUE)
def retire_type(type_id: int) -> ResponseReturnValue:
    equipment_type = db.get_or_404(EquipmentType, type_id)
    try:
        catalogue.retire_type(equipment_type, actor=current_user, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(
            _(
                "“%(name)s” is retired: it can no longer be reserved. "
                "Reservations made before stay as they are.",
                name=equipment_type.name,
            ),
            "success",
        )
    return redirect(url_for("catalogue.equipment_type", type_id=type_id))


@bp.route("/catalogue/types/<int:type_id>/restore", methods=["POST"])
@permission_required(Permission.MANAGE_CATALOGUE)
def restore_type(type_id: int) -> ResponseReturnValue:
    equipment_type = db.get_or_404(EquipmentType, type_id)
    try:
        catalogue.restore_type(equipment_type, actor=current_user, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("“%(name)s” can be reserved again.", name=equipment_type.name), "success")
    return redirect(url_for("catalogue.equipment_type", type_id=type_id))


@bp.route("/catalogue/types/<int:type_id>/photo/remove", methods=["POST"])
@permission_required(Permission.MANAGE_CATALOGUE)
def remove_photo(type_id: int) -> ResponseReturnValue:
    equipment_type = db.get_or_404(EquipmentType, type_id)
    try:
        old = catalogue.remove_photo(equipment_type, actor=current_user, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        catalogue.discard_photo_file(old)
        flash(_("The photo has been removed."), "success")
    return redirect(url_for("catalogue.equipment_type", type_id=type_id))


@bp.route("/catalogue/photos/<name>")
@login_required
def photo(name: str) -> ResponseReturnValue:
    # Only names the upload step generates, and only photos a type still shows.
    if not catalogue.photo_in_use(name):
        abort(404)
    response = send_from_directory(catalogue.photo_folder(), name, max_age=3600)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


# Assets


@bp.route("/catalogue/types/<int:type_id>/assets/new", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_CATALOGUE)
def new_asset(type_id: int) -> ResponseReturnValue:
    equipment_type = db.get_or_404(EquipmentType, type_id)
    # Two forms on one page: the button that was pressed says which one was sent.
    bulk = request.method == "POST" and "bulk_submit" in request.form
    form = AssetForm(formdata=None) if bulk else AssetForm()
    bulk_form = BulkAssetForm() if bulk else BulkAssetForm(formdata=None)
    if bulk:
        if bulk_form.validate():
            return _add_in_bulk(equipment_type, form, bulk_form)
    elif form.validate_on_submit():
        try:
            asset = catalogue.add_asset(
                equipment_type,
                actor=current_user,
                tag=form.tag.data or "",
                serial_number=form.serial_number.data or "",
                condition_note=form.condition_note.data or "",
                now=clock.now(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Asset %(tag)s added.", tag=asset.tag), "success")
            return redirect(url_for("catalogue.equipment_type", type_id=type_id))
    return _asset_new_page(equipment_type, form, bulk_form)


def _add_in_bulk(
    equipment_type: EquipmentType, form: AssetForm, bulk_form: BulkAssetForm
) -> ResponseReturnValue:
    try:
        result = catalogue.add_assets(
            equipment_type,
            actor=current_user,
            prefix=bulk_form.prefix.data or "",
            count=bulk_form.count.data,
            now=clock.now(),
        )
    except DomainError as exc:
        db.session.rollback()
        show_error(bulk_form, exc)
        return _asset_new_page(equipment_type, form, bulk_form)
    db.session.commit()
    tags = [asset.tag for asset in result.added]
    first, last = tags[0], tags[-1]
    if len(tags) == 1:
        message = _("Asset %(tag)s added.", tag=first)
    else:
        message = _(
            "%(count)s assets added: %(first)s to %(last)s.",
            count=len(tags),
            first=first,
            last=last,
        )
    if result.skipped:
        message += " " + _(
            "Skipped because they exist already: %(tags)s.", tags=", ".join(result.skipped)
        )
    flash(message, "success")
    return redirect(url_for("catalogue.equipment_type", type_id=equipment_type.id))


def _asset_new_page(
    equipment_type: EquipmentType, form: AssetForm, bulk_form: BulkAssetForm
) -> ResponseReturnValue:
    return render_template(
        "catalogue/asset_new.html",
        equipment_type=equipment_type,
        form=form,
        bulk_form=bulk_form,
        any_errors=bool(
            form.errors or form.form_errors or bulk_form.errors or bulk_form.form_errors
        ),
    )


@bp.route("/catalogue/assets/<int:asset_id>", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_CATALOGUE)
def asset(asset_id: int) -> ResponseReturnValue:
    asset = db.get_or_404(Asset, asset_id)
    form = AssetForm(obj=asset)
    if form.validate_on_submit():
        try:
            catalogue.update_asset(
                asset,
                actor=current_user,
                tag=form.tag.data or "",
                serial_number=form.serial_number.data or "",
                condition_note=form.condition_note.data or "",
                now=clock.now(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Asset %(tag)s saved.", tag=asset.tag), "success")
            return redirect(url_for("catalogue.asset", asset_id=asset.id))
    return _asset_page(asset, form=form)


def _asset_page(
    asset: Asset,
    *,
    form: AssetForm | None = None,
    status_form: AssetStatusForm | None = None,
    retire_form: RetireAssetForm | None = None,
) -> ResponseReturnValue:
    if status_form is None:
        target = (
            AssetStatus.MAINTENANCE
            if asset.status is AssetStatus.AVAILABLE
            else AssetStatus.AVAILABLE
        )
        status_form = AssetStatusForm(formdata=None, status=target)
    history = audit.history("asset", asset.id)
    return render_template(
        "catalogue/asset.html",
        asset=asset,
        form=form or AssetForm(formdata=None, obj=asset),
        status_form=status_form,
        retire_form=retire_form or RetireAssetForm(formdata=None),
        holds=catalogue.upcoming_holds([asset.id], now=clock.now()),
        history=history,
        actors=user_names(event.actor_id for event in history),
        describe=describe_event,
    )


@bp.route("/catalogue/assets/<int:asset_id>/status", methods=["POST"])
@permission_required(Permission.MANAGE_CATALOGUE)
def asset_status(asset_id: int) -> ResponseReturnValue:
    asset = db.get_or_404(Asset, asset_id)
    retiring = "retire" in request.form
    form: AssetStatusForm | RetireAssetForm = RetireAssetForm() if retiring else AssetStatusForm()
    if form.validate():
        if isinstance(form, RetireAssetForm):
            status, note = AssetStatus.RETIRED, form.retire_note.data or ""
        else:
            status, note = form.status.data, form.note.data or ""
        old = asset.status
        try:
            holds = catalogue.set_asset_status(
                asset, actor=current_user, status=status, note=note, now=clock.now()
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc, rename={"note": "retire_note"} if retiring else None)
        else:
            db.session.commit()
            flash(
                _(
                    "%(tag)s: %(old)s → %(new)s.",
                    tag=asset.tag,
                    old=ASSET_STATUS_LABELS[old],
                    new=ASSET_STATUS_LABELS[status],
                ),
                "success",
            )
            if holds:
                flash(
                    _(
                        "Upcoming reservations still hold this asset: swap it for another one "
                        "at the lending desk. They are listed on this page."
                    ),
                    "warning",
                )
            return redirect(url_for("catalogue.asset", asset_id=asset.id))
    if isinstance(form, RetireAssetForm):
        return _asset_page(asset, retire_form=form)
    return _asset_page(asset, status_form=form)


def describe_event(event: audit.AuditEvent) -> str:
    """One sentence for an asset's history."""
    details = event.details or {}

    def label(value: Any) -> str:
        if value in AssetStatus._value2member_map_:
            return str(ASSET_STATUS_LABELS[AssetStatus(value)])
        return "?"

    match event.action:
        case "asset.created":
            return _("Added with asset tag %(tag)s", tag=details.get("tag", "?"))
        case "asset.status_changed":
            sentence = _(
                "Status changed from %(old)s to %(new)s",
                old=label(details.get("old")),
                new=label(details.get("new")),
            )
            if details.get("note"):
                sentence += ": " + str(details["note"])
            return sentence
        case "asset.changed":
            changed = details.get("changes", {})
            if "tag" in changed:
                return _(
                    "Details changed; asset tag %(old)s became %(new)s",
                    old=changed["tag"][0],
                    new=changed["tag"][1],
                )
            return _("Details changed")
    return event.action


# Kits


def _kit_form(kit: Kit | None = None) -> KitForm:
    if kit is not None:
        data = {
            "name": kit.name,
            "description": kit.description,
            "components": [
                {"equipment_type": c.equipment_type_id, "quantity": c.quantity}
                for c in kit.components
            ],
        }
        form = KitForm(data=data)
    else:
        form = KitForm()
    in_kit = {c.equipment_type_id for c in kit.components} if kit is not None else set()
    choices = [SelectChoice("", _("(none)"))]
    for equipment_type in catalogue.all_types():
        if equipment_type.is_retired and equipment_type.id not in in_kit:
            continue
        label = equipment_type.name
        if equipment_type.is_retired:
            label = _("%(name)s (retired)", name=equipment_type.name)
        choices.append(SelectChoice(str(equipment_type.id), label))
    form.set_type_choices(choices)
    return form


@bp.route("/catalogue/kits/new", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_CATALOGUE)
def new_kit() -> ResponseReturnValue:
    form = _kit_form()
    if form.validate_on_submit():
        try:
            kit = catalogue.create_kit(
                actor=current_user,
                name=form.name.data or "",
                description=form.description.data or "",
                components=form.component_rows(),
                now=clock.now(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc, rename={"components": ""})
        else:
            db.session.commit()
            flash(_("Kit “%(name)s” added.", name=kit.name), "success")
            return redirect(url_for("catalogue.kit", kit_id=kit.id))
    return render_template("catalogue/kit.html", form=form, kit=None)


@bp.route("/catalogue/kits/<int:kit_id>", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_CATALOGUE)
def kit(kit_id: int) -> ResponseReturnValue:
    kit = db.get_or_404(Kit, kit_id)
    form = _kit_form(kit)
    if form.validate_on_submit():
        try:
            catalogue.update_kit(
                kit,
                actor=current_user,
                name=form.name.data or "",
                description=form.description.data or "",
                components=form.component_rows(),
                now=clock.now(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc, rename={"components": ""})
        else:
            db.session.commit()
            flash(_("Kit “%(name)s” saved.", name=kit.name), "success")
            return redirect(url_for("catalogue.kit", kit_id=kit.id))
    return render_template("catalogue/kit.html", form=form, kit=kit)


@bp.route("/catalogue/kits/<int:kit_id>/retire", methods=["POST"])
@permission_required(Permission.MANAGE_CATALOGUE)
def retire_kit(kit_id: int) -> ResponseReturnValue:
    kit = db.get_or_404(Kit, kit_id)
    try:
        catalogue.retire_kit(kit, actor=current_user, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(
            _("Kit “%(name)s” is retired: it can no longer be reserved.", name=kit.name), "success"
        )
    return redirect(url_for("catalogue.kit", kit_id=kit_id))


@bp.route("/catalogue/kits/<int:kit_id>/restore", methods=["POST"])
@permission_required(Permission.MANAGE_CATALOGUE)
def restore_kit(kit_id: int) -> ResponseReturnValue:
    kit = db.get_or_404(Kit, kit_id)
    try:
        catalogue.restore_kit(kit, actor=current_user, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Kit “%(name)s” can be reserved again.", name=kit.name), "success")
    return redirect(url_for("catalogue.kit", kit_id=kit_id))


# Qualifications


@bp.route("/catalogue/qualifications", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_CATALOGUE)
def qualifications() -> ResponseReturnValue:
    form = QualificationForm()
    form.user.choices = [
        SelectChoice("", _("Choose a borrower")),
        *(
            SelectChoice(str(user.id), f"{user.name} ({user.email})")
            for user in catalogue.active_users()
        ),
    ]
    if form.validate_on_submit():
        try:
            qualification, renewed = catalogue.add_qualification(
                actor=current_user,
                user_id=form.user.data,
                kind=form.kind.data or "",
                valid_until=form.valid_until.data,
                note=form.note.data or "",
                now=clock.now(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            message = (
                _(
                    "“%(kind)s” of %(name)s renewed.",
                    kind=qualification.kind,
                    name=qualification.user.name,
                )
                if renewed
                else _(
                    "“%(kind)s” recorded for %(name)s.",
                    kind=qualification.kind,
                    name=qualification.user.name,
                )
            )
            flash(message, "success")
            return redirect(url_for("catalogue.qualifications"))
    filters = QualificationFilterForm(request.args)
    needle = (filters.q.data or "") if filters.validate() else ""
    page = db.paginate(
        catalogue.qualifications_query(needle),
        page=page_number(),
        per_page=QUALIFICATIONS_PER_PAGE,
        error_out=False,
    )
    return render_template(
        "catalogue/qualifications.html",
        form=form,
        filters=filters,
        page=page,
        checkers=user_names(q.checked_by_id for q in page.items),
        kinds=catalogue.qualification_kinds(),
    )


@bp.route("/catalogue/qualifications/<int:qualification_id>/remove", methods=["POST"])
@permission_required(Permission.MANAGE_CATALOGUE)
def remove_qualification(qualification_id: int) -> ResponseReturnValue:
    qualification = db.get_or_404(Qualification, qualification_id)
    kind, name = qualification.kind, qualification.user.name
    catalogue.remove_qualification(qualification, actor=current_user, now=clock.now())
    db.session.commit()
    flash(_("“%(kind)s” of %(name)s removed.", kind=kind, name=name), "success")
    return redirect(url_for("catalogue.qualifications"))
