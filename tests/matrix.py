"""Shared pieces of the authorisation matrix (tests/test_authorization_matrix.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("anonymous", "teacher", "staff", "manager")
LOGIN = 302  # anonymous users are sent to the login page


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expect: dict[str, int]
    data: dict[str, str] = field(default_factory=dict)


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def logged_in(status: int) -> dict[str, int]:
    return {"anonymous": LOGIN, "teacher": status, "staff": status, "manager": status}


def managers_only(status: int) -> dict[str, int]:
    return {"anonymous": LOGIN, "teacher": 403, "staff": 403, "manager": status}


def staff_only(status: int) -> dict[str, int]:
    """Lab staff may; teachers and managers may not."""
    return {"anonymous": LOGIN, "teacher": 403, "staff": status, "manager": 403}


def staff_and_managers(status: int) -> dict[str, int]:
    """Read access for staff and managers (all reservations, schedules)."""
    return {"anonymous": LOGIN, "teacher": 403, "staff": status, "manager": status}
