from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from straxlab.auth import passwords, services
from straxlab.auth.models import User
from straxlab.auth.rules import Role
from straxlab.config import Config
from straxlab.core.audit import AuditEvent
from straxlab.core.errors import Conflict, InvalidRequest, NotAllowed
from straxlab.extensions import db
from tests.factories import DEFAULT_PASSWORD, make_user

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_production_hashing_meets_the_owasp_argon2id_floor(monkeypatch, tmp_path):
    from straxlab import create_app

    monkeypatch.setenv("STRAXLAB_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "p" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/prod.sqlite")
    for name in (
        "PASSWORD_HASH_TIME_COST",
        "PASSWORD_HASH_MEMORY_KIB",
        "PASSWORD_HASH_PARALLELISM",
    ):
        monkeypatch.delenv(name, raising=False)
    app = create_app(Config())
    try:
        used = passwords.parameters()
        # OWASP: argon2id with at least 19 MiB of memory and 2 iterations.
        assert used["memory_kib"] >= 19 * 1024
        assert used["time_cost"] >= 2
        assert passwords.hash_password("x" * 12).startswith("$argon2id$")
    finally:
        passwords.configure(time_cost=1, memory_kib=8, parallelism=1)
        with app.app_context():
            db.engine.dispose()


def test_authenticate_normalises_the_email(app_ctx):
    make_user(email="sanne@school.example")
    user = services.authenticate("  Sanne@School.Example ", DEFAULT_PASSWORD, now=NOW)
    assert user.email == "sanne@school.example"
    assert user.last_login_at == NOW


def test_authenticate_rehashes_weak_hashes(app_ctx):
    user = make_user()
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, salt_len=8).hash(
        DEFAULT_PASSWORD
    )
    user.password_hash = weak
    services.authenticate(user.email, DEFAULT_PASSWORD, now=NOW)
    assert user.password_hash != weak
    assert passwords.verify_password(user.password_hash, DEFAULT_PASSWORD)


@pytest.mark.parametrize("password", ["wrong", ""])
def test_authenticate_refuses_wrong_password(app_ctx, password):
    user = make_user()
    with pytest.raises(InvalidRequest):
        services.authenticate(user.email, password, now=NOW)


def test_change_password_checks_the_current_one_and_ends_sessions(app_ctx):
    user = make_user()
    with pytest.raises(InvalidRequest) as info:
        services.change_password(user, "not my password", "paarse fiets op het dak 42", now=NOW)
    assert info.value.field == "current"
    version = user.session_version
    services.change_password(user, DEFAULT_PASSWORD, "paarse fiets op het dak 42", now=NOW)
    assert user.session_version == version + 1
    assert passwords.verify_password(user.password_hash, "paarse fiets op het dak 42")


@pytest.mark.parametrize("new", ["short", DEFAULT_PASSWORD, "password1234"])
def test_change_password_applies_the_policy(app_ctx, new):
    user = make_user()
    with pytest.raises(InvalidRequest) as info:
        services.change_password(user, DEFAULT_PASSWORD, new, now=NOW)
    assert info.value.field == "password"


def test_create_user_with_temporary_password(app_ctx):
    manager = make_user(role=Role.MANAGER)
    user, temporary = services.create_user(
        actor=manager,
        email="Nieuw@School.Example",
        name=" Nieuwe Docent ",
        role=Role.TEACHER,
        now=NOW,
    )
    assert user.email == "nieuw@school.example"
    assert user.name == "Nieuwe Docent"
    assert user.must_change_password
    assert temporary and passwords.verify_password(user.password_hash, temporary)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.object_id == user.id))
    assert (event.action, event.actor_id, event.at) == ("user.created", manager.id, NOW)


def test_create_user_refuses_duplicates_and_bad_input(app_ctx):
    make_user(email="bestaat@school.example")
    with pytest.raises(Conflict):
        services.create_user(
            actor=None, email="BESTAAT@school.example", name="X", role=Role.TEACHER, now=NOW
        )
    with pytest.raises(InvalidRequest):
        services.create_user(actor=None, email="geen-adres", name="X", role=Role.TEACHER, now=NOW)
    with pytest.raises(InvalidRequest):
        services.create_user(
            actor=None, email="a@school.example", name="  ", role=Role.TEACHER, now=NOW
        )


def test_role_change_is_audited_and_ends_sessions(app_ctx):
    manager = make_user(role=Role.MANAGER)
    user = make_user(role=Role.TEACHER)
    version = user.session_version
    services.change_role(manager, user, Role.STAFF, now=NOW)
    assert user.role is Role.STAFF
    assert user.session_version == version + 1
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.role_changed"))
    assert event.details == {"old": "teacher", "new": "staff"}
    assert event.actor_id == manager.id


def test_the_last_manager_cannot_be_demoted_or_deactivated(app_ctx):
    manager = make_user(role=Role.MANAGER)
    staff = make_user(role=Role.STAFF)
    with pytest.raises(NotAllowed):
        services.change_role(manager, manager, Role.TEACHER, now=NOW)
    with pytest.raises(NotAllowed):
        services.deactivate(None, manager, now=NOW)
    other = make_user(role=Role.MANAGER)
    services.change_role(other, manager, Role.TEACHER, now=NOW)
    assert manager.role is Role.TEACHER
    assert staff.is_active


def test_nobody_deactivates_themselves(app_ctx):
    make_user(role=Role.MANAGER)
    manager = make_user(role=Role.MANAGER)
    with pytest.raises(NotAllowed):
        services.deactivate(manager, manager, now=NOW)


def test_deactivate_and_reactivate(app_ctx):
    manager = make_user(role=Role.MANAGER)
    user = make_user()
    version = user.session_version
    services.deactivate(manager, user, now=NOW)
    assert not user.is_active and user.session_version == version + 1
    with pytest.raises(InvalidRequest):
        services.authenticate(user.email, DEFAULT_PASSWORD, now=NOW)
    services.reactivate(manager, user, now=NOW)
    assert services.authenticate(user.email, DEFAULT_PASSWORD, now=NOW) is user
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["user.deactivated", "user.reactivated"]


def test_temporary_password_reset(app_ctx):
    manager = make_user(role=Role.MANAGER)
    user = make_user()
    user.feed_token_hash = "f" * 64
    temporary = services.reset_to_temporary_password(manager, user, now=NOW)
    assert user.must_change_password
    assert user.feed_token_hash is None, "calendar links made by a former holder stop"
    assert services.authenticate(user.email, temporary, now=NOW) is user
    assert len(temporary) == 19 and temporary.count("-") == 3


def test_update_user_changes_email_with_audit(app_ctx):
    manager = make_user(role=Role.MANAGER)
    user = make_user(email="oud@school.example")
    make_user(email="bezet@school.example")
    with pytest.raises(Conflict):
        services.update_user(
            manager, user, name="X", email="bezet@school.example", role=Role.TEACHER, now=NOW
        )
    services.update_user(
        manager, user, name="Nieuwe Naam", email="nieuw@school.example", role=Role.TEACHER, now=NOW
    )
    assert (user.name, user.email) == ("Nieuwe Naam", "nieuw@school.example")
    assert db.session.scalar(
        sa.select(AuditEvent.details).where(AuditEvent.action == "user.email_changed")
    ) == {
        "old": "oud@school.example",
        "new": "nieuw@school.example",
    }


def test_users_are_never_deleted_by_the_services():
    assert not [name for name in dir(services) if "delete" in name.lower()]


def test_email_is_unique_in_the_database(app_ctx):
    make_user(email="dubbel@school.example")
    db.session.add(User(email="dubbel@school.example", name="X", role=Role.TEACHER, created_at=NOW))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
