"""Password hashing with argon2id, tuned from the deployment configuration."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# A valid hash to verify against when the account does not exist, so a wrong e-mail
# address costs as much time as a wrong password.
_dummy_hash = _hasher.hash("not-a-real-password")


def configure(*, time_cost: int, memory_kib: int, parallelism: int) -> None:
    global _hasher, _dummy_hash
    _hasher = PasswordHasher(
        time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
    )
    _dummy_hash = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than configured now."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def parameters() -> dict[str, int]:
    return {
        "time_cost": _hasher.time_cost,
        "memory_kib": _hasher.memory_cost,
        "parallelism": _hasher.parallelism,
    }
