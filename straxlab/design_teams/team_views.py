"""Design teams and their members (blueprint `teams`)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("teams", __name__, url_prefix="/teams")
