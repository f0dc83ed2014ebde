"""``flask users ...``: accounts from the command line, through the same services as the web."""

from __future__ import annotations

import getpass
import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from straxlab.auth import services
from straxlab.auth.models import User
from straxlab.auth.rules import Role
from straxlab.core import clock
from straxlab.core.errors import DomainError
from straxlab.extensions import db

users_group = AppGroup("users", help="Create, list and deactivate accounts.")


def cli_origin() -> str:
    """Who made a change from the command line, for the audit trail."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@users_group.command("create")
@click.option("--email", required=True, help="E-mail address (the login name).")
@click.option("--name", required=True, help="Full name as colleagues know it.")
@click.option(
    "--role", type=click.Choice([role.value for role in Role]), default=Role.TEACHER.value
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option(
    "--temporary", is_flag=True, help="Generate a temporary password to change at first login."
)
def create(email: str, name: str, role: str, password_stdin: bool, temporary: bool) -> None:
    """Create an account."""
    if temporary and password_stdin:
        raise click.UsageError("Use either --temporary or --password-stdin, not both.")
    password: str | None
    if temporary:
        password = None
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user, generated = services.create_user(
            actor=None,
            email=email,
            name=name,
            role=Role(role),
            password=password,
            now=clock.now(),
            via=cli_origin(),
        )
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role.value}).")
    if generated:
        click.echo(f"Temporary password (shown once): {generated}")


@users_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include deactivated accounts.")
def list_users(show_all: bool) -> None:
    """List accounts: e-mail, role, status, name."""
    query = sa.select(User).order_by(User.role, User.email)
    if not show_all:
        query = query.where(User.is_active.is_(True))
    for user in db.session.scalars(query):
        status = "active" if user.is_active else "deactivated"
        click.echo(f"{user.email}\t{user.role.value}\t{status}\t{user.name}")


@users_group.command("deactivate")
@click.argument("email")
def deactivate(email: str) -> None:
    """Deactivate an account and end its sessions (accounts are never deleted)."""
    user = services.find_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with e-mail address {email}.")
    try:
        services.deactivate(None, user, now=clock.now(), via=cli_origin())
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Deactivated {user.email}.")
