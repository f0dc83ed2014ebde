"""Account use cases, shared by the web views, the CLI and (later) the API."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from straxlab.auth import passwords
from straxlab.auth.models import User
from straxlab.auth.rules import PasswordProblem, Role, password_problems
from straxlab.config import LANGUAGES
from straxlab.core import audit
from straxlab.core.errors import Conflict, InvalidRequest, NotAllowed
from straxlab.extensions import db
from straxlab.mail import services as mail
from straxlab.mail.rules import Notice

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
    # Calendar links stop for good: reactivating the account must not bring old links back.
    user.feed_token_hash = None
    end_all_sessions(user)
    _audit("deactivated", actor, user, now=now, **_origin(via))


def reactivate(actor: User, user: User, *, now: datetime) -> None:
    if user.is_active:
        return
    user.is_active = True
    _audit("reactivated", actor, user, now=now)


def end_recovered_access(user: User) -> None:
    """An account recovered (reset link, temporary password): whoever held it before is out.

    Every session ends, and the calendar links stop too: someone who briefly had the account
    could have made links that keep reading reservations long after.
    """
    end_all_sessions(user)
    user.feed_token_hash = None


def reset_to_temporary_password(actor: User, user: User, *, now: datetime) -> str:
    """Give ``user`` a new temporary password (returned once) that must be changed at login."""
    temporary = generate_temporary_password()
    user.password_hash = passwords.hash_password(temporary)
    user.must_change_password = True
    end_recovered_access(user)
    _audit("temporary_password_set", actor, user, now=now)
    return temporary


def choose_notifications(
    user: User, wanted: Iterable[Notice], *, offered: Iterable[Notice]
) -> None:
    """Save which of the ``offered`` kinds of mail ``user`` receives.

    Kinds the page did not offer (the managers' digest for a teacher) keep their setting.
    """
    shown = set(offered)
    kept = mail.wanted_notices(user.id) - shown
    mail.set_wanted_notices(user.id, sorted(kept | (set(wanted) & shown)))


# Self-service password reset: a signed link that works for an hour, once.
RESET_TOKEN_MAX_AGE = 3600
_RESET_SALT = "password-reset"
_RESET_TOKEN_MAX_LENGTH = 512


def _reset_serializer(now: datetime) -> URLSafeTimedSerializer:
    """Signs and checks reset tokens on the injected clock (itsdangerous reads time.time())."""
    stamp = int(now.timestamp())

    class _Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return stamp

    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=_RESET_SALT, signer=_Signer
    )


def _reset_fingerprint(user: User) -> str:
    """Changes with the password and the session version, so a used link stops working."""
    material = f"{user.id}:{user.password_hash or ''}:{user.session_version}"
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, material.encode(), hashlib.sha256).hexdigest()[:32]


def make_reset_token(user: User, *, now: datetime) -> str:
    return str(_reset_serializer(now).dumps({"user": user.id, "check": _reset_fingerprint(user)}))


def user_for_reset_token(token: str, *, now: datetime, lock: bool = False) -> User | None:
    """The active user a reset link at ``now`` belongs to; None when it is forged, expired,
    already used or for an account that is no longer active.

    ``lock``: hold the user's row, so that two uses of one link at once cannot both pass.
    """
    if not token or len(token) > _RESET_TOKEN_MAX_LENGTH:
        return None
    try:
        data = _reset_serializer(now).loads(token, max_age=RESET_TOKEN_MAX_AGE)
    except BadData:
        return None
    if not isinstance(data, dict):
        return None
    user_id, check = data.get("user"), data.get("check")
    if type(user_id) is not int or not isinstance(check, str) or not 0 < user_id < 2**31:
        return None
    query = sa.select(User).where(User.id == user_id).execution_options(populate_existing=True)
    user: User | None = db.session.scalar(query.with_for_update() if lock else query)
    if user is None or not user.is_active:
        return None
    if not hmac.compare_digest(check, _reset_fingerprint(user)):
        return None
    return user


def request_password_reset(email: str, *, now: datetime) -> None:
    """Mail a reset link to the active account with this address; do nothing otherwise.

    The caller cannot tell the two apart (and must not show a difference). A double
    submit within the same minute queues one message.
    """
    user = find_by_email(email)
    if user is None or not user.is_active:
        return
    token = make_reset_token(user, now=now)
    mail.queue(
        Notice.SECURITY,
        user,
        key=f"password-reset:{user.id}:{now.astimezone(UTC):%Y%m%dT%H%M}",
        template="password_reset",
        now=now,
        link=mail.external_url("auth.reset_password", token=token),
    )


def reset_password(user: User, new: str, *, now: datetime) -> None:
    """Set the password chosen through a reset link; every session of the user ends."""
    _set_password(user, new)
    user.must_change_password = False
    end_recovered_access(user)
    _audit("password_reset", user, user, now=now)
