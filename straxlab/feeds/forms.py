"""The feed page's form: make (or make new) calendar links."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField

from straxlab.core.forms import Form


class TokenForm(Form):
    # Asked only when links exist: new links switch the old ones off at once.
    confirm = BooleanField(_l("Yes, make new links. My old links stop working."))
