"""Compliance reports for a period and department: CSV, XLSX, printable (blueprint `reports`)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/compliance/reports")
