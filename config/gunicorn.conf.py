"""gunicorn settings for eventhub's metrics: ``gunicorn -c config/gunicorn.conf.py wsgi:app``.

With ``PROMETHEUS_MULTIPROC_DIR`` set (an empty directory the workers may write to), every
worker writes its counts to files there and ``/metrics`` adds up all workers' files. These
hooks keep that directory right: emptied when gunicorn starts (counts of an earlier run must
not be added in), and a worker that exits is marked dead. Other settings (workers, bind) are
given on the command line or in GUNICORN_CMD_ARGS as usual.
"""

import os
from pathlib import Path


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        # Only prometheus_client's own files (counter_<pid>.db, ...), never another .db that
        # a mistyped directory might hold (an SQLite database).
        for kind in ("counter", "gauge", "histogram", "summary"):
            for stale in Path(directory).glob(f"{kind}_*.db"):
                stale.unlink()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
