"""Keep secrets that travel in URLs (feed tokens, password-reset links) out of the logs.

Areas register a masker (a pure ``str -> str``) with :func:`mask_in_logs`; the filter runs
every masker over each record of the access loggers, where werkzeug and gunicorn write their
request lines.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

Masker = Callable[[str], str]

# The access logs of the development server and of gunicorn; the app adds its own logger.
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")
_maskers: list[Masker] = []


def mask_in_logs(masker: Masker) -> None:
    """Apply ``masker`` to every logged line from now on (once, however often registered)."""
    if masker not in _maskers:
        _maskers.append(masker)


def masked(text: str) -> str:
    for masker in _maskers:
        text = masker(text)
    return text


class SecretMaskingFilter(logging.Filter):
    """Rewrites a record's message with every registered secret masked; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # A record whose arguments do not fit its format: leave it to the handler.
            return True
        hidden = masked(message)
        if hidden != message:
            record.msg = hidden
            record.args = None
        return True


def install(names: Iterable[str] = ()) -> None:
    """Put the filter on the access loggers and ``names`` (once each, however often called)."""
    for name in (*ACCESS_LOGGERS, *names):
        logger = logging.getLogger(name)
        if not any(isinstance(f, SecretMaskingFilter) for f in logger.filters):
            logger.addFilter(SecretMaskingFilter())
