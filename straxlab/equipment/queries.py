"""Read-side queries for the teacher-facing lending pages (catalogue, my reservations)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from straxlab.auth.models import User


def teacher_home(user: User, now: datetime) -> dict[str, Any]:
    """What the teacher's home page shows about lending (placeholder until the views work)."""
    return {}
