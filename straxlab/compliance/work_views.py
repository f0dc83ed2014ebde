"""A team's milestones, progress log and lesson scenarios (blueprint `teamwork`)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("teamwork", __name__, url_prefix="/teams")
