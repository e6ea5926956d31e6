"""gunicorn reads this file from the directory it starts in (the repository: the Procfile, tests/stack.py).

It tells the application how many workers serve it (portal/config.py refuses to start in
production with several workers and rate limits in per-process memory, no REDIS_URL), and
checks that event streams leave each worker threads for everything else.
"""

import os


def on_starting(server) -> None:
    # Runs in the master before the workers fork: they inherit the variable.
    os.environ["CALMLINE_WORKERS"] = str(server.cfg.workers)


def post_worker_init(worker):
    """Event streams must leave a worker threads for everything else: refuse to start otherwise."""
    from gunicorn.arbiter import Arbiter

    from portal.config import ConfigError
    from portal.events.streams import fit_streams_to_threads

    try:
        streams = fit_streams_to_threads(worker.wsgi.config, worker.cfg.threads)
    except ConfigError as exc:
        worker.log.error("%s", exc)
        raise SystemExit(Arbiter.WORKER_BOOT_ERROR) from None  # the arbiter stops: "Worker failed to boot"
    worker.log.info("event streams: at most %d of %d threads", streams, worker.cfg.threads)
