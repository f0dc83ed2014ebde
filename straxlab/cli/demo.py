"""``flask demo``: a small, realistic lab to try straxlab with."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from straxlab.auth import services as auth_services
from straxlab.auth.models import User
from straxlab.auth.rules import Role
from straxlab.core import clock
from straxlab.extensions import db

DEMO_DOMAIN = "straxlab.example"
DEMO_PASSWORD = "Proeftuin-in-het-lab-2026"  # noqa: S105 (printed on purpose: demo only)

# (e-mail, name, role); the first three are the logins make run prints.
DEMO_USERS = [
    (f"docent@{DEMO_DOMAIN}", "Sanne de Vries", Role.TEACHER),
    (f"balie@{DEMO_DOMAIN}", "Joost Bakker", Role.STAFF),
    (f"manager@{DEMO_DOMAIN}", "Fatima El Amrani", Role.MANAGER),
    (f"m.yilmaz@{DEMO_DOMAIN}", "Mehmet Yılmaz", Role.TEACHER),  # noqa: RUF001 (a Turkish name)
    (f"l.jansen@{DEMO_DOMAIN}", "Lotte Jansen", Role.TEACHER),
    (f"p.vandijk@{DEMO_DOMAIN}", "Pieter van Dijk", Role.TEACHER),
    (f"a.visser@{DEMO_DOMAIN}", "Anouk Visser", Role.TEACHER),
    (f"d.smit@{DEMO_DOMAIN}", "Daan Smit", Role.TEACHER),
    (f"n.bosman@{DEMO_DOMAIN}", "Noor Bosman", Role.STAFF),
]


class NotDemoData(click.ClickException):
    pass


def load_demo() -> list[User]:
    """Create whatever demo data is missing; refuse if the database holds real data."""
    foreign = db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(~User.email.endswith("@" + DEMO_DOMAIN))
    )
    if foreign:
        raise NotDemoData(
            f"This database holds {foreign} account(s) that are not demo accounts; "
            "the demo loader refuses to mix demo data with real data."
        )
    now = clock.now()
    created = []
    for email, name, role in DEMO_USERS:
        user = auth_services.find_by_email(email)
        if user is None:
            user, _ = auth_services.create_user(
                actor=None, email=email, name=name, role=role, password=DEMO_PASSWORD, now=now
            )
            created.append(user)
    return created


def database_is_empty() -> bool:
    return not db.session.scalar(sa.select(sa.func.count()).select_from(User))


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has accounts.")
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Load demo data (safe to run twice; refuses a database with real data)."""
    if if_empty and not database_is_empty():
        click.echo("The database already has data; demo data not loaded.")
    else:
        created = load_demo()
        db.session.commit()
        click.echo(f"Demo data loaded ({len(created)} new account(s)).")
    if auth_services.find_by_email(DEMO_USERS[0][0]) is None:
        return
    click.echo("Demo logins (password for each: " + DEMO_PASSWORD + "):")
    for email, name, role in DEMO_USERS[:3]:
        click.echo(f"  {role.value:<8} {email:<28} {name}")
