"""Authorisation rows for the compliance routes (dashboard and reports): managers only."""

from __future__ import annotations

from tests.matrix import Row, managers_only

REPORT = {"start": "2026-08-01", "end": "2027-01-31", "format": "csv", "separator": "comma"}

ROWS: dict[str, list[Row]] = {
    "compliance.dashboard": [
        Row("GET", "/compliance", managers_only(200)),
        Row("GET", "/compliance?department=Nowhere&status=purple", managers_only(200)),
    ],
    "reports.index": [
        Row("GET", "/compliance/reports", managers_only(200)),
        # An empty form shows its errors; a complete one returns the file.
        Row("POST", "/compliance/reports", managers_only(200)),
        Row("POST", "/compliance/reports", managers_only(200), REPORT),
    ],
}
