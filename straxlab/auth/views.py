from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response as BaseResponse

from straxlab.auth import services
from straxlab.auth.forms import (
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    ProfileForm,
)
from straxlab.auth.models import User
from straxlab.auth.rules import is_safe_next
from straxlab.core import clock
from straxlab.core.db import begin_as_read
from straxlab.core.errors import DomainError
from straxlab.core.web import show_error
from straxlab.extensions import db, limiter
from straxlab.mail import labels as mail_labels
from straxlab.mail import services as mail
from straxlab.mail.rules import Notice

bp = Blueprint("auth", __name__)

# Pages a user with a temporary password may still reach.
_OPEN_WITH_TEMPORARY_PASSWORD = {"auth.change_password", "auth.logout", "auth.language", "static"}


@bp.before_app_request
def force_password_change() -> ResponseReturnValue | None:
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in _OPEN_WITH_TEMPORARY_PASSWORD
        and request.endpoint is not None
    ):
        return redirect(url_for("auth.change_password"))
    return None


def _start_session(user: User) -> None:
    """A fresh session cookie: nothing from before the login is carried over."""
    session.clear()
    login_user(user)
    session["locale"] = user.locale
    session.permanent = True


def _login_failed(response: Response) -> bool:
    # A successful login redirects; only failures use up the allowance.
    return response.status_code != 302


def _login_account() -> str:
    return "login:" + request.form.get("email", "").strip().lower()[:254]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
    methods=["POST"],
    deduct_when=_login_failed,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    methods=["POST"],
    key_func=_login_account,
    deduct_when=_login_failed,
)
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        password = form.password.data or ""
        # Check the password (slow by design) in a read transaction, then write briefly.
        begin_as_read(db.session)
        try:
            user = services.check_credentials(form.email.data or "", password)
        except DomainError as exc:
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            services.record_login(user, password, now=clock.now())
            db.session.commit()
            _start_session(user)
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            target = form.next.data
            return redirect(target if is_safe_next(target) else url_for("home.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    # CSRFProtect has already checked the token, as for every POST.
    if current_user.is_authenticated:
        services.end_all_sessions(current_user)
        db.session.commit()
    logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> ResponseReturnValue:
    offered = mail_labels.notices_for(current_user)
    wanted = mail.wanted_notices(current_user.id)
    ticked = [item.notice.value for item in offered if item.notice in wanted]
    form = ProfileForm(obj=current_user, notices=ticked)
    form.notices.choices = [(item.notice.value, item.label) for item in offered]
    if form.validate_on_submit():
        try:
            services.update_profile(current_user, name=form.name.data or "")
            services.set_locale(current_user, form.locale.data or "")
            if form.notices_shown.data == "1":
                services.choose_notifications(
                    current_user,
                    [Notice(value) for value in form.notices.data or []],
                    offered=[item.notice for item in offered],
                )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            session["locale"] = current_user.locale
            flash(_("Your details have been saved."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, notice_labels=offered)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user, form.current.data or "", form.new.data or "", now=clock.now()
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc, rename={"password": "new"})
        else:
            db.session.commit()
            # Other sessions ended with the version bump; this one carries on.
            _start_session(current_user._get_current_object())
            flash(
                _("Your password has been changed. Other sessions have been logged out."), "success"
            )
            return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form)


def _reset_account() -> str:
    return "password-reset:" + request.form.get("email", "").strip().lower()[:254]


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["PASSWORD_RESET_LIMIT_PER_ADDRESS"],
    methods=["POST"],
)
@limiter.limit(
    lambda: current_app.config["PASSWORD_RESET_LIMIT_PER_ACCOUNT"],
    methods=["POST"],
    key_func=_reset_account,
)
def forgot_password() -> ResponseReturnValue:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        # The same answer whether or not the account exists (or is active).
        services.request_password_reset(form.email.data or "", now=clock.now())
        db.session.commit()
        return redirect(url_for("auth.forgot_password", sent=1))
    sent = request.args.get("sent") == "1" and request.method == "GET"
    return render_template("auth/forgot.html", form=form, sent=sent)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> ResponseReturnValue:
    now = clock.now()
    user = services.user_for_reset_token(token, now=now, lock=request.method == "POST")
    if user is None:
        page = render_template("auth/reset.html", form=None, token=token)
        return _private(make_response(page, 400))
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            services.reset_password(user, form.new.data or "", now=now)
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc, rename={"password": "new"})
        else:
            db.session.commit()
            flash(_("Your password has been changed. Log in with your new password."), "success")
            return _private(redirect(url_for("auth.login")))
    return _private(make_response(render_template("auth/reset.html", form=form, token=token)))


def _private(response: BaseResponse) -> BaseResponse:
    """The reset link is a secret: never sent on as a Referer, never kept in a cache."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/language", methods=["POST"])
def language() -> ResponseReturnValue:
    form = LanguageForm()
    target = request.form.get("next", "")
    if form.validate_on_submit():
        locale = form.locale.data or current_app.config["BABEL_DEFAULT_LOCALE"]
        session["locale"] = locale
        if current_user.is_authenticated:
            services.set_locale(current_user, locale)
            db.session.commit()
    return redirect(target if is_safe_next(target) else url_for("home.index"))
