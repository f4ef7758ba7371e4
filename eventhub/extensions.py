"""Extensions, created unbound; ``create_app`` binds them with ``init_app``."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints so that Alembic can drop and alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
csrf = CSRFProtect()
mail = Mail()
babel = Babel()
login_manager = LoginManager()
# Storage from RATELIMIT_STORAGE_URI: memory:// by default, redis://... to share limits
# between app servers.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def _signup_limit() -> str:
    from flask import current_app

    return current_app.config["SIGNUP_RATE_LIMIT"]


# Public forms that send mail to an address anyone can type: limited per client address so
# nobody can flood someone's mailbox (or rotate their manage link) from a script.
signup_limit = limiter.limit(_signup_limit, methods=["POST"])
