"""Placeholder: filled in by the equipment views work."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from straxlab.auth.access import permission_required
from straxlab.auth.rules import Permission

bp = Blueprint("equipment", __name__)


@bp.route("/equipment")
@permission_required(Permission.RESERVE)
def catalogue() -> ResponseReturnValue:
    return "placeholder"


@bp.route("/reservations")
@permission_required(Permission.RESERVE)
def mine() -> ResponseReturnValue:
    return "placeholder"
