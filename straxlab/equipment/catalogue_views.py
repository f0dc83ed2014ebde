"""Placeholder: filled in by the catalogue views work."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from straxlab.auth.access import permission_required
from straxlab.auth.rules import Permission

bp = Blueprint("catalogue", __name__)


@bp.route("/catalogue")
@permission_required(Permission.MANAGE_CATALOGUE)
def index() -> ResponseReturnValue:
    return "placeholder"
