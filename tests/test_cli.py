from __future__ import annotations

import sqlalchemy as sa

from straxlab.auth.models import User
from straxlab.auth.rules import Role
from straxlab.cli.demo import DEMO_PASSWORD, DEMO_USERS
from straxlab.core.audit import AuditEvent
from straxlab.extensions import db
from tests.factories import make_user


def test_users_create_with_password_on_stdin(app, runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Nieuw@School.example",
            "--name",
            "Nieuwe Docent",
            "--role",
            "staff",
            "--password-stdin",
        ],
        input="paarse fiets op het dak 42\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "nieuw@school.example"))
        assert user.role is Role.STAFF and not user.must_change_password


def test_users_create_prompts_for_the_password(app, runner):
    result = runner.invoke(
        args=["users", "create", "--email", "p@school.example", "--name", "P"],
        input="paarse fiets op het dak 42\npaarse fiets op het dak 42\n",
    )
    assert result.exit_code == 0, result.output


def test_users_create_refuses_a_weak_password_with_a_message(runner):
    result = runner.invoke(
        args=["users", "create", "--email", "z@school.example", "--name", "Z", "--password-stdin"],
        input="kort\n",
    )
    assert result.exit_code != 0
    assert "12" in result.output


def test_users_create_temporary(runner):
    result = runner.invoke(
        args=["users", "create", "--email", "t@school.example", "--name", "T", "--temporary"]
    )
    assert result.exit_code == 0 and "Temporary password" in result.output


def test_users_list_and_deactivate(app, runner):
    with app.app_context():
        make_user(email="a@school.example", name="Anna")
        make_user(email="b@school.example", name="Bram")
        db.session.commit()
    result = runner.invoke(args=["users", "deactivate", "b@school.example"])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(args=["users", "list"]).output
    assert "a@school.example" in listed and "b@school.example" not in listed
    assert (
        "b@school.example\tteacher\tdeactivated"
        in runner.invoke(args=["users", "list", "--all"]).output
    )
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent))
        assert event.action == "user.deactivated"
        assert event.details["via"].startswith("cli")
    assert runner.invoke(args=["users", "deactivate", "niemand@school.example"]).exit_code != 0


def test_demo_is_idempotent_and_prints_the_logins(app, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert DEMO_PASSWORD in first.output and "docent@straxlab.example" in first.output
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == len(DEMO_USERS)
        roles = set(db.session.scalars(sa.select(User.role)))
    assert roles == {Role.TEACHER, Role.STAFF, Role.MANAGER}


def test_demo_logins_work(app, client, runner):
    runner.invoke(args=["demo"])
    for email, _name, _role in DEMO_USERS[:3]:
        fresh = app.test_client()
        assert (
            fresh.post("/login", data={"email": email, "password": DEMO_PASSWORD}).status_code
            == 302
        )


def test_demo_refuses_a_database_with_real_data(app, runner):
    with app.app_context():
        make_user(email="echt@college.nl")
        db.session.commit()
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0
    assert "not demo" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_demo_if_empty_skips_a_database_with_data(app, runner):
    with app.app_context():
        make_user(email="echt@college.nl")
        db.session.commit()
    result = runner.invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0 and "not loaded" in result.output


def test_users_create_refuses_both_password_options(runner):
    result = runner.invoke(
        args=[
            *("users", "create", "--email", "x@school.example", "--name", "X"),
            *("--temporary", "--password-stdin"),
        ],
        input="paarse fiets op het dak 42\n",
    )
    assert result.exit_code != 0 and "not both" in result.output
