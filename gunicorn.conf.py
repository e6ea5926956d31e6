"""gunicorn reads this file from the working directory (its default `./gunicorn.conf.py`).

It tells the application how many workers serve it: portal/config.py refuses to start in
production with several workers and rate limits in per-process memory (no REDIS_URL).
"""

import os


def on_starting(server) -> None:
    # Runs in the master before the workers fork: they inherit the variable.
    os.environ["CALMLINE_WORKERS"] = str(server.cfg.workers)
