"""Calendar feeds: the feed page and downloads (blueprint `feeds`, logged in) and the
subscription links a calendar app fetches (blueprint `calendar`, by token, no session).

A subscription link works for whoever holds it, with the permissions of the token's user.
An unknown or revoked token, and a feed its user may not read, all give the same 404, so a
link never reveals which teams or types exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException

from straxlab import web
from straxlab.auth.access import permission_required
from straxlab.auth.models import User
from straxlab.auth.rules import Permission
from straxlab.core import clock, logs
from straxlab.core.errors import DomainError
from straxlab.core.web import MAX_ID, show_error
from straxlab.design_teams import access
from straxlab.design_teams.models import DesignTeam
from straxlab.equipment.models import EquipmentType
from straxlab.extensions import db, limiter
from straxlab.feeds import queries, rules, services
from straxlab.feeds.forms import TokenForm
from straxlab.feeds.rules import Feed
from straxlab.mail.services import external_url

bp = Blueprint("feeds", __name__, url_prefix="/calendar")
subscriptions = Blueprint("calendar", __name__, url_prefix="/calendar")

CALENDAR_TYPE = "text/calendar; charset=utf-8"
# Revalidate every time (the ETag makes that cheap); no shared caches; no proxy may
# compress or otherwise change the bytes.
SUBSCRIPTION_CACHE = "private, max-age=0, must-revalidate, no-transform"
DOWNLOAD_CACHE = "private, no-store, no-transform"


def init_app(app: Flask) -> None:
    """Register both blueprints, mask feed tokens in the request logs and keep them out of
    error pages (a URL under a token that matches no route is answered in plain text too)."""
    app.register_blueprint(bp)
    app.register_blueprint(subscriptions)
    logs.mask_in_logs(rules.mask_tokens)
    web.answer_plainly(rules.is_subscription_path)
    logs.install([app.logger.name])


# --- the response --------------------------------------------------------------------------


def calendar_response(body: bytes, *, cache: str, download_name: str | None = None) -> Response:
    """The library's bytes as they are, with a strong ETag; 304 without a body on a match."""
    tag = rules.etag(body)
    if request.if_none_match.contains_weak(tag):
        response = Response(status=304)
    else:
        response = Response(body, content_type=CALENDAR_TYPE)
        if download_name:
            response.headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    response.set_etag(tag)
    response.headers["Cache-Control"] = cache
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --- subscription links (by token) ---------------------------------------------------------


def _token_key() -> str:
    """Rate-limit key: the token's hash, so the limiter's storage never holds a token."""
    token = str((request.view_args or {}).get("token", ""))
    return "feed:" + rules.token_hash(token)


def _feed_limit() -> str:
    return str(current_app.config["FEED_LIMIT_PER_TOKEN"])


# One budget per token for all its feeds.
per_token = limiter.shared_limit(_feed_limit, scope="calendar-feed", key_func=_token_key)


def _owner(token: str) -> User:
    owner = services.user_for_token(token)
    if owner is None:
        abort(404)
    return owner


def _subscription(body: bytes) -> Response:
    return calendar_response(body, cache=SUBSCRIPTION_CACHE)


@subscriptions.route("/<token>/mine.ics")
@per_token
def mine(token: str) -> ResponseReturnValue:
    owner = _owner(token)
    return _subscription(services.mine(owner, now=clock.now()))


@subscriptions.route("/<token>/team/<int:team_id>.ics")
@per_token
def team(token: str, team_id: int) -> ResponseReturnValue:
    owner = _owner(token)
    design_team = db.session.get(DesignTeam, team_id)
    if design_team is None or not services.may_read_team(owner, design_team):
        abort(404)
    return _subscription(services.team(owner, design_team, now=clock.now()))


@subscriptions.route("/<token>/lab.ics")
@per_token
def lab(token: str) -> ResponseReturnValue:
    owner = _owner(token)
    if not services.may_read_lab(owner):
        abort(404)
    return _subscription(services.lab(owner, now=clock.now()))


@subscriptions.route("/<token>/type/<int:type_id>.ics")
@per_token
def equipment_type(token: str, type_id: int) -> ResponseReturnValue:
    owner = _owner(token)
    if not services.may_read_type(owner):
        abort(404)
    kind = db.session.get(EquipmentType, type_id)
    if kind is None:
        abort(404)
    return _subscription(services.equipment_type(owner, kind, now=clock.now()))


@subscriptions.errorhandler(HTTPException)
def _subscription_error(error: HTTPException) -> ResponseReturnValue:
    """A short plain-text answer for calendar apps: no page, no session, no links."""
    messages = {
        404: _(
            "This calendar link does not work (any more). Make new links on the page "
            "Calendar feeds in STRAX-lab."
        ),
        429: _("Too many requests for this calendar link. Try again in a minute."),
    }
    code = error.code or 500
    text = messages.get(code, error.name)
    response = Response(text + "\n", status=code, mimetype="text/plain")
    for name, value in error.get_headers():
        if name == "Retry-After":
            response.headers[name] = value
    return response


@subscriptions.after_request
def _subscription_headers(response: Response) -> Response:
    # The URL holds the token: no page this link answers may pass it on as a Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Cache-Control", "private, no-store")
    return response


# --- downloads (logged in) -----------------------------------------------------------------


def _me() -> User:
    user: User = current_user._get_current_object()
    return user


@bp.route("/download/mine.ics")
@login_required
def download_mine() -> ResponseReturnValue:
    body = services.mine(_me(), now=clock.now())
    return calendar_response(body, cache=DOWNLOAD_CACHE, download_name="straxlab-mine.ics")


@bp.route("/download/team/<int:team_id>.ics")
@permission_required(Permission.TAKE_PART)
def download_team(team_id: int) -> ResponseReturnValue:
    design_team = access.readable_team(team_id)
    body = services.team(_me(), design_team, now=clock.now())
    name = f"straxlab-team-{design_team.id}.ics"
    return calendar_response(body, cache=DOWNLOAD_CACHE, download_name=name)


@bp.route("/download/lab.ics")
@login_required
def download_lab() -> ResponseReturnValue:
    if not services.may_read_lab(_me()):
        abort(403)
    body = services.lab(_me(), now=clock.now())
    return calendar_response(body, cache=DOWNLOAD_CACHE, download_name="straxlab-lab.ics")


@bp.route("/download/type/<int:type_id>.ics")
@permission_required(Permission.LEND)
def download_type(type_id: int) -> ResponseReturnValue:
    kind = db.get_or_404(EquipmentType, type_id)
    body = services.equipment_type(_me(), kind, now=clock.now())
    name = f"straxlab-type-{kind.id}.ics"
    return calendar_response(body, cache=DOWNLOAD_CACHE, download_name=name)


# --- the feed page -------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedLink:
    """A feed on the page: its words, its download and (right after making) its link."""

    choice: services.FeedChoice
    download_url: str
    subscribe_url: str | None

    @property
    def webcal_url(self) -> str | None:
        """The same link as ``webcal://``, which opens the device's calendar app."""
        if self.subscribe_url is None:
            return None
        return "webcal://" + self.subscribe_url.split("://", 1)[1]


# Per kind of feed: the download endpoint, the subscription endpoint, the id's name.
_ENDPOINTS: dict[Feed, tuple[str, str, str | None]] = {
    Feed.MINE: ("feeds.download_mine", "calendar.mine", None),
    Feed.TEAM: ("feeds.download_team", "calendar.team", "team_id"),
    Feed.LAB: ("feeds.download_lab", "calendar.lab", None),
    Feed.EQUIPMENT_TYPE: ("feeds.download_type", "calendar.equipment_type", "type_id"),
}


def _link(choice: services.FeedChoice, token: str | None) -> FeedLink:
    download, subscribe, key = _ENDPOINTS[choice.feed]
    values: dict[str, Any] = {key: choice.subject_id} if key else {}
    return FeedLink(
        choice=choice,
        download_url=url_for(download, **values),
        subscribe_url=external_url(subscribe, token=token, **values) if token else None,
    )


def _id_arg(name: str) -> int | None:
    """An optional id from the query string (``?team=3``); anything else is ignored."""
    value = request.args.get(name, type=int)
    return value if value is not None and 1 <= value <= MAX_ID else None


def _extra_args() -> dict[str, int]:
    return {name: value for name in ("team", "type") if (value := _id_arg(name)) is not None}


def _render_page(form: TokenForm, *, token: str | None, status: int = 200) -> ResponseReturnValue:
    user = _me()
    extra = _extra_args()
    choices = services.feed_choices(
        user, now=clock.now(), team_id=extra.get("team"), type_id=extra.get("type")
    )
    return (
        render_template(
            "feeds/index.html",
            feeds=[_link(choice, token) for choice in choices],
            form=form,
            token=token,
            has_token=bool(user.feed_token_hash),
            made_at=queries.token_made_at(user.id) if user.feed_token_hash else None,
            token_action=url_for("feeds.token", **extra),  # type: ignore[arg-type]
        ),
        status,
    )


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    return _render_page(TokenForm(formdata=None), token=None)


@bp.route("/token", methods=["POST"])
@login_required
def token() -> ResponseReturnValue:
    """Make the user's calendar links (again); the page then shows them, this once."""
    form = TokenForm()
    if form.validate_on_submit():
        user = _me()
        if user.feed_token_hash and not form.confirm.data:
            form.confirm.errors = [
                *form.confirm.errors,
                _("Tick the box to confirm that your old links may stop working."),
            ]
        else:
            try:
                token = services.issue_token(user, now=clock.now())
            except DomainError as exc:
                db.session.rollback()
                show_error(form, exc)
            else:
                db.session.commit()
                return _render_page(TokenForm(formdata=None), token=token)
    return _render_page(form, token=None)
