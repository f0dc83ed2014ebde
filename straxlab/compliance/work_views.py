"""A team's milestones, progress log and lesson scenarios (blueprint `teamwork`).

Everyone who may read the team reads these pages (404 hides the team from anyone else);
the team's active members, its coordinator and lab staff write them (403 for the other
readers, such as managers). An object of another team than the one in the address is 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from straxlab.auth.access import permission_required
from straxlab.auth.rules import Permission
from straxlab.compliance import labels, services
from straxlab.compliance.models import (
    LessonScenario,
    Milestone,
    ProfessionalisationPlan,
    ProgressEntry,
)
from straxlab.compliance.settings import thresholds
from straxlab.compliance.work_forms import (
    MilestoneForm,
    ProgressEditForm,
    ProgressForm,
    RemoveMilestoneForm,
    ScenarioForm,
)
from straxlab.core import clock
from straxlab.core.errors import DomainError
from straxlab.core.web import page_number, show_error
from straxlab.design_teams import access
from straxlab.design_teams import services as teams
from straxlab.design_teams.models import DesignTeam
from straxlab.extensions import db

bp = Blueprint("teamwork", __name__, url_prefix="/teams")

PER_PAGE = 25


# Access ---------------------------------------------------------------------------------


def _may_contribute(team: DesignTeam) -> bool:
    return services.may_contribute(team, current_user, teams.today(clock.now()))


def _require_contributor(team: DesignTeam) -> None:
    if not _may_contribute(team):
        abort(403)


def _milestone_of(team: DesignTeam, milestone_id: int) -> Milestone:
    milestone = db.session.scalar(
        sa.select(Milestone)
        .join(ProfessionalisationPlan, ProfessionalisationPlan.id == Milestone.plan_id)
        .where(Milestone.id == milestone_id, ProfessionalisationPlan.team_id == team.id)
    )
    if milestone is None:
        abort(404)
    return milestone


def _entry_of(team: DesignTeam, entry_id: int) -> ProgressEntry:
    entry = db.session.get(ProgressEntry, entry_id)
    if entry is None or entry.team_id != team.id:
        abort(404)
    return entry


def _scenario_of(team: DesignTeam, scenario_id: int) -> LessonScenario:
    scenario = db.session.get(LessonScenario, scenario_id)
    if scenario is None or scenario.team_id != team.id:
        abort(404)
    return scenario


# Milestones -----------------------------------------------------------------------------


def evidence_link(evidence: str) -> str | None:
    """The evidence as a web address to link to, or None when it is a note."""
    return services.web_link(evidence)


@dataclass(frozen=True)
class MilestoneRow:
    milestone: Milestone
    status_kind: str
    status_label: str
    evidence_link: str | None


def milestone_rows(team: DesignTeam, on: date, grace_days: int) -> list[MilestoneRow]:
    """The team's milestones: open ones first by due date, then the done ones, latest first."""
    milestones = db.session.scalars(
        sa.select(Milestone)
        .join(ProfessionalisationPlan, ProfessionalisationPlan.id == Milestone.plan_id)
        .where(ProfessionalisationPlan.team_id == team.id)
        .order_by(Milestone.due_on, Milestone.id)
    ).all()
    open_ones = [m for m in milestones if m.done_on is None]
    done = sorted(
        (m for m in milestones if m.done_on is not None),
        key=lambda m: (m.done_on, m.id),
        reverse=True,
    )
    return [
        MilestoneRow(
            m,
            *labels.milestone_badge(m.due_on, m.done_on, on, grace_days),
            evidence_link(m.evidence),
        )
        for m in [*open_ones, *done]
    ]


def _render_milestones(
    team: DesignTeam,
    *,
    remove_form: RemoveMilestoneForm | None = None,
    remove_id: int | None = None,
) -> ResponseReturnValue:
    on = teams.today(clock.now())
    grace_days = thresholds().milestone_grace_days
    return render_template(
        "compliance/work_milestones.html",
        team=team,
        rows=milestone_rows(team, on, grace_days),
        grace_days=grace_days,
        can_write=_may_contribute(team),
        remove_form=remove_form,
        remove_id=remove_id,
    )


@bp.route("/<int:team_id>/milestones")
@permission_required(Permission.TAKE_PART)
def milestones(team_id: int) -> ResponseReturnValue:
    return _render_milestones(access.readable_team(team_id))


@bp.route("/<int:team_id>/milestones/new", methods=["GET", "POST"])
@permission_required(Permission.TAKE_PART)
def new_milestone(team_id: int) -> ResponseReturnValue:
    team = access.readable_team(team_id)
    _require_contributor(team)
    form = MilestoneForm()
    if form.validate_on_submit():
        try:
            milestone = services.add_milestone(
                team,
                title=form.title.data,
                due_on=form.due_on.data,
                done_on=form.done_on.data,
                evidence=form.evidence.data or "",
                actor=current_user,
                now=clock.now(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Milestone “%(title)s” added.", title=milestone.title), "success")
            return redirect(url_for("teamwork.milestones", team_id=team.id))
    return render_template(
        "compliance/work_milestone_form.html", team=team, form=form, milestone=None
    )


@bp.route("/<int:team_id>/milestones/<int:milestone_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.TAKE_PART)
def edit_milestone(team_id: int, milestone_id: int) -> ResponseReturnValue:
    team = access.readable_team(team_id)
    milestone = _milestone_of(team, milestone_id)
    _require_contributor(team)
    form = MilestoneForm(obj=milestone if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.change_milestone(
                milestone,
                title=form.title.data,
                due_on=form.due_on.data,
                done_on=form.done_on.data,
                evidence=form.evidence.data or "",
                actor=current_user,
                now=clock.now(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Milestone “%(title)s” saved.", title=milestone.title), "success")
            return redirect(url_for("teamwork.milestones", team_id=team.id))
    return render_template(
        "compliance/work_milestone_form.html", team=team, form=form, milestone=milestone
    )


@bp.route("/<int:team_id>/milestones/<int:milestone_id>/remove", methods=["POST"])
@permission_required(Permission.TAKE_PART)
def remove_milestone(team_id: int, milestone_id: int) -> ResponseReturnValue:
    team = access.readable_team(team_id)
    milestone = _milestone_of(team, milestone_id)
    _require_contributor(team)
    form = RemoveMilestoneForm()
    if form.validate_on_submit():
        title = milestone.title
        try:
            services.remove_milestone(milestone, actor=current_user, now=clock.now())
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Milestone “%(title)s” removed.", title=title), "success")
            return redirect(url_for("teamwork.milestones", team_id=team.id))
    return _render_milestones(team, remove_form=form, remove_id=milestone.id)


# The progress log -----------------------------------------------------------------------


def _render_progress(team: DesignTeam, form: ProgressForm | None = None) -> ResponseReturnValue:
    can_write = _may_contribute(team)
    if form is None and can_write:
        form = ProgressForm(formdata=None, data={"written_on": teams.today(clock.now())})
    query = (
        sa.select(ProgressEntry)
        .where(ProgressEntry.team_id == team.id)
        .order_by(
            ProgressEntry.written_on.desc(),
            ProgressEntry.created_at.desc(),
            ProgressEntry.id.desc(),
        )
    )
    page = db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)
    return render_template(
        "compliance/work_progress.html",
        team=team,
        page=page,
        can_write=can_write,
        form=form,
    )


@bp.route("/<int:team_id>/progress")
@permission_required(Permission.TAKE_PART)
def progress(team_id: int) -> ResponseReturnValue:
    return _render_progress(access.readable_team(team_id))


@bp.route("/<int:team_id>/progress", methods=["POST"])
@permission_required(Permission.TAKE_PART)
def add_progress(team_id: int) -> ResponseReturnValue:
    team = access.readable_team(team_id)
    _require_contributor(team)
    form = ProgressForm()
    if form.validate_on_submit():
        try:
            services.add_progress(
                team,
                written_on=form.written_on.data,
                text=form.text.data or "",
                actor=current_user,
                now=clock.now(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your entry has been added to the progress log."), "success")
            return redirect(url_for("teamwork.progress", team_id=team.id))
    return _render_progress(team, form)


@bp.route("/<int:team_id>/progress/<int:entry_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.TAKE_PART)
def edit_progress(team_id: int, entry_id: int) -> ResponseReturnValue:
    team = access.readable_team(team_id)
    entry = _entry_of(team, entry_id)
    # The log says who wrote what: nobody changes someone else's words.
    if entry.author_id != current_user.id:
        abort(403)
    form = ProgressEditForm(obj=entry if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.change_progress(
                entry,
                written_on=form.written_on.data,
                text=form.text.data or "",
                actor=current_user,
                now=clock.now(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your entry has been saved."), "success")
            return redirect(url_for("teamwork.progress", team_id=team.id))
    return render_template("compliance/work_progress_edit.html", team=team, entry=entry, form=form)


# Lesson scenarios -----------------------------------------------------------------------


@bp.route("/<int:team_id>/scenarios")
@permission_required(Permission.TAKE_PART)
def scenarios(team_id: int) -> ResponseReturnValue:
    team = access.readable_team(team_id)
    rows = db.session.scalars(
        sa.select(LessonScenario)
        .where(LessonScenario.team_id == team.id)
        # Delivered ones first, latest first; then those still being made, by title.
        .order_by(
            LessonScenario.delivered_on.is_(None),
            LessonScenario.delivered_on.desc(),
            LessonScenario.title,
            LessonScenario.id,
        )
    ).all()
    return render_template(
        "compliance/work_scenarios.html",
        team=team,
        scenarios=rows,
        can_write=_may_contribute(team),
    )


@bp.route("/<int:team_id>/scenarios/new", methods=["GET", "POST"])
@permission_required(Permission.TAKE_PART)
def new_scenario(team_id: int) -> ResponseReturnValue:
    team = access.readable_team(team_id)
    _require_contributor(team)
    form = ScenarioForm()
    if form.validate_on_submit():
        try:
            scenario = services.add_scenario(
                team, form.to_input(), actor=current_user, now=clock.now()
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Lesson scenario “%(title)s” added.", title=scenario.title), "success")
            return redirect(url_for("teamwork.scenarios", team_id=team.id))
    return render_template(
        "compliance/work_scenario_form.html", team=team, form=form, scenario=None
    )


@bp.route("/<int:team_id>/scenarios/<int:scenario_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.TAKE_PART)
def edit_scenario(team_id: int, scenario_id: int) -> ResponseReturnValue:
    team = access.readable_team(team_id)
    scenario = _scenario_of(team, scenario_id)
    _require_contributor(team)
    form = ScenarioForm(obj=scenario if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.change_scenario(scenario, form.to_input(), actor=current_user, now=clock.now())
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Lesson scenario “%(title)s” saved.", title=scenario.title), "success")
            return redirect(url_for("teamwork.scenarios", team_id=team.id))
    return render_template(
        "compliance/work_scenario_form.html", team=team, form=form, scenario=scenario
    )
