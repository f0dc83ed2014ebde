"""Application-wide web plumbing: error pages, security headers, navigation, filters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, abort, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from straxlab.auth.forms import LANGUAGE_CHOICES, ROLE_LABELS
from straxlab.auth.rules import Permission
from straxlab.config import LANGUAGES
from straxlab.core.errors import DomainError
from straxlab.extensions import db

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any
    # The item shows to a user who holds any one of these (none: everyone logged in).
    permissions: tuple[Permission, ...] = ()

    def shows_to(self, user: Any) -> bool:
        return not self.permissions or any(user.can(p) for p in self.permissions)


# The main menu in order.
NAVIGATION: list[NavItem] = [
    NavItem("home.index", _l("Home")),
    NavItem("equipment.catalogue", _l("Reserve equipment"), (Permission.RESERVE,)),
    NavItem("equipment.mine", _l("My reservations"), (Permission.RESERVE,)),
    NavItem("teams.index", _l("Design teams"), (Permission.TAKE_PART,)),
    NavItem("lab.calendar", _l("Lab calendar"), (Permission.TAKE_PART,)),
    NavItem("feeds.index", _l("Calendar feeds"), (Permission.RESERVE, Permission.TAKE_PART)),
    NavItem("desk.index", _l("Lending desk"), (Permission.LEND,)),
    NavItem("desk.approvals", _l("Approvals"), (Permission.APPROVE_RESERVATIONS,)),
    NavItem("programmes.queue", _l("Programme requests"), (Permission.APPROVE_PROGRAMMES,)),
    NavItem("desk.reservations", _l("All reservations"), (Permission.VIEW_ALL_RESERVATIONS,)),
    NavItem("catalogue.index", _l("Catalogue"), (Permission.MANAGE_CATALOGUE,)),
    NavItem("compliance.dashboard", _l("Compliance"), (Permission.VIEW_COMPLIANCE,)),
    NavItem("plans.queue", _l("Plans to review"), (Permission.APPROVE_PLANS,)),
    NavItem(
        "admin.settings",
        _l("Settings"),
        (
            Permission.MANAGE_LAB_SETTINGS,
            Permission.MANAGE_LAB_CALENDAR,
            Permission.MANAGE_COMPLIANCE,
        ),
    ),
    NavItem("admin.users", _l("Users"), (Permission.MANAGE_USERS,)),
]


# Paths whose errors get a short plain-text answer instead of the error page: URLs that carry
# a secret (a calendar link's token), which the page would repeat in its language form and
# pass on as a Referer. Areas add a predicate with answer_plainly(); see _plain_error.
PLAIN_ERROR_PATHS: list[Callable[[str], bool]] = []


def answer_plainly(predicate: Callable[[str], bool]) -> None:
    """Answer errors on every path ``predicate`` accepts in plain text (once, however often
    registered)."""
    if predicate not in PLAIN_ERROR_PATHS:
        PLAIN_ERROR_PATHS.append(predicate)


def init_app(app: Flask) -> None:
    app.before_request(_refuse_nul_bytes)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DomainError, _domain_error)
    app.after_request(_security_headers)
    app.context_processor(_template_globals)
    app.jinja_env.filters["datetime"] = _format_instant
    app.add_url_rule("/healthz", "healthz", _healthz)


def _refuse_nul_bytes() -> None:
    """No text column accepts a NUL character (PostgreSQL raises): refuse it at the door."""
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400)


def _return_path() -> str:
    """Where the language switch sends the user back to: this page, if it can be shown by GET."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    try:
        current_app.url_map.bind("").match(request.path, method="GET")
    except HTTPException:
        return "/"
    return request.path


def _error_prefix(form: Any) -> str:
    """Put "Error:" before a page title while its form shows errors; readers hear it first."""
    return str(_l("Error:")) + " " if form.errors or form.form_errors else ""


def _format_instant(value: datetime | None, format: str = "medium") -> str:
    """An instant on the lab's wall clock, in the reader's language."""
    if value is None:
        return ""
    return format_datetime(value, format)


def _template_globals() -> dict[str, Any]:
    nav = []
    if current_user.is_authenticated:
        nav = [item for item in NAVIGATION if item.shows_to(current_user)]
    locale = str(get_locale() or LANGUAGES[0])
    other = next(choice for choice in LANGUAGE_CHOICES if choice.value != locale)
    return {
        "nav_items": nav,
        "role_label": lambda role: ROLE_LABELS[role],
        "return_path": _return_path,
        "error_prefix": _error_prefix,
        "current_locale": locale,
        "other_locale": other.value,
        "other_locale_name": other.label,
    }


def _render_error(
    status: int, *, message: str | None = None, headers: dict[str, str] | None = None
) -> ResponseReturnValue:
    page = render_template("errors/error.html", status=status, message=message)
    return page, status, headers or {}


def _http_error(error: HTTPException) -> ResponseReturnValue:
    if error.code is None or error.code < 400 or request.path.startswith("/static/"):
        return error
    if error.code == 500:
        db.session.rollback()
    # Keep what the client needs from the error (Allow on 405, Retry-After on 429).
    kept = {k: v for k, v in error.get_headers() if k in {"Allow", "Retry-After"}}
    if any(plain(request.path) for plain in PLAIN_ERROR_PATHS):
        return _plain_error(error.code, error.name, kept)
    return _render_error(error.code, headers=kept)


def _plain_error(status: int, name: str, headers: dict[str, str]) -> Response:
    """The status and its name in plain text: no page, so no links or forms that repeat the
    URL, nothing that touches the session (no cookie), never stored, never a Referer."""
    response = Response(f"{status} {name}\n", status=status, mimetype="text/plain")
    response.headers.update(headers)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _csrf_error(error: CSRFError) -> ResponseReturnValue:
    return _render_error(
        400, message=str(_l("The form had expired. Go back, reload the page and try again."))
    )


def _domain_error(error: DomainError) -> ResponseReturnValue:
    # Views catch domain errors themselves; this is the safety net that keeps them off a 500.
    db.session.rollback()
    return _render_error(error.status, message=str(error))


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if current_user.is_authenticated and response.mimetype == "text/html":
        # Pages with personal data stay out of shared caches and the back button after logout.
        headers.setdefault("Cache-Control", "no-store")
    return response


def _healthz() -> ResponseReturnValue:
    db.session.execute(sa.text("SELECT 1"))
    return jsonify(status="ok")
