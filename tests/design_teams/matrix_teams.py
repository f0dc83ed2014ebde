"""Authorisation rows for the design-team routes of blueprint `teams`."""

from __future__ import annotations

from tests.matrix import Row

ROWS: dict[str, list[Row]] = {}
