"""The managers' compliance dashboard (blueprint `compliance`)."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from straxlab.auth.access import permission_required
from straxlab.auth.rules import Permission

bp = Blueprint("compliance", __name__, url_prefix="/compliance")


@bp.route("")
@permission_required(Permission.VIEW_COMPLIANCE)
def dashboard() -> ResponseReturnValue:
    return "TODO"
