"""Two portal boxes on one PostgreSQL and one Redis, as `make run-cluster` lays them out.

Each box is its own gunicorn with its own instance folder and port on 127.0.0.1; they share
the database (and the PostgreSQL search tables in it), Redis (sessions' rate limits, live
wake-ups, stream counts), the SECRET_KEY and the attachments directory. Rasa is not running.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.stack import ROOT, _flask, _free_port, _gunicorn_extra_args, _server_env, _stop, _wait_healthy

# CI's PostgreSQL (.ci/run): the test runs on the SQLite pass too, with a database of its own.
CI_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
CI_REDIS_URL = "redis://127.0.0.1:6379/0"
CLUSTER_DATABASE = "calmline_two_boxes"
METRICS_TOKEN = "two-boxes-metrics-token"


@dataclass
class Cluster:
    urls: list[str]
    attachment_dir: Path
    database_url: str
    tmp: Path
    logs: list[Path]  # each box's stderr: JSON request lines


def fresh_database(name: str = CLUSTER_DATABASE) -> str:
    """An empty database beside TEST_DATABASE_URL's (or CI's), so neither test pass is disturbed."""
    import psycopg

    url = os.environ.get("TEST_DATABASE_URL") or CI_DATABASE_URL
    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1).replace("postgres://", "postgresql://", 1)
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return f"{conninfo.rpartition('/')[0]}/{name}"


@contextmanager
def running_boxes(boxes: int = 2, workers: int = 2, threads: int = 8, **overrides):
    """Migrate once, then start `boxes` gunicorns on free ports; yields a Cluster."""
    tmp = Path(tempfile.mkdtemp(prefix="calmline-cluster-"))
    procs: list[subprocess.Popen] = []
    try:
        shared = tmp / "attachments"  # on several machines: a shared mount (NFS, EFS...)
        shared.mkdir()
        database_url = fresh_database()
        common = {"DATABASE_URL": database_url, "REDIS_URL": os.environ.get("REDIS_URL") or CI_REDIS_URL,
                  "SEARCH_BACKEND": "postgresql", "SEARCH_SEMANTIC": "0", "ATTACHMENT_DIR": str(shared),
                  "SECRET_KEY": "two-boxes-one-secret-key-shared-by-both-of-them", "LOG_FORMAT": "json",
                  "METRICS_TOKEN": METRICS_TOKEN}
        common.update({k: str(v) for k, v in overrides.items()})
        envs = []
        for n in range(boxes):
            instance = tmp / f"box-{n}"
            (instance / "metrics").mkdir(parents=True)  # each box adds up its own workers
            envs.append({**_server_env(instance), **common, "PROMETHEUS_MULTIPROC_DIR": str(instance / "metrics")})
        for command in (("db", "upgrade"), ("kb", "sync"), ("seed", "demo"), ("search", "reindex")):
            _flask(envs[0], *command)  # once, before the boxes start
        urls, logs = [], []
        for n, env in enumerate(envs):
            port = _free_port()
            log = tmp / f"box-{n}.log"
            logs.append(log)
            with open(log, "wb") as err:
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "gthread", "--threads", str(threads),
                     "-b", f"127.0.0.1:{port}", "--graceful-timeout", "5", *_gunicorn_extra_args(), "wsgi:app"],
                    cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err))
            urls.append(f"http://127.0.0.1:{port}")
            _wait_healthy(urls[-1], procs[-1], log)
        yield Cluster(urls, shared, database_url, tmp, logs)
    finally:
        for proc in procs:
            _stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
