"""Account use cases, shared by the web views, the CLI and (later) the API."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from straxlab.auth import passwords
from straxlab.auth.models import User
from straxlab.auth.rules import PasswordProblem, Role, password_problems
from straxlab.config import LANGUAGES
from straxlab.core import audit
from straxlab.core.errors import Conflict, InvalidRequest, NotAllowed
from straxlab.extensions import db

LOGIN_FAILED = _l("The e-mail address or password is incorrect.")

PASSWORD_MESSAGES = {
    PasswordProblem.TOO_SHORT: _l("Use at least 12 characters; a short sentence works well."),
    PasswordProblem.TOO_LONG: _l("Use at most 128 characters."),
    PasswordProblem.COMMON: _l("This password is too common; choose one that is harder to guess."),
    PasswordProblem.PERSONAL: _l("Do not use your name or e-mail address in your password."),
    PasswordProblem.SAME_AS_CURRENT: _l("Choose a password that differs from your current one."),
}


def password_errors(
    password: str, *, personal: Sequence[str], current_hash: str | None = None
) -> list[str]:
    """Translated reasons why ``password`` may not be used (empty when it may)."""
    same = current_hash is not None and passwords.verify_password(current_hash, password)
    problems = password_problems(password, personal=personal, current_hash_matches=same)
    return [str(PASSWORD_MESSAGES[problem]) for problem in problems]


def normalise_email(raw: str) -> str:
    """The canonical, lower-case form of an e-mail address, or ``InvalidRequest``."""
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise InvalidRequest(
            _l("Enter a valid e-mail address, such as name@school.nl."), field="email"
        ) from None
    return result.normalized.lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def check_credentials(email: str, password: str) -> User:
    """The active user with these credentials; one message for every kind of failure.

    Only reads: the caller may run it outside a write transaction (it takes ~0.1 s).
    """
    user = find_by_email(email)
    valid = passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        raise InvalidRequest(LOGIN_FAILED)
    return user


def record_login(user: User, password: str, *, now: datetime) -> None:
    """Note the login, and upgrade the stored hash if the hashing cost was raised since."""
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = now


def authenticate(email: str, password: str, *, now: datetime) -> User:
    """Check the credentials and record the login in one go (CLI, API, tests)."""
    user = check_credentials(email, password)
    record_login(user, password, now=now)
    return user


def end_all_sessions(user: User) -> None:
    """Invalidate every copy of every session cookie this user has."""
    user.session_version += 1


def change_password(user: User, current: str, new: str, *, now: datetime) -> None:
    if not passwords.verify_password(user.password_hash, current):
        raise InvalidRequest(_l("Your current password is not correct."), field="current")
    _set_password(user, new)
    user.must_change_password = False
    end_all_sessions(user)
    _audit("password_changed", user, user, now=now)


def _set_password(user: User, new: str) -> None:
    errors = password_errors(new, personal=(user.email, user.name), current_hash=user.password_hash)
    if errors:
        raise InvalidRequest(" ".join(errors), field="password")
    user.password_hash = passwords.hash_password(new)


def set_locale(user: User, locale: str) -> None:
    if locale not in LANGUAGES:
        raise InvalidRequest(_l("This language is not available."))
    user.locale = locale


def update_profile(user: User, *, name: str) -> None:
    name = name.strip()
    if not name:
        raise InvalidRequest(_l("Enter a name."), field="name")
    user.name = name


def generate_temporary_password() -> str:
    """A random password of four groups that is easy to read out and type once."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def create_user(
    *,
    actor: User | None,
    email: str,
    name: str,
    role: Role,
    now: datetime,
    password: str | None = None,
    locale: str = "nl",
    via: str | None = None,
) -> tuple[User, str | None]:
    """Create an account; without ``password`` it gets a temporary one, returned once."""
    email = normalise_email(email)
    name = name.strip()
    if not name:
        raise InvalidRequest(_l("Enter a name."), field="name")
    if find_by_email(email) is not None:
        raise Conflict(_l("There is already an account with this e-mail address."), field="email")
    user = User(email=email, name=name, role=role, locale=locale, created_at=now, session_version=1)
    temporary = None
    if password is None:
        temporary = generate_temporary_password()
        user.password_hash = passwords.hash_password(temporary)
        user.must_change_password = True
    else:
        _set_password(user, password)
        user.must_change_password = False
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:
        # Someone created the same address between our check and this insert.
        raise Conflict(
            _l("There is already an account with this e-mail address."), field="email"
        ) from None
    _audit("created", actor, user, now=now, email=email, role=role.value, **_origin(via))
    return user, temporary


def _audit(action: str, actor: User | None, user: User, *, now: datetime, **details: Any) -> None:
    audit.record(
        f"user.{action}",
        actor_id=actor.id if actor else None,
        object_type="user",
        object_id=user.id,
        now=now,
        **details,
    )


def _origin(via: str | None) -> dict[str, str]:
    """Audit details for changes made outside the web interface (``via="cli:<os user>"``)."""
    return {"via": via} if via else {}


def update_user(
    actor: User, user: User, *, name: str, email: str, role: Role, now: datetime
) -> None:
    """A manager corrects a user's name, e-mail address or role."""
    email = normalise_email(email)
    other = find_by_email(email)
    if other is not None and other.id != user.id:
        raise Conflict(_l("There is already an account with this e-mail address."), field="email")
    update_profile(user, name=name)
    if email != user.email:
        _audit("email_changed", actor, user, now=now, old=user.email, new=email)
        user.email = email
    change_role(actor, user, role, now=now)


def _active_managers() -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(User)
        .where(User.role == Role.MANAGER, User.is_active.is_(True))
    )
    return db.session.scalar(query) or 0


def _guard_last_manager(user: User) -> None:
    if user.role is Role.MANAGER and user.is_active and _active_managers() <= 1:
        raise NotAllowed(
            _l("The lab needs at least one active manager; appoint another one first.")
        )


def change_role(actor: User, user: User, role: Role, *, now: datetime) -> None:
    if role is user.role:
        return
    _guard_last_manager(user)
    _audit("role_changed", actor, user, now=now, old=user.role.value, new=role.value)
    user.role = role
    # A changed role changes what the open sessions may do: make them log in again.
    end_all_sessions(user)


def deactivate(actor: User | None, user: User, *, now: datetime, via: str | None = None) -> None:
    if not user.is_active:
        return
    if actor is not None and actor.id == user.id:
        raise NotAllowed(_l("You cannot deactivate your own account."))
    _guard_last_manager(user)
    user.is_active = False
    end_all_sessions(user)
    _audit("deactivated", actor, user, now=now, **_origin(via))


def reactivate(actor: User, user: User, *, now: datetime) -> None:
    if user.is_active:
        return
    user.is_active = True
    _audit("reactivated", actor, user, now=now)


def reset_to_temporary_password(actor: User, user: User, *, now: datetime) -> str:
    """Give ``user`` a new temporary password (returned once) that must be changed at login."""
    temporary = generate_temporary_password()
    user.password_hash = passwords.hash_password(temporary)
    user.must_change_password = True
    end_all_sessions(user)
    _audit("temporary_password_set", actor, user, now=now)
    return temporary
