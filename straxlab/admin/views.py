from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from straxlab.admin.forms import (
    SETTING_GROUPS,
    UserFilterForm,
    UserForm,
    field_name,
    settings_form,
)
from straxlab.auth import services
from straxlab.auth.access import permission_required
from straxlab.auth.forms import ROLE_LABELS
from straxlab.auth.models import User
from straxlab.auth.queries import user_names
from straxlab.auth.rules import Permission, Role
from straxlab.core import audit, clock
from straxlab.core import settings as core_settings
from straxlab.core.errors import DomainError
from straxlab.core.web import page_number, show_error
from straxlab.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 25


@bp.route("/users")
@permission_required(Permission.MANAGE_USERS)
def users() -> ResponseReturnValue:
    filters = UserFilterForm(request.args)
    query = sa.select(User).order_by(User.name, User.id)
    if filters.validate():
        if filters.q.data:
            needle = filters.q.data.strip().lower()
            query = query.where(
                sa.or_(
                    sa.func.lower(User.name).contains(needle, autoescape=True),
                    User.email.contains(needle, autoescape=True),
                )
            )
        if filters.role.data:
            query = query.where(User.role == Role(filters.role.data))
        if filters.status.data:
            query = query.where(User.is_active.is_(filters.status.data == "active"))
    page = db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)
    return render_template("admin/users.html", page=page, filters=filters)


@bp.route("/users/new", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_USERS)
def new_user() -> ResponseReturnValue:
    form = UserForm(role=Role.TEACHER)
    if form.validate_on_submit():
        try:
            user, temporary = services.create_user(
                actor=current_user,
                email=form.email.data or "",
                name=form.name.data or "",
                role=form.role.data,
                now=clock.now(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            return _show_temporary_password(user, temporary or "", created=True)
    return render_template("admin/user_new.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_USERS)
def user(user_id: int) -> ResponseReturnValue:
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user)
    if form.validate_on_submit():
        try:
            services.update_user(
                current_user,
                user,
                name=form.name.data or "",
                email=form.email.data or "",
                role=form.role.data,
                now=clock.now(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("The account of %(name)s has been saved.", name=user.name), "success")
            return redirect(url_for("admin.user", user_id=user.id))
    history = audit.history("user", user.id)
    actors = user_names(event.actor_id for event in history)
    return render_template(
        "admin/user.html",
        user=user,
        form=form,
        history=history,
        actors=actors,
        audit_label=describe_event,
    )


def describe_event(event: audit.AuditEvent) -> str:
    """One sentence for the account history."""
    details = event.details or {}

    def role(value: str | None) -> str:
        return str(ROLE_LABELS[Role(value)]) if value in Role._value2member_map_ else "?"

    match event.action:
        case "user.created":
            return _("Account created with the role %(role)s", role=role(details.get("role")))
        case "user.role_changed":
            return _(
                "Role changed from %(old)s to %(new)s",
                old=role(details.get("old")),
                new=role(details.get("new")),
            )
        case "user.email_changed":
            return _(
                "E-mail address changed from %(old)s to %(new)s",
                old=details.get("old", "?"),
                new=details.get("new", "?"),
            )
        case "user.deactivated":
            return _("Deactivated")
        case "user.reactivated":
            return _("Reactivated")
        case "user.temporary_password_set":
            return _("Temporary password set")
        case "user.password_changed":
            return _("Password changed by the user")
        case "user.password_reset":
            return _("New password chosen through an e-mailed reset link")
        case "user.feed_token_created":
            return _("Calendar feed links made")
        case "user.feed_token_regenerated":
            return _("Calendar feed links made anew (the old links stopped working)")
    return event.action


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@permission_required(Permission.MANAGE_USERS)
def deactivate(user_id: int) -> ResponseReturnValue:
    user = db.get_or_404(User, user_id)
    try:
        services.deactivate(current_user, user, now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(
            _("%(name)s has been deactivated and logged out everywhere.", name=user.name),
            "success",
        )
    return redirect(url_for("admin.user", user_id=user.id))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@permission_required(Permission.MANAGE_USERS)
def reactivate(user_id: int) -> ResponseReturnValue:
    user = db.get_or_404(User, user_id)
    services.reactivate(current_user, user, now=clock.now())
    db.session.commit()
    flash(_("%(name)s can log in again.", name=user.name), "success")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.route("/users/<int:user_id>/temporary-password", methods=["POST"])
@permission_required(Permission.MANAGE_USERS)
def temporary_password(user_id: int) -> ResponseReturnValue:
    user = db.get_or_404(User, user_id)
    temporary = services.reset_to_temporary_password(current_user, user, now=clock.now())
    db.session.commit()
    return _show_temporary_password(user, temporary, created=False)


def _show_temporary_password(user: User, temporary: str, *, created: bool) -> ResponseReturnValue:
    # Shown once, in this response only: never flashed (the session cookie is only signed).
    response = make_response(
        render_template(
            "admin/temporary_password.html", user=user, temporary=temporary, created=created
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> ResponseReturnValue:
    groups = [group for group in SETTING_GROUPS if current_user.can(group.permission)]
    if not groups:
        abort(403)
    specs = [spec for group in groups for spec in core_settings.in_group(group.key)]
    form = settings_form(specs)
    if form.validate_on_submit():
        values = {spec.key: form[field_name(spec)].data for spec in specs}
        try:
            changed = core_settings.put_many(values, actor_id=current_user.id, now=clock.now())
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc, rename={spec.key: field_name(spec) for spec in specs})
        else:
            db.session.commit()
            if changed:
                flash(_("The settings have been saved."), "success")
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(url_for("admin.settings"))
    sections = [
        (group, [form[field_name(spec)] for spec in core_settings.in_group(group.key)])
        for group in groups
    ]
    return render_template("admin/settings.html", form=form, sections=sections)
