"""Flask extensions, created once and bound to an app in ``create_app``."""

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from straxlab.core.db import Base

db = SQLAlchemy(model_class=Base)

if TYPE_CHECKING:
    # mypy cannot use a class made at run time (db.Model) as a base class; Base is its parent.
    Model = Base
else:
    Model = db.Model
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Storage comes from RATELIMIT_STORAGE_URI; only routes that ask for a limit get one.
limiter = Limiter(key_func=get_remote_address)
