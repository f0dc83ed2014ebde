"""The professionalisation plan: view, edit, submit, decide, versions, compare, and the
managers' queue (blueprint `plans`).

Access: whoever may read the team reads its plan (others get 404, so the team stays hidden);
its members, coordinator and lab staff write and submit it (``services.may_contribute``);
managers decide on it (``services.may_decide_on``: never on a team they are in). Readers who
may not do an action get 403.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from straxlab.auth.access import permission_required
from straxlab.auth.rules import Permission
from straxlab.compliance import plan_compare, plan_queries, services
from straxlab.compliance.models import PlanVersion, ProfessionalisationPlan
from straxlab.compliance.plan_forms import (
    DRAFT,
    CompareForm,
    DecisionForm,
    PlanForm,
    SubmitPlanForm,
)
from straxlab.compliance.rules import PlanStatus
from straxlab.core import clock
from straxlab.core.errors import DomainError, InvalidRequest
from straxlab.core.web import show_error
from straxlab.design_teams import access
from straxlab.design_teams import services as teams
from straxlab.design_teams.models import DesignTeam
from straxlab.extensions import db

bp = Blueprint("plans", __name__)


def _contributed_team(team_id: int) -> DesignTeam:
    """The team, 404 if it may not be read, 403 for a reader who may not write its plan."""
    team = access.readable_team(team_id)
    if not services.may_contribute(team, current_user, teams.today(clock.now())):
        abort(403)
    return team


def _decided_team(team_id: int) -> DesignTeam:
    """The team, 404 if it may not be read, 403 for a reader who may not decide on plans."""
    team = access.readable_team(team_id)
    if not services.may_decide_on(team, current_user, clock.now()):
        abort(403)
    return team


def _to_plan(team: DesignTeam) -> ResponseReturnValue:
    return redirect(url_for("plans.plan", team_id=team.id))


# --- the plan page -----------------------------------------------------------------------


@bp.route("/teams/<int:team_id>/plan")
@permission_required(Permission.TAKE_PART)
def plan(team_id: int) -> ResponseReturnValue:
    return _render_plan(access.readable_team(team_id))


def _render_plan(
    team: DesignTeam,
    *,
    decision: DecisionForm | None = None,
    submit_form: SubmitPlanForm | None = None,
    missing: str | None = None,
) -> str:
    """The plan page with its forms as they stand (a failed one keeps its input)."""
    plan = services.plan_of(team)
    versions = services.versions(plan) if plan is not None else []
    status = plan.status if plan is not None else None
    may_contribute = services.may_contribute(team, current_user, teams.today(clock.now()))
    may_decide = services.may_decide_on(team, current_user, clock.now())
    waiting = status is PlanStatus.SUBMITTED
    return render_template(
        "compliance/plan.html",
        team=team,
        plan=plan,
        content=_working_copy(plan) if plan is not None else None,
        versions=versions,
        latest=versions[0] if versions else None,
        names=plan_queries.version_names(versions, plan.updated_by_id if plan else None),
        may_contribute=may_contribute,
        may_decide=may_decide,
        may_edit=may_contribute and not waiting,
        submit_form=(submit_form or SubmitPlanForm(formdata=None))
        if may_contribute and status in (PlanStatus.DRAFT, PlanStatus.RETURNED)
        else None,
        missing=missing,
        decision_form=(decision or DecisionForm(formdata=None)) if waiting and may_decide else None,
    )


def _working_copy(plan: ProfessionalisationPlan) -> plan_compare.PlanContent:
    return plan_compare.content_from_json(services.plan_content(plan))


# --- writing and submitting ---------------------------------------------------------------


@bp.route("/teams/<int:team_id>/plan/edit", methods=["GET", "POST"])
@permission_required(Permission.TAKE_PART)
def edit(team_id: int) -> ResponseReturnValue:
    team = _contributed_team(team_id)
    plan = services.plan_of(team)
    form = PlanForm() if request.method == "POST" else PlanForm.for_plan(plan)
    if form.validate_on_submit():
        was_approved = plan is not None and plan.status is PlanStatus.APPROVED
        try:
            services.save_plan(
                team,
                goals=form.goals.data or "",
                collaboration=form.collaboration.data or "",
                intended_scenarios=form.intended_scenarios.data or "",
                activities=form.activity_inputs(),
                actor=current_user,
                now=clock.now(),
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc, rename={"activities": ""})
        else:
            db.session.commit()
            if was_approved:
                flash(
                    _(
                        "Plan saved. It is a draft again: submit it when a manager should "
                        "approve it."
                    ),
                    "success",
                )
            else:
                flash(_("Plan saved."), "success")
            return _to_plan(team)
    if form.is_submitted():
        form.offer_empty_rows()
    versions = services.versions(plan) if plan is not None else []
    return render_template(
        "compliance/plan_edit.html",
        team=team,
        plan=plan,
        form=form,
        locked=plan is not None and plan.status is PlanStatus.SUBMITTED,
        returned=versions[0] if plan is not None and plan.status is PlanStatus.RETURNED else None,
        names=plan_queries.version_names(versions[:1]),
        max_hours=services.MAX_PLANNED_HOURS,
    )


@bp.route("/teams/<int:team_id>/plan/submit", methods=["POST"])
@permission_required(Permission.TAKE_PART)
def submit(team_id: int) -> ResponseReturnValue:
    team = _contributed_team(team_id)
    form = SubmitPlanForm()
    if not form.validate_on_submit():
        return _render_plan(team, submit_form=form)
    try:
        version = services.submit_plan(team, actor=current_user, now=clock.now())
    except InvalidRequest as exc:
        # A part is missing: say which on the plan page, with a link to fill it in.
        db.session.rollback()
        show_error(form, exc)
        return _render_plan(team, submit_form=form, missing=exc.field)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(
            _(
                "Plan submitted as version %(number)s. A manager will approve it or return it "
                "with comments.",
                number=version.number,
            ),
            "success",
        )
    return _to_plan(team)


# --- a manager's decision -----------------------------------------------------------------


@bp.route("/teams/<int:team_id>/plan/approve", methods=["POST"])
@permission_required(Permission.TAKE_PART)
def approve(team_id: int) -> ResponseReturnValue:
    return _decide(_decided_team(team_id), approving=True)


@bp.route("/teams/<int:team_id>/plan/return", methods=["POST"])
@permission_required(Permission.TAKE_PART)
def return_plan(team_id: int) -> ResponseReturnValue:
    return _decide(_decided_team(team_id), approving=False)


def _decide(team: DesignTeam, *, approving: bool) -> ResponseReturnValue:
    plan = services.plan_of(team)
    if plan is None:
        flash(_("This team has no plan to decide on yet."), "error")
        return _to_plan(team)
    form = DecisionForm()
    if form.validate_on_submit():
        comment = form.comment.data or ""
        try:
            if approving:
                version = services.approve_plan(
                    plan, comment=comment, actor=current_user, now=clock.now()
                )
            else:
                version = services.return_plan(
                    plan, comment=comment, actor=current_user, now=clock.now()
                )
        except InvalidRequest as exc:
            db.session.rollback()
            if plan.status is PlanStatus.SUBMITTED:
                show_error(form, exc)
                return _render_plan(team, decision=form)
            flash(str(services.not_waiting(plan)), "error")
            return _to_plan(team)
        except DomainError as exc:
            # Decided already (by someone else, or in another tab): the form no longer applies.
            db.session.rollback()
            flash(str(exc), "error")
            return _to_plan(team)
        db.session.commit()
        if approving:
            text = _(
                "Plan of %(team)s approved (version %(number)s).",
                team=team.name,
                number=version.number,
            )
        else:
            text = _(
                "Plan of %(team)s returned to the team with your comment (version %(number)s).",
                team=team.name,
                number=version.number,
            )
        flash(text, "success")
        return redirect(url_for("plans.queue"))
    if plan.status is not PlanStatus.SUBMITTED:
        flash(str(services.not_waiting(plan)), "error")
        return _to_plan(team)
    return _render_plan(team, decision=form)


# --- versions ----------------------------------------------------------------------------


def _versions_of(team: DesignTeam) -> tuple[ProfessionalisationPlan | None, list[PlanVersion]]:
    plan = services.plan_of(team)
    return plan, services.versions(plan) if plan is not None else []


@bp.route("/teams/<int:team_id>/plan/versions/<int:number>")
@permission_required(Permission.TAKE_PART)
def version(team_id: int, number: int) -> ResponseReturnValue:
    team = access.readable_team(team_id)
    _plan, versions = _versions_of(team)
    found = next((v for v in versions if v.number == number), None)
    if found is None:
        abort(404)
    numbers = {v.number for v in versions}
    return render_template(
        "compliance/plan_version.html",
        team=team,
        version=found,
        content=plan_compare.content_from_json(found.content),
        names=plan_queries.version_names([found]),
        previous=number - 1 if number - 1 in numbers else None,
        following=number + 1 if number + 1 in numbers else None,
    )


def _compare_args(numbers: list[int]) -> MultiDict[str, str]:
    """The query's from/to, with the defaults filled in: the latest version against the one
    before it, or the only version against the working copy."""
    newer = request.args.get("to", "").strip()
    if not newer:
        newer = str(numbers[-1]) if len(numbers) > 1 else DRAFT
    older = request.args.get("from", "").strip()
    if not older:
        if newer == DRAFT:
            older = str(numbers[-1])
        elif newer.isascii() and newer.isdigit():
            older = str(int(newer) - 1)
    return MultiDict({"from": older, "to": newer})


@bp.route("/teams/<int:team_id>/plan/compare")
@permission_required(Permission.TAKE_PART)
def compare(team_id: int) -> ResponseReturnValue:
    team = access.readable_team(team_id)
    plan, versions = _versions_of(team)
    if plan is None or not versions:
        return render_template("compliance/plan_compare.html", team=team, form=None, parts=None)
    numbers = sorted(v.number for v in versions)
    form = CompareForm(_compare_args(numbers))
    form.offer(numbers, working_copy=True)
    parts = None
    if form.validate():
        by_number = {str(v.number): v for v in versions}

        def content(choice: str) -> plan_compare.PlanContent:
            if choice == DRAFT:
                return _working_copy(plan)
            return plan_compare.content_from_json(by_number[choice].content)

        parts = plan_compare.compare(content(form.older.data), content(form.newer.data))
    else:
        form.form_errors.append(_("Choose two versions of this plan to compare."))
    return render_template(
        "compliance/plan_compare.html",
        team=team,
        form=form,
        parts=parts,
        older=form.older.data,
        newer=form.newer.data,
    )


# --- the managers' queue ------------------------------------------------------------------


@bp.route("/compliance/plans")
@permission_required(Permission.APPROVE_PLANS)
def queue() -> ResponseReturnValue:
    return render_template("compliance/plans_queue.html", queue=plan_queries.queue(clock.now()))
