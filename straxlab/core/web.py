"""Small helpers every area's views share."""

from __future__ import annotations

from collections.abc import Mapping

from flask_wtf import FlaskForm

from straxlab.core.errors import DomainError


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
