"""Settings for the test suite; the tests pass the database URL themselves."""

TESTING = True
SECRET_KEY = "testing-only-secret"  # noqa: S105 - never used outside the tests
SERVER_NAME = "eventhub.test"
SITE_URL = "http://eventhub.test"
MAIL_DEFAULT_SENDER = "eventhub <no-reply@eventhub.test>"
MAIL_RETRY_BASE_SECONDS = 1
# Tests sign in many times from one address; the rate-limit test sets its own limit.
LOGIN_RATE_LIMIT = "10000 per minute"
SIGNUP_RATE_LIMIT = "100000 per minute"  # races of many signups from one test address
API_TOKEN_RATE_LIMIT = "100000 per minute"  # noqa: S105 - a rate; the API limit test sets its own
# Each test's app counts its own limits; tests/test_limits.py checks the shared stores.
RATELIMIT_STORAGE_URI = "memory://"
# Passwords hashed cheaply: scrypt's default costs over a second per hash on a busy CI
# machine, paid at every account made and every sign-in. Production keeps the default.
PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - a hashing method
# The webhook tests run their receivers on loopback; the SSRF test turns these off.
WEBHOOK_ALLOW_PRIVATE_TARGETS = True
WEBHOOK_ALLOW_HTTP_LOOPBACK = True
WEBHOOK_RETRY_BASE_SECONDS = 1
