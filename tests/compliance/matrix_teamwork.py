"""Authorisation rows for the compliance routes (teamwork)."""

from __future__ import annotations

from tests.matrix import Row

ROWS: dict[str, list[Row]] = {}
