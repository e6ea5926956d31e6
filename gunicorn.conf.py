"""gunicorn reads this file from the directory it starts in (the repository: the Procfile, tests/stack.py).

It tells the application how many workers serve it (portal/config.py refuses to start in
production with several workers and rate limits in per-process memory, no REDIS_URL), and
checks that event streams leave each worker threads (gthread) or connections (gevent) for
everything else. It also gives the workers one directory for their Prometheus metrics
(PROMETHEUS_MULTIPROC_DIR), emptied at start, so /metrics on any worker adds up all of them.
"""

import os
import shutil
import tempfile
from pathlib import Path

_made_metrics_dir = None


def on_starting(server) -> None:
    # Runs in the master before the workers fork: they inherit the variables.
    os.environ["CALMLINE_WORKERS"] = str(server.cfg.workers)
    prepare_metrics_dir()


def prepare_metrics_dir() -> str:
    """PROMETHEUS_MULTIPROC_DIR as set (emptied: values of a previous run would be added in),
    or a fresh temporary directory removed at exit."""
    global _made_metrics_dir
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        Path(path).mkdir(parents=True, exist_ok=True)
        for old in Path(path).glob("*.db"):
            old.unlink(missing_ok=True)
    else:
        path = _made_metrics_dir = tempfile.mkdtemp(prefix="calmline-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path


def child_exit(server, worker) -> None:
    """A dead worker's open-stream gauge no longer counts (its counters and histograms still do)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    if _made_metrics_dir:
        shutil.rmtree(_made_metrics_dir, ignore_errors=True)


def post_worker_init(worker):
    """Event streams must leave a worker room for everything else: threads under gthread,
    connections under gevent (streams are greenlets there). Refuse to start otherwise."""
    from gunicorn.arbiter import Arbiter
    from gunicorn.workers.base_async import AsyncWorker

    from portal.config import ConfigError
    from portal.events.streams import fit_streams_to_worker

    connections = worker.worker_connections if isinstance(worker, AsyncWorker) else None
    try:
        streams = fit_streams_to_worker(worker.wsgi.config, worker.cfg.threads, connections)
    except ConfigError as exc:
        worker.log.error("%s", exc)
        raise SystemExit(Arbiter.WORKER_BOOT_ERROR) from None  # the arbiter stops: "Worker failed to boot"
    if connections is None:
        worker.log.info("event streams: at most %d of %d threads", streams, worker.cfg.threads)
    else:
        worker.log.info("event streams: at most %d of %d connections (%s)", streams, connections,
                        type(worker).__name__)
