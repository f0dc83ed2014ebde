"""Design teams and their members (blueprint `teams`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from straxlab.auth.access import permission_required
from straxlab.auth.rules import Permission
from straxlab.core import clock
from straxlab.core.errors import DomainError
from straxlab.core.web import page_number, show_error
from straxlab.design_teams import access, services, team_queries
from straxlab.design_teams.models import DesignTeam, Membership
from straxlab.design_teams.team_forms import (
    AddMemberForm,
    EndMembershipForm,
    TeamFilterForm,
    TeamForm,
)
from straxlab.extensions import db

bp = Blueprint("teams", __name__, url_prefix="/teams")

PER_PAGE = 25


@dataclass(frozen=True)
class PageSection:
    """A section of the team page: the template to include and what it shows."""

    template: str
    context: dict[str, Any]


# Sections that areas above this one add to the team page (compliance adds its traffic
# light, plan and log), so this area never imports them: each gets the team and ``now`` and
# returns a section, or None to show nothing.
TEAM_PAGE_SECTIONS: list[Callable[[DesignTeam, datetime], PageSection | None]] = []


def _runnable_team(team_id: int) -> DesignTeam:
    """The team, 404 if it may not be read, 403 if it may be read but not run."""
    team = db.get_or_404(DesignTeam, team_id)
    access.require_run(team)
    return team


# The list -------------------------------------------------------------------------------


@bp.route("")
@permission_required(Permission.TAKE_PART)
def index() -> ResponseReturnValue:
    filters = TeamFilterForm(request.args)
    name = (filters.q.data or "") if filters.validate() else ""
    query = team_queries.visible_teams(current_user, name=name)
    page = db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)
    now = clock.now()
    return render_template(
        "teams/index.html",
        page=page,
        rows=team_queries.team_rows(page.items, services.today(now)),
        filters=filters,
        sees_all=current_user.can(Permission.VIEW_ALL_TEAMS),
        can_create=current_user.can(Permission.TAKE_PART),
    )


# A new team -----------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@permission_required(Permission.TAKE_PART)
def new() -> ResponseReturnValue:
    form = TeamForm()
    picks_coordinator = current_user.can(Permission.MANAGE_TEAMS)
    if picks_coordinator:
        people = team_queries.active_users()
        form.offer_coordinators(people)
        if not form.is_submitted():
            form.coordinator.data = current_user.id
    else:
        del form.coordinator
    if form.validate_on_submit():
        coordinator = current_user
        if picks_coordinator:
            coordinator = next(user for user in people if user.id == form.coordinator.data)
        try:
            team = services.create_team(
                name=form.name.data,
                theme=form.theme.data,
                department=form.department.data or "",
                coordinator=coordinator,
                actor=current_user,
                now=clock.now(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Team %(name)s created. Now add its members.", name=team.name), "success")
            return redirect(url_for("teams.team", team_id=team.id))
    return render_template("teams/new.html", form=form)


# One team -------------------------------------------------------------------------------


def _render_team(
    team: DesignTeam,
    *,
    add_form: AddMemberForm | None = None,
    end_form: EndMembershipForm | None = None,
    end_id: int | None = None,
) -> ResponseReturnValue:
    now = clock.now()
    on = services.today(now)
    return render_template(
        "teams/team.html",
        team=team,
        info=team_queries.team_page(team, on=on, now=now),
        can_run=services.may_run(team, current_user),
        add_form=add_form or AddMemberForm(formdata=None),
        end_form=end_form,
        end_id=end_id,
        now=now,
        sections=[
            section
            for make_section in TEAM_PAGE_SECTIONS
            if (section := make_section(team, now)) is not None
        ],
    )


@bp.route("/<int:team_id>")
@permission_required(Permission.TAKE_PART)
def team(team_id: int) -> ResponseReturnValue:
    return _render_team(access.readable_team(team_id))


@bp.route("/<int:team_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.TAKE_PART)
def edit(team_id: int) -> ResponseReturnValue:
    team = _runnable_team(team_id)
    now = clock.now()
    people = [
        membership.user for membership in services.active_members(team.id, services.today(now))
    ]
    if all(user.id != team.coordinator_id for user in people):
        people.insert(0, team.coordinator)
    form = TeamForm(obj=team if request.method == "GET" else None)
    form.offer_coordinators(people)
    if not form.is_submitted():
        form.coordinator.data = team.coordinator_id
    if form.validate_on_submit():
        coordinator = next(user for user in people if user.id == form.coordinator.data)
        try:
            services.change_team(
                team,
                name=form.name.data,
                theme=form.theme.data,
                department=form.department.data or "",
                coordinator=coordinator,
                actor=current_user,
                now=now,
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Team details saved."), "success")
            return redirect(url_for("teams.team", team_id=team.id))
    return render_template("teams/edit.html", team=team, form=form)


@bp.route("/<int:team_id>/members", methods=["POST"])
@permission_required(Permission.TAKE_PART)
def add_member(team_id: int) -> ResponseReturnValue:
    team = _runnable_team(team_id)
    form = AddMemberForm()
    if form.validate_on_submit():
        user = team_queries.active_user_by_email(form.email.data)
        if user is None:
            form.email.errors = [_("No active user with this e-mail address.")]
        else:
            try:
                services.add_member(team, user, actor=current_user, now=clock.now())
            except DomainError as exc:
                db.session.rollback()
                show_error(form, exc, rename={"user": "email"})
            else:
                db.session.commit()
                flash(_("%(name)s is now a member of the team.", name=user.name), "success")
                return redirect(url_for("teams.team", team_id=team.id))
    return _render_team(team, add_form=form)


@bp.route("/<int:team_id>/members/<int:membership_id>/end", methods=["POST"])
@permission_required(Permission.TAKE_PART)
def end_membership(team_id: int, membership_id: int) -> ResponseReturnValue:
    team = access.readable_team(team_id)
    membership = db.get_or_404(Membership, membership_id)
    if membership.team_id != team.id:
        abort(404)
    own = membership.user_id == current_user.id
    if not own and not services.may_run(team, current_user):
        abort(403)
    form = EndMembershipForm()
    if form.validate_on_submit():
        try:
            services.end_membership(membership, actor=current_user, now=clock.now())
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            if own:
                flash(_("You have left the team."), "success")
            else:
                flash(_("%(name)s is no longer a member.", name=membership.user.name), "success")
            return redirect(url_for("teams.team", team_id=team.id))
    return _render_team(team, end_form=form, end_id=membership.id)
