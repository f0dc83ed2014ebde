"""Read-side queries for the lending desk, the approval queue and the staff home page."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def desk_today(now: datetime) -> dict[str, Any]:
    """What the desk (staff home page) shows today (placeholder until the desk work)."""
    return {}
