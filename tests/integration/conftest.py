"""The whole chat stack, for real: portal under gunicorn, the Rasa server with the trained
model, and the action server, talking to each other over HTTP exactly as in `make run`.

The model comes from `make test` (bot/scripts/train_if_changed.py trains it when the bot's
data changed). With TEST_DATABASE_URL set, the portal and Rasa's tracker store both use a
fresh PostgreSQL database of their own (`calmline_stack`), so the browser tests' server,
which owns the `test` database, is never disturbed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.scripts.runtime_config import endpoints
from tests.live import ROOT, _flask, _free_port, _gunicorn_extra_args, _server_env, _stop, _wait_healthy

BOT = ROOT / "bot"
BOT_PYTHON = BOT / ".venv" / "bin" / "python"
MODEL = BOT / "models" / "calmline.tar.gz"
RASA_STARTUP_TIMEOUT = 240.0
RASA_TOKEN = "stack-rasa-token"
SERVICE_TOKEN = "stack-service-token"


@dataclass
class Stack:
    portal_url: str
    rasa_url: str
    action_url: str
    database_url: str
    tmp: Path
    processes: dict

    def rasa_tracker(self, conversation_id: str) -> dict:
        url = f"{self.rasa_url}/conversations/{conversation_id}/tracker?token={RASA_TOKEN}"
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.load(response)


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


def _wait_for(url: str, proc: subprocess.Popen, log: Path, timeout: float, ready=lambda body: True) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                body = response.read()
                if response.status == 200 and ready(body):
                    return
                last = f"HTTP {response.status} {body[:200]!r}"
        except (urllib.error.URLError, OSError) as exc:
            last = repr(exc)
        time.sleep(0.5)
    _stop(proc)
    pytest.fail(f"{url} did not come up within {timeout:.0f}s (exit {proc.returncode}, last: {last}).\n"
                f"log:\n{log.read_text(errors='replace')[-6000:]}", pytrace=False)


def _model_loaded(body: bytes) -> bool:
    try:
        return bool(json.loads(body).get("model_file"))
    except ValueError:
        return False


@pytest.fixture(scope="session")
def stack():
    if not BOT_PYTHON.exists():
        pytest.fail("bot/.venv is missing: run `make bot-install` (make test does).", pytrace=False)
    if not MODEL.exists():
        pytest.fail("bot/models/calmline.tar.gz is missing: run `make bot-train` (make test does).", pytrace=False)
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
                [sys.executable, "-m", "gunicorn", "-w", "2", "--threads", "4", "-k", "gthread",
                 "-b", f"127.0.0.1:{portal_port}", "--graceful-timeout", "5", *_gunicorn_extra_args(), "wsgi:app"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _wait_healthy(portal_url, procs["portal"], log)

        bot_env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONHOME"))}
        bot_env.update({"PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false", "PYTHONUNBUFFERED": "1",
                        "CALMLINE_PORTAL_URL": portal_url, "BOT_SERVICE_TOKEN": SERVICE_TOKEN,
                        "ACTION_SERVER_URL": f"{action_url}/webhook"})
        if pg:
            bot_env["RASA_TRACKER_URL"] = pg
        bot_env.pop("REDIS_URL", None)
        log = tmp / "actions.log"
        with open(log, "wb") as out:
            procs["actions"] = subprocess.Popen(
                [str(BOT_PYTHON), "-W", "ignore", "-m", "rasa_sdk", "--actions", "bot.actions",
                 "--port", str(action_port)], cwd=BOT, env=bot_env, stdout=out, stderr=subprocess.STDOUT)
        _wait_for(f"{action_url}/health", procs["actions"], log, 120)

        endpoints_file = tmp / "endpoints.yml"
        endpoints_file.write_text(json.dumps(endpoints(bot_env, instance)))
        log = tmp / "rasa.log"
        with open(log, "wb") as out:
            procs["rasa"] = subprocess.Popen(
                [str(BOT_PYTHON), "-W", "ignore", "-m", "rasa", "run", "--enable-api", "--auth-token", RASA_TOKEN,
                 "--port", str(rasa_port), "--interface", "127.0.0.1", "--model", str(MODEL),
                 "--endpoints", str(endpoints_file), "--credentials", str(BOT / "credentials.yml")],
                cwd=BOT, env=bot_env, stdout=out, stderr=subprocess.STDOUT)
        _wait_for(f"{rasa_url}/status?token={RASA_TOKEN}", procs["rasa"], log, RASA_STARTUP_TIMEOUT, _model_loaded)
        yield Stack(portal_url, rasa_url, action_url, env["DATABASE_URL"], tmp, procs)
    finally:
        for proc in procs.values():
            _stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
