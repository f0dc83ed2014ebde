"""The lab calendar: week and month views, closures and the holiday import (blueprint `lab`)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("lab", __name__, url_prefix="/lab")
