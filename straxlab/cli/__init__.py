"""Command-line tools for operators: ``flask --app straxlab <command>``."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from straxlab.cli.compliance import compliance_group
    from straxlab.cli.demo import demo_command
    from straxlab.cli.jobs import jobs_group
    from straxlab.cli.lab import lab_group
    from straxlab.cli.lending import lending_group
    from straxlab.cli.users import users_group

    app.cli.add_command(users_group)
    app.cli.add_command(demo_command)
    app.cli.add_command(lending_group)
    app.cli.add_command(lab_group)
    app.cli.add_command(compliance_group)
    app.cli.add_command(jobs_group)
