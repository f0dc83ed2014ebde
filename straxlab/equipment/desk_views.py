"""Placeholder: filled in by the desk views work."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from straxlab.auth.access import permission_required
from straxlab.auth.rules import Permission

bp = Blueprint("desk", __name__)


@bp.route("/desk")
@permission_required(Permission.LEND)
def index() -> ResponseReturnValue:
    return "placeholder"


@bp.route("/desk/approvals")
@permission_required(Permission.APPROVE_RESERVATIONS)
def approvals() -> ResponseReturnValue:
    return "placeholder"


@bp.route("/desk/reservations")
@permission_required(Permission.VIEW_ALL_RESERVATIONS)
def reservations() -> ResponseReturnValue:
    return "placeholder"
