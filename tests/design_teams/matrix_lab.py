"""Authorisation rows for the design-team routes of blueprint `lab`."""

from __future__ import annotations

from tests.matrix import Row

ROWS: dict[str, list[Row]] = {}
