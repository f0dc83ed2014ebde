from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from straxlab.auth.rules import Permission
from straxlab.core import clock
from straxlab.equipment import desk_queries, queries

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    now = clock.now()
    context = {}
    if current_user.can(Permission.RESERVE):
        context.update(queries.teacher_home(current_user, now))
    if current_user.can(Permission.LEND):
        context.update(desk_queries.desk_today(now))
    return render_template(f"home/{current_user.role.value}.html", now=now, **context)
