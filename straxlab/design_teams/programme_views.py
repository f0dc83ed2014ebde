"""Programme requests, the approval queue and approval with exceptions (blueprint `programmes`)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("programmes", __name__, url_prefix="/programmes")
