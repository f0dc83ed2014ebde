"""Keep feed tokens out of the logs: request lines show ``/calendar/***/`` instead."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from straxlab.feeds.rules import mask_tokens

# The access logs of the development server and of gunicorn; the app adds its own logger.
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")


class TokenMaskingFilter(logging.Filter):
    """Rewrites a record's message with every feed token masked; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # A record whose arguments do not fit its format: leave it to the handler.
            return True
        masked = mask_tokens(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True


def install(names: Iterable[str] = ()) -> None:
    """Put the filter on the access loggers and ``names`` (once each, however often called).

    A logger's filters see the records logged on that logger, which is where werkzeug and
    gunicorn write their request lines.
    """
    for name in (*ACCESS_LOGGERS, *names):
        logger = logging.getLogger(name)
        if not any(isinstance(f, TokenMaskingFilter) for f in logger.filters):
            logger.addFilter(TokenMaskingFilter())
