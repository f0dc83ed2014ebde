"""Small helpers every area's views share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from werkzeug.routing import IntegerConverter

from straxlab.core.errors import DomainError

# PostgreSQL's integer; SQLite's is wider, but ids never get near either.
MAX_ID = 2**31 - 1
MAX_PAGE = 10_000


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` that refuses numbers the database cannot hold (a 404, not a 500)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def page_number() -> int:
    """The ``page`` query parameter as a sane page number (1 when absent or invalid)."""
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), MAX_PAGE)


def show_error(
    form: FlaskForm, error: DomainError, *, rename: Mapping[str, str] | None = None
) -> None:
    """Put a domain error next to the field it concerns, or above the form."""
    field_name = (rename or {}).get(error.field or "", error.field)
    field = form._fields.get(field_name) if field_name else None
    if field is not None:
        # WTForms keeps errors in a tuple until validate() runs on that field.
        field.errors = [*field.errors, str(error)]
    else:
        form.form_errors.append(str(error))
