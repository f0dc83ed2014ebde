"""Who may do what, and what makes a password acceptable. Pure: no database, no Flask."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from functools import cache
from urllib.parse import urlsplit

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 128


class Role(enum.StrEnum):
    TEACHER = "teacher"
    STAFF = "staff"
    MANAGER = "manager"


class Permission(enum.StrEnum):
    """Named rights; views and services ask for a permission, never for a role."""

    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    RESERVE = "reserve"
    MANAGE_CATALOGUE = "manage_catalogue"
    APPROVE_RESERVATIONS = "approve_reservations"
    LEND = "lend"
    VIEW_ALL_RESERVATIONS = "view_all_reservations"
    OVERRIDE_LIMITS = "override_limits"
    MANAGE_LAB_SETTINGS = "manage_lab_settings"
    # Design teams: take part (create a team, request lab days for a team one coordinates,
    # check in); run any team, approve programmes, keep the lab calendar, record attendance;
    # read every team and its attendance.
    TAKE_PART = "take_part"
    MANAGE_TEAMS = "manage_teams"
    APPROVE_PROGRAMMES = "approve_programmes"
    MANAGE_LAB_CALENDAR = "manage_lab_calendar"
    RECORD_ATTENDANCE = "record_attendance"
    VIEW_ALL_TEAMS = "view_all_teams"
    # Compliance: approve or return plans; the dashboard and reports; the thresholds.
    APPROVE_PLANS = "approve_plans"
    VIEW_COMPLIANCE = "view_compliance"
    MANAGE_COMPLIANCE = "manage_compliance"


_TEACHER: frozenset[Permission] = frozenset({Permission.RESERVE, Permission.TAKE_PART})
_STAFF: frozenset[Permission] = _TEACHER | frozenset(
    {
        Permission.MANAGE_CATALOGUE,
        Permission.APPROVE_RESERVATIONS,
        Permission.LEND,
        Permission.VIEW_ALL_RESERVATIONS,
        Permission.OVERRIDE_LIMITS,
        Permission.MANAGE_LAB_SETTINGS,
        Permission.MANAGE_TEAMS,
        Permission.APPROVE_PROGRAMMES,
        Permission.MANAGE_LAB_CALENDAR,
        Permission.RECORD_ATTENDANCE,
        Permission.VIEW_ALL_TEAMS,
    }
)
# Managers read what staff see; they do not run the desk or the catalogue.
_MANAGER: frozenset[Permission] = _TEACHER | frozenset(
    {
        Permission.MANAGE_USERS,
        Permission.VIEW_AUDIT,
        Permission.VIEW_ALL_RESERVATIONS,
        Permission.VIEW_ALL_TEAMS,
        Permission.APPROVE_PLANS,
        Permission.VIEW_COMPLIANCE,
        Permission.MANAGE_COMPLIANCE,
    }
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.TEACHER: _TEACHER,
    Role.STAFF: _STAFF,
    Role.MANAGER: _MANAGER,
}


def has_permission(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


class PasswordProblem(enum.Enum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    COMMON = "common"
    PERSONAL = "personal"
    SAME_AS_CURRENT = "same_as_current"


@cache
def common_passwords() -> frozenset[str]:
    """Frequent passwords from zxcvbn's list plus words a Dutch school sees too often."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    local = {
        "welkom123456",
        "welkomwelkom",
        "wachtwoord12",
        "wachtwoord123",
        "wachtwoord1234",
        "wachtwoord!!",
        "straxlab2026",
        "straxlab1234",
        "graafschapcollege",
        "zomer2026zomer",
        "qwertyuiop12",
        "1234567890ab",
        "geheimgeheim",
        "docent123456",
    }
    return frozenset(FREQUENCY_LISTS["passwords"]) | frozenset(local)


def password_problems(
    password: str, *, personal: Iterable[str] = (), current_hash_matches: bool = False
) -> list[PasswordProblem]:
    """Everything wrong with ``password``; an empty list means it may be used.

    ``personal`` holds the user's e-mail address and name: a password built from them
    is refused. Length counts characters, so spaces and passphrases are welcome.
    """
    problems: list[PasswordProblem] = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(PasswordProblem.TOO_SHORT)
    if len(password) > PASSWORD_MAX_LENGTH:
        problems.append(PasswordProblem.TOO_LONG)
    folded = password.casefold()
    if folded in common_passwords() or len(set(folded)) <= 2:
        problems.append(PasswordProblem.COMMON)
    personal_parts = set().union(*(_personal_parts(value) for value in personal))
    if any(part in folded for part in personal_parts):
        problems.append(PasswordProblem.PERSONAL)
    if current_hash_matches:
        problems.append(PasswordProblem.SAME_AS_CURRENT)
    return problems


def _personal_parts(value: str) -> set[str]:
    folded = value.casefold()
    local = folded.split("@", 1)[0]
    parts = {local} | set(local.replace(".", " ").replace("-", " ").replace("_", " ").split())
    parts |= set(folded.split())
    return {part for part in parts if len(part) >= 4}


def is_safe_next(target: str | None) -> bool:
    """Accept a post-login redirect only to a path on this site."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


# "/password/reset/<token>" in a logged request line: the token is a password for an hour.
_RESET_TOKEN_IN_PATH = re.compile(r"/password/reset/[^/\s?#\"']+")
MASKED_RESET_PATH = "/password/reset/***"


def mask_reset_tokens(text: str) -> str:
    """Hide password-reset tokens in a log line."""
    if "/password/reset/" not in text:
        return text
    return _RESET_TOKEN_IN_PATH.sub(MASKED_RESET_PATH, text)
