"""The base form: WTForms' own messages are translated from straxlab's catalogue too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from flask_babel import get_translations, lazy_ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, FieldList
from wtforms.validators import ValidationError


class _CatalogueTranslations:
    """WTForms asks its ``Meta`` for gettext/ngettext; answer from the app's catalogue."""

    def gettext(self, string: str) -> str:
        return str(get_translations().ugettext(string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return str(get_translations().ungettext(singular, plural, n))


# flask_wtf ships no type hints, so mypy sees FlaskForm as Any.
class Form(FlaskForm):  # type: ignore[misc]
    class Meta:
        def get_translations(self, form: Any) -> _CatalogueTranslations:
            return _CatalogueTranslations()


class RowList(FieldList):  # type: ignore[misc]
    """A FieldList that reads only ASCII row numbers from the posted names.

    WTForms accepts any Unicode digit ("rows-²-kind") and then fails to turn it into a
    number, which would be a server error instead of an ignored field.
    """

    def _extract_indices(self, prefix: str, formdata: Any) -> Iterator[int]:
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = key[offset:].split(self._field_separator, 1)[0]
                if index.isascii() and index.isdigit() and len(index) < 6:
                    yield int(index)


# Dates outside these years mean nothing here (and near year 9999 they overflow).
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)


def within_years(form: Form, field: DateField) -> None:
    """A validator for any date a user types: it lies in the years 2000 to 2100."""
    if field.data is not None and not FIRST_DAY <= field.data <= LAST_DAY:
        raise ValidationError(_l("Choose a date in the years 2000 to 2100."))


def strip_text(value: Any) -> Any:
    """A filter: surrounding white space of typed text is never meant."""
    return value.strip() if isinstance(value, str) else value


# WTForms' built-in messages that straxlab forms can show; listed so that extraction puts
# them in the catalogue (and tests/test_i18n.py demands their translation).
WTFORMS_MESSAGES = (
    _l("This field is required."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid date value."),
    _l("Not a valid time value."),
    _l("Not a valid datetime value."),
    _l("Invalid email address."),
    _l("Invalid URL."),
    _l("Field must be equal to %(other_name)s."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    lazy_ngettext(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
        1,
    ),
    lazy_ngettext(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
        1,
    ),
    lazy_ngettext(
        "Field must be exactly %(max)d character long.",
        "Field must be exactly %(max)d characters long.",
        1,
    ),
)
