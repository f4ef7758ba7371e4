"""An example for production. Copy it next to the deployment, fill it in, and point
EVENTHUB_CONFIG at it -- or set the same keys as EVENTHUB_<KEY> environment variables.
See docs/operations.md."""

DATABASE_URL = "postgresql+psycopg://eventhub@127.0.0.1:5432/eventhub"
SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 10, "max_overflow": 5, "pool_pre_ping": True}
# SECRET_KEY: set EVENTHUB_SECRET_KEY in the environment; never commit it.
SITE_URL = "https://events.example.fi"
SESSION_COOKIE_SECURE = True
PREFERRED_URL_SCHEME = "https"
MAIL_SERVER = "smtp.example.fi"
MAIL_PORT = 587
MAIL_USE_TLS = True
MAIL_DEFAULT_SENDER = "eventhub <events@example.fi>"
MAIL_DELIVERY = "worker"
PROXIES = 1  # nginx or Caddy in front, terminating TLS
RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379/0"
# Requests for any other host are refused, so a forged Host header cannot steer the links
# eventhub builds (password resets, manage links) to another site.
TRUSTED_HOSTS = ["events.example.fi"]
# One JSON object per log line, for journald or a log shipper (docs/operations.md).
LOG_FORMAT = "json"
# Prometheus scrapes /metrics with this bearer token (set EVENTHUB_METRICS_TOKEN in the
# environment, never here); METRICS_ALLOW_FROM only when it scrapes the app port directly.
METRICS_ALLOW_FROM: list[str] = []
# SENTRY_DSN: set EVENTHUB_SENTRY_DSN to report errors (pip install 'eventhub[sentry]').
