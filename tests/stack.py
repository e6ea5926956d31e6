"""Live processes for tests that meet the real thing: gunicorn, Rasa, the action server.

Shared by the browser tests (tests/e2e) and the bot integration tests (tests/integration).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.scripts.runtime_config import endpoints
from bot.scripts.runtime_config import write as write_endpoints
from portal.config import web_worker_class

ROOT = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT = 30.0
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


class LiveError(RuntimeError):
    """A live process could not be started; the message carries its log."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reset_postgres(url: str, env: dict[str, str]) -> None:
    """Start from an empty database: drop and recreate the public schema (fallback: downgrade base)."""
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1).replace("postgres://", "postgresql://", 1)
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
            conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
            conn.execute("CREATE SCHEMA public")
    except psycopg.Error as exc:
        print(f"e2e: could not recreate the public schema ({exc}); trying `flask db downgrade base`")
        subprocess.run([sys.executable, "-m", "flask", "db", "downgrade", "base"], cwd=ROOT, env=env,
                       check=False, capture_output=True, text=True, timeout=120)


def _flask(env: dict[str, str], *args: str) -> None:
    result = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env,
                            check=False, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise LiveError(f"`flask {' '.join(args)}` failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")


def _gunicorn_extra_args() -> list[str]:
    """Newer gunicorn opens a control socket in ~/.gunicorn by default: one per run would clash."""
    try:
        from gunicorn.config import KNOWN_SETTINGS
    except ImportError:
        return []
    return ["--no-control-socket"] if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS) else []


WORKER_CONNECTIONS = 1000  # gunicorn's default for gevent; the Procfile gives 2000


def worker_args(worker_class: str, threads: int = 4, connections: int = WORKER_CONNECTIONS) -> list[str]:
    """gunicorn's worker options: gevent as in the Procfile (a stream is a greenlet), or gthread
    where a test is about threads (each open stream holds one)."""
    if worker_class == "gevent":
        return ["-k", "gevent", "--worker-connections", str(connections)]
    return ["-k", worker_class, "--threads", str(threads)]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}: {exc.read()[:500]!r}"
        except OSError as exc:
            last = repr(exc)
        time.sleep(0.2)
    _stop(proc)  # so the log is complete before it is printed
    stderr = log.read_text(errors="replace") if log.exists() else ""
    print(f"gunicorn stderr:\n{stderr}")
    raise LiveError(f"the live server did not become healthy within {STARTUP_TIMEOUT:.0f}s "
                f"(exit code {proc.returncode}, last: {last}).\ngunicorn stderr:\n{stderr[-4000:]}")


def _server_env(instance: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "CALMLINE_INSTANCE_DIR": str(instance),
        "CALMLINE_ENV": "development",
        "FLASK_APP": "wsgi",
        "SECRET_KEY": "e2e-secret",
        "SEARCH_INDEX_DIR": str(instance / "search_index"),
        "KB_ARTICLES_DIR": str(ROOT / "kb_articles"),
        "SESSION_COOKIE_SECURE": "0",  # plain http on 127.0.0.1
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "LOGIN_ACCOUNT_RATE_LIMIT": "1000 per minute",
        "REGISTER_RATE_LIMIT": "1000 per minute",
        "PYTHONUNBUFFERED": "1",
        # These browser tests cover the portal with the assistant down; nothing listens on port 9.
        "RASA_URL": "http://127.0.0.1:9",
        "RASA_TIMEOUT_SECONDS": "2",
        "CHAT_RATE_LIMIT": "1000 per minute",
        # Live handoffs are answered whenever an agent's console is open, whatever the clock says.
        "BUSINESS_HOURS": "always",
        # A live reply is mailed to a customer whose chat has been closed this long (60 in production):
        # short, so a browser test sees it within seconds; longer than the event stream's 5 s beat.
        "CUSTOMER_AWAY_SECONDS": "10",
    })
    env.pop("REDIS_URL", None)  # per-worker memory limits; never share counters with a dev Redis
    pg_url = os.environ.get("TEST_DATABASE_URL")
    env["DATABASE_URL"] = pg_url or f"sqlite:///{instance / 'calmline.db'}"
    return env


def _stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# ---- the whole chat stack: portal, Rasa server with the trained model, action server ----

BOT = ROOT / "bot"
BOT_PYTHON = BOT / ".venv" / "bin" / "python"
# CALMLINE_BOT_MODEL tries a model trained elsewhere (e.g. bot/results/models/...) without
# touching the one `make bot-train` owns.
MODEL = Path(os.environ.get("CALMLINE_BOT_MODEL") or BOT / "models" / "calmline.tar.gz")
RASA_STARTUP_TIMEOUT = 240.0
# Secrets reach the processes in their environment (never argv); Rasa and the action server
# refuse ones shorter than 32 characters.
RASA_TOKEN = "stack-rasa-secret-signing-the-portals-jwts"
ACTION_TOKEN = "stack-action-server-secret-rasa-sends-it"
SERVICE_TOKEN = "stack-service-token"


@dataclass
class Stack:
    portal_url: str
    rasa_url: str
    action_url: str
    database_url: str
    tracker_store: dict  # the store Rasa was given (bot/scripts/runtime_config.py)
    tmp: Path
    processes: dict

    def rasa_tracker(self, conversation_id: str) -> dict:
        request = urllib.request.Request(f"{self.rasa_url}/conversations/{conversation_id}/tracker",
                                         headers=_rasa_auth())
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)


def _rasa_auth() -> dict[str, str]:
    """What the portal sends Rasa's HTTP API: a JWT signed with RASA_TOKEN (bot/rasa_server.py)."""
    from portal.chat.rasa_client import RasaClient

    return RasaClient("http://unused", RASA_TOKEN).auth_headers()


def _stack_database() -> str | None:
    """A fresh PostgreSQL database beside TEST_DATABASE_URL's, or None for SQLite."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return None
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
        conn.execute("DROP DATABASE IF EXISTS calmline_stack WITH (FORCE)")
        conn.execute("CREATE DATABASE calmline_stack")
    base, _, _ = conninfo.rpartition("/")
    return f"{base}/calmline_stack"


def _wait_for(url: str, proc: subprocess.Popen, log: Path, timeout: float, ready=lambda body: True,
              headers=dict) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers()), timeout=5) as response:
                body = response.read()
                if response.status == 200 and ready(body):
                    return
                last = f"HTTP {response.status} {body[:200]!r}"
        except (urllib.error.URLError, OSError) as exc:
            last = repr(exc)
        time.sleep(0.5)
    _stop(proc)
    raise LiveError(f"{url} did not come up within {timeout:.0f}s (exit {proc.returncode}, last: {last}).\n"
                    f"log:\n{log.read_text(errors='replace')[-6000:]}")


def _model_loaded(body: bytes) -> bool:
    try:
        return bool(json.loads(body).get("model_file"))
    except ValueError:
        return False


@contextmanager
def running_stack(workers: int = 2):
    """Portal (gunicorn), action server and Rasa on free ports; yields a Stack, stops them after."""
    if not BOT_PYTHON.exists():
        raise LiveError("bot/.venv is missing: run `make bot-install` (make test does).")
    if not MODEL.exists():
        raise LiveError("bot/models/calmline.tar.gz is missing: run `make bot-train` (make test does).")
    tmp = Path(tempfile.mkdtemp(prefix="calmline-stack-"))
    procs: dict[str, subprocess.Popen] = {}
    try:
        instance = tmp / "instance"
        instance.mkdir()
        portal_port, rasa_port, action_port = _free_port(), _free_port(), _free_port()
        portal_url = f"http://127.0.0.1:{portal_port}"
        rasa_url = f"http://127.0.0.1:{rasa_port}"
        action_url = f"http://127.0.0.1:{action_port}"
        pg = _stack_database()

        env = _server_env(instance)
        env.update({"RASA_URL": rasa_url, "RASA_TOKEN": RASA_TOKEN, "RASA_TIMEOUT_SECONDS": "30",
                    "BOT_SERVICE_TOKEN": SERVICE_TOKEN})
        if pg:
            env["DATABASE_URL"] = pg
        for command in (("db", "upgrade"), ("kb", "sync"), ("seed", "demo"), ("search", "reindex")):
            _flask(env, *command)
        log = tmp / "portal.log"
        with open(log, "wb") as err:
            procs["portal"] = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", str(workers), *worker_args(web_worker_class(env.get("DATABASE_URL"))),
                 "-b", f"127.0.0.1:{portal_port}",
                 "--graceful-timeout", "5", *_gunicorn_extra_args(), "wsgi:app"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _wait_healthy(portal_url, procs["portal"], log)

        bot_env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONHOME"))}
        bot_env.update({"PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false", "PYTHONUNBUFFERED": "1",
                        "OPENBLAS_NUM_THREADS": "1",  # as in the Procfile: one BLAS thread per embedding
                        "CALMLINE_PORTAL_URL": portal_url, "BOT_SERVICE_TOKEN": SERVICE_TOKEN,
                        "ACTION_SERVER_URL": f"{action_url}/webhook", "ACTION_SERVER_TOKEN": ACTION_TOKEN,
                        "RASA_TOKEN": RASA_TOKEN})
        if pg:
            bot_env["RASA_TRACKER_URL"] = pg
        # With REDIS_URL set (CI), Rasa gets its Redis lock store, as under `make run`.
        log = tmp / "actions.log"
        with open(log, "wb") as out:
            procs["actions"] = subprocess.Popen(
                [str(BOT_PYTHON), "-W", "ignore", "-m", "bot.actions.server", "--interface", "127.0.0.1",
                 "--port", str(action_port)], cwd=BOT, env=bot_env, stdout=out, stderr=subprocess.STDOUT)
        _wait_for(f"{action_url}/health", procs["actions"], log, 120)

        endpoints_file = tmp / "endpoints.yml"
        rasa_endpoints = endpoints(bot_env, instance)
        write_endpoints(endpoints_file, rasa_endpoints)
        log = tmp / "rasa.log"
        with open(log, "wb") as out:
            procs["rasa"] = subprocess.Popen(
                [str(BOT_PYTHON), "-W", "ignore", "-m", "bot.rasa_server", "--enable-api",
                 "--port", str(rasa_port), "--interface", "127.0.0.1", "--model", str(MODEL),
                 "--endpoints", str(endpoints_file), "--credentials", str(BOT / "credentials.yml")],
                cwd=BOT, env=bot_env, stdout=out, stderr=subprocess.STDOUT)
        _wait_for(f"{rasa_url}/status", procs["rasa"], log, RASA_STARTUP_TIMEOUT, _model_loaded, _rasa_auth)
        yield Stack(portal_url, rasa_url, action_url, env["DATABASE_URL"], rasa_endpoints["tracker_store"], tmp,
                    procs)
    finally:
        for proc in procs.values():
            _stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)


# ---- the portal alone under gunicorn (live chat faults and the live benchmark) ----

@dataclass
class Portal:
    url: str
    proc: subprocess.Popen
    env: dict
    tmp: Path

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []


@contextmanager
def running_portal(workers: int = 2, threads: int = 32, use_redis: bool = False, database_url: str | None = None,
                   worker_class: str | None = None, worker_connections: int = WORKER_CONNECTIONS, **overrides):
    """A migrated, seeded portal under gunicorn (the Procfile's worker for its database unless
    `worker_class` says: gevent on PostgreSQL, gthread on SQLite, whose `threads` count); Rasa is
    not running (port 9).

    use_redis keeps REDIS_URL (live delivery then wakes streams through Redis pub/sub);
    database_url defaults to a SQLite file in a temporary instance folder.
    """
    tmp = Path(tempfile.mkdtemp(prefix="calmline-portal-"))
    proc = None
    try:
        instance = tmp / "instance"
        instance.mkdir()
        env = _server_env(instance)
        env["DATABASE_URL"] = database_url or f"sqlite:///{instance / 'calmline.db'}"
        if use_redis and os.environ.get("REDIS_URL"):
            env["REDIS_URL"] = os.environ["REDIS_URL"]
        env.update({k: str(v) for k, v in overrides.items()})
        for command in (("db", "upgrade"), ("kb", "sync"), ("seed", "demo")):
            _flask(env, *command)
        port = _free_port()
        log = tmp / "portal.log"
        with open(log, "wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", str(workers),
                 *worker_args(worker_class or web_worker_class(env["DATABASE_URL"]), threads, worker_connections),
                 "--keep-alive", "10",
                 "-b", f"127.0.0.1:{port}", "--graceful-timeout", "5", *_gunicorn_extra_args(), "wsgi:app"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, proc, log)
        yield Portal(url, proc, env, tmp)
    finally:
        _stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
