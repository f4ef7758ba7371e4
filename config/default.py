"""Default settings: an embedded SQLite database in the instance folder and mail to the log.

Every key can be overridden from the environment as ``EVENTHUB_<KEY>`` (values are parsed as
JSON where they can be, so ``EVENTHUB_MAIL_PORT=587`` is a number). ``EVENTHUB_DATABASE_URL``
is the short way to point at PostgreSQL, e.g.
``postgresql+psycopg://eventhub@127.0.0.1/eventhub``.
"""

# None means: sqlite:///<instance folder>/eventhub.db
DATABASE_URL = None
SQLALCHEMY_ENGINE_OPTIONS: dict = {}

# Required in production (set EVENTHUB_SECRET_KEY, the same on every app server); only a
# development run (config/development.py, flask --debug) generates one into the instance folder.
SECRET_KEY = None

# Registration forms are small; anything larger is refused with 413.
MAX_CONTENT_LENGTH = 256 * 1024

# Imports by file (attendance sheets, guidance logs, past events): the largest file and the
# most rows below its header accepted. An upload larger than the file limit is refused
# before it is read, with a message saying so.
IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_MAX_ROWS = 20_000

WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session; phones stay on a page

BABEL_DEFAULT_LOCALE = "en"
BABEL_DEFAULT_TIMEZONE = "Europe/Helsinki"
LANGUAGES = ["fi", "lv", "et", "en"]

# The address used in links inside mail and calendar feeds, e.g. "https://events.example.fi".
# Required in production: links are never built from the request's Host header, which anyone
# can forge. A development run without one links to http://127.0.0.1:5000.
SITE_URL = None
SITE_NAME = "eventhub"

# Mail. With no MAIL_SERVER, messages are written to the log (development only).
MAIL_SERVER = None
MAIL_PORT = 25
MAIL_USE_TLS = False
MAIL_USE_SSL = False
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_DEFAULT_SENDER = "eventhub <no-reply@eventhub.localhost>"
MAIL_TIMEOUT = 10
# "inline": the request that queued a message delivers it right after its commit.
# "worker": only the worker (`flask eventhub worker`) delivers (production).
MAIL_DELIVERY = "inline"
# Seconds between delivery attempts grow as base * 2**attempts, capped; after the last
# attempt a message is marked failed and kept for an operator to look at.
MAIL_RETRY_BASE_SECONDS = 30
MAIL_RETRY_MAX_SECONDS = 3600
MAIL_MAX_ATTEMPTS = 12

# How long a sender holds the messages it claimed; longer than a batch takes to send (a
# claim that runs out mid-batch lets another sender send the rest again).
MAIL_CLAIM_SECONDS = 300

# Hours before an event's start when the reminder is sent.
REMINDER_HOURS_BEFORE = 24
# The survey mail goes only for events closed within this many days.
SURVEY_MAX_AGE_DAYS = 14

# The worker (`flask --app wsgi eventhub worker`): items per batch of queued work, seconds
# between passes when there is nothing to do, and how long a worker holds a periodic job
# without renewing it (it renews every third of that while the job runs; a worker that dies
# leaves the job to another after at most this long).
WORKER_BATCH = 50
WORKER_POLL_SECONDS = 5
JOB_LEASE_SECONDS = 60
# How often the periodic jobs run, in seconds (once per due time across all workers).
REMINDERS_EVERY_SECONDS = 300
SURVEYS_EVERY_SECONDS = 3600
RETENTION_EVERY_SECONDS = 86400

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Sign-in attempts and signups are rate limited, counted in one place for every app server:
# Redis when this names it (redis://127.0.0.1:6379/0); None means the database
# (eventhub.limits). memory:// counts per process: right only where one process serves
# (`make run`, config/development.py).
RATELIMIT_STORAGE_URI = None
RATELIMIT_HEADERS_ENABLED = True
# A store that cannot be reached (the database restarting) lets the request through and is
# logged, rather than turning every page into an error.
RATELIMIT_SWALLOW_ERRORS = True
LOGIN_RATE_LIMIT = "10 per minute; 50 per hour"
# Signing up sends mail to the address typed: limited per client address.
SIGNUP_RATE_LIMIT = "30 per minute; 300 per hour"
# How passwords are hashed (werkzeug's method string); the default is werkzeug's scrypt.
PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a hashing method, not a password
# A password reset link works once, for this many seconds.
PASSWORD_RESET_MAX_AGE = 3600
# An invitation to an organiser account works once, for this many seconds (a week: the
# invited colleague may be away for a few days).
INVITATION_MAX_AGE = 7 * 24 * 3600

# Calendar feeds cover this many days back and all the future.
CALENDAR_PAST_DAYS = 90
# Calendar components kept built in each worker (one per event revision).
CALENDAR_CACHE_SIZE = 50_000
# How often a worker checks whether a cached feed is still current; another worker's edit
# shows in feeds after at most this many seconds (this worker's own edits at once).
CALENDAR_RECHECK_SECONDS = 5

# How many reverse proxies stand in front of the app (0: none). With 1, the client address
# (for rate limits) and scheme come from the proxy's X-Forwarded-For / -Proto headers.
PROXIES = 0

# Logs: "text" (one readable line per record) or "json" (one JSON object per line, for a log
# shipper). Every record carries the request's id; see docs/operations.md.
LOG_FORMAT = "text"
LOG_LEVEL = "INFO"

# /metrics (Prometheus) answers only these client addresses or networks (after PROXIES is
# applied), or a request with "Authorization: Bearer <METRICS_TOKEN>". Everyone else gets 404.
# Empty and None: /metrics is closed.
METRICS_ALLOW_FROM: list[str] = []
METRICS_TOKEN = None

# Error reports to Sentry (or a Sentry-compatible server) when set; needs the optional
# dependency: pip install 'eventhub[sentry]'.
SENTRY_DSN = None
SENTRY_ENVIRONMENT = "production"

# The write API: requests per token (flask-limiter syntax), counted like the other limits.
API_TOKEN_RATE_LIMIT = "120 per minute; 3000 per hour"  # noqa: S105 - a rate, not a secret
# Webhooks (eventhub.core.services.webhooks). A hook may point at private or loopback
# addresses only when the administrator allows it here (an intranet receiver); plain http
# only to loopback, and only where this is on (development, tests).
WEBHOOK_ALLOW_PRIVATE_TARGETS = False
WEBHOOK_ALLOW_HTTP_LOOPBACK = False
WEBHOOK_TIMEOUT_SECONDS = 10
# Retries wait base * 2**attempts seconds, capped; a notice is given up three days after it
# was made (the ones after it in the hook's queue then go on).
WEBHOOK_RETRY_BASE_SECONDS = 30
WEBHOOK_RETRY_MAX_SECONDS = 6 * 3600
WEBHOOK_RETRY_FOR_SECONDS = 3 * 24 * 3600
