"""straxlab: the STRAX-lab's lending desk, design teams and compliance checks."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from straxlab.config import Config

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Config | None = None) -> Flask:
    """Build the application; tests pass a ``TestConfig``, everyone else gets the environment."""
    # Imports live here so that importing a pure module (a rules.py) loads no Flask at all.
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    from straxlab.config import Config
    from straxlab.core.web import BoundedIntConverter
    from straxlab.extensions import babel, csrf, limiter

    config = config or Config()
    config.check()
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=os.environ.get("STRAXLAB_INSTANCE_PATH", str(ROOT / "instance")),
    )
    app.config.from_mapping(config.as_flask_config(app.instance_path))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    # Ids beyond the database's integer range are a 404, not an overflow in the driver.
    app.url_map.converters["int"] = BoundedIntConverter
    if proxies := app.config["TRUSTED_PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]

    _init_database(app)
    _init_auth(app)
    babel.init_app(
        app, locale_selector=_select_locale, default_translation_directories="translations"
    )
    csrf.init_app(app)
    limiter.init_app(app)

    from straxlab.auth import passwords

    passwords.configure(
        time_cost=app.config["PASSWORD_HASH_TIME_COST"],
        memory_kib=app.config["PASSWORD_HASH_MEMORY_KIB"],
        parallelism=app.config["PASSWORD_HASH_PARALLELISM"],
    )

    from straxlab import web
    from straxlab.admin.outbox_views import bp as outbox_bp
    from straxlab.admin.views import bp as admin_bp
    from straxlab.auth.views import bp as auth_bp
    from straxlab.cli import register as register_cli
    from straxlab.compliance import team_section
    from straxlab.compliance.dashboard_views import bp as compliance_bp
    from straxlab.compliance.plan_views import bp as plans_bp
    from straxlab.compliance.report_views import bp as reports_bp
    from straxlab.compliance.work_views import bp as teamwork_bp
    from straxlab.design_teams.calendar_views import bp as lab_bp
    from straxlab.design_teams.day_views import bp as days_bp
    from straxlab.design_teams.programme_views import bp as programmes_bp
    from straxlab.design_teams.team_views import bp as teams_bp
    from straxlab.equipment.catalogue_views import bp as catalogue_bp
    from straxlab.equipment.desk_views import bp as desk_bp
    from straxlab.equipment.views import bp as equipment_bp
    from straxlab.feeds.views import init_app as init_feeds
    from straxlab.home.views import bp as home_bp

    web.init_app(app)
    from straxlab.compliance import labels as compliance_labels
    from straxlab.design_teams import labels as team_labels
    from straxlab.equipment import labels

    labels.init_app(app)
    team_labels.init_app(app)
    compliance_labels.init_app(app)
    app.register_blueprint(auth_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(equipment_bp)
    app.register_blueprint(catalogue_bp)
    app.register_blueprint(desk_bp)
    app.register_blueprint(teams_bp)
    app.register_blueprint(programmes_bp)
    app.register_blueprint(days_bp)
    app.register_blueprint(lab_bp)
    app.register_blueprint(plans_bp)
    app.register_blueprint(teamwork_bp)
    app.register_blueprint(compliance_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(outbox_bp)
    init_feeds(app)
    team_section.register()
    register_cli(app)
    if os.environ.get("STRAXLAB_RUN_JOBS"):
        # `make run`: the jobs inside the dev server, started once (see straxlab/jobs/dev.py).
        from straxlab.jobs.dev import start_in_dev_server

        start_in_dev_server(app)
    return app


def _init_database(app: Flask) -> None:
    # Every model module is imported here so that metadata (and Alembic) sees all tables.
    import straxlab.auth.models
    import straxlab.compliance.models
    import straxlab.compliance.settings
    import straxlab.core.audit
    import straxlab.core.settings
    import straxlab.design_teams.models
    import straxlab.equipment.models
    import straxlab.equipment.settings
    import straxlab.lab_calendar.models
    import straxlab.lab_calendar.settings  # (declares the settings of desk and lab)
    import straxlab.mail.models  # noqa: F401
    from straxlab.core.db import configure_sqlite_engine
    from straxlab.extensions import db, migrate

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite_engine(db.engine, busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"])


def _init_auth(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    import straxlab.auth.access  # noqa: F401  (registers the user loader)
    from straxlab.auth.rules import mask_reset_tokens
    from straxlab.core import logs
    from straxlab.extensions import login_manager

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    logs.mask_in_logs(mask_reset_tokens)
    logs.install([app.logger.name])


def _select_locale() -> str:
    """The user's saved choice, else the choice made before logging in, else Dutch.

    The browser's Accept-Language is ignored on purpose: the lab speaks Dutch unless
    someone asks otherwise.
    """
    from flask import has_request_context, session
    from flask_login import current_user

    from straxlab.config import LANGUAGES

    if not has_request_context():
        return LANGUAGES[0]
    if current_user.is_authenticated and current_user.locale in LANGUAGES:
        return str(current_user.locale)
    chosen = session.get("locale")
    return str(chosen) if chosen in LANGUAGES else LANGUAGES[0]
