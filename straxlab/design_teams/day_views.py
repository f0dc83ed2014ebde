"""Design days: the day page, cancel, move, check-in at the door, attendance (blueprint `days`)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("days", __name__, url_prefix="/lab/days")
