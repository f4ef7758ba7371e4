"""Settings for `make run`: the demo on http://127.0.0.1:5000, one process, mail to the log.

Point EVENTHUB_CONFIG at this file to run the development commands by hand, e.g.
``EVENTHUB_CONFIG=config/development.py .venv/bin/flask --app wsgi eventhub demo``.
"""

# What production must be given is taken for granted here: a secret key generated once into
# the instance folder, links to the local server, whole messages written to the log.
DEVELOPMENT = True
SITE_URL = "http://127.0.0.1:5000"
# One process serves: its own memory is the only store its limits need.
RATELIMIT_STORAGE_URI = "memory://"

# Webhooks to a receiver on this machine (http://127.0.0.1:...) while developing.
WEBHOOK_ALLOW_PRIVATE_TARGETS = True
WEBHOOK_ALLOW_HTTP_LOOPBACK = True
