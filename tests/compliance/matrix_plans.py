"""Authorisation rows for the compliance routes (plans)."""

from __future__ import annotations

from tests.matrix import Row

ROWS: dict[str, list[Row]] = {}
