"""The professionalisation plan: view, edit, submit, versions, and the managers' queue."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from straxlab.auth.access import permission_required
from straxlab.auth.rules import Permission

bp = Blueprint("plans", __name__)


@bp.route("/compliance/plans")
@permission_required(Permission.APPROVE_PLANS)
def queue() -> ResponseReturnValue:
    return "TODO"
