"""Domain errors raised by services; views turn them into messages, the API into problems."""

from __future__ import annotations


class DomainError(Exception):
    """A use case refused; ``message`` is a (lazily) translated sentence for the user."""

    status = 400

    def __init__(self, message: object, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        # The form field the message belongs to, when there is one.
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class InvalidRequest(DomainError):
    """The input breaks a rule (a date in the past, a password that is too short)."""

    status = 400


class NotAllowed(DomainError):
    """The acting user may not do this to this object."""

    status = 403


class NotFound(DomainError):
    """The object does not exist (or the user may not know it exists)."""

    status = 404


class Conflict(DomainError):
    """The change clashes with the current state (already booked, capacity full)."""

    status = 409
