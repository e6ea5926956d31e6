"""Several Rasa servers, each with its own action server, on one PostgreSQL tracker store and
one Redis lock store: the bot side of `make run-cluster` (Procfile.cluster), on free ports.

Each Rasa loads the trained model (tens of seconds, ~1.3 GB each): start them once per module.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bot.scripts.runtime_config import endpoints
from bot.scripts.runtime_config import write as write_endpoints
from tests.cluster import CI_REDIS_URL, fresh_database
from tests.stack import (
    ACTION_TOKEN,
    BOT,
    BOT_PYTHON,
    MODEL,
    RASA_STARTUP_TIMEOUT,
    RASA_TOKEN,
    LiveError,
    _free_port,
    _model_loaded,
    _rasa_auth,
    _stop,
    _wait_for,
)

BOTS_DATABASE = "calmline_rasa_pair"


@dataclass
class Bot:
    name: str
    rasa_url: str
    action_url: str
    rasa: subprocess.Popen
    actions: subprocess.Popen
    log: Path


def _bot_env(tracker_url: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONHOME"))}
    db = urlsplit(redis_url).path.lstrip("/") or "0"
    env.update({"PYTHONPATH": str(BOT.parent), "RASA_TELEMETRY_ENABLED": "false", "PYTHONUNBUFFERED": "1",
                "OPENBLAS_NUM_THREADS": "1", "RASA_TOKEN": RASA_TOKEN, "ACTION_SERVER_TOKEN": ACTION_TOKEN,
                "CALMLINE_PORTAL_URL": "http://127.0.0.1:9",  # no portal: these turns never call it
                "RASA_TRACKER_URL": tracker_url, "REDIS_URL": redis_url,
                "RASA_LOCK_REDIS_DB": db})  # the locks in the tests' own Redis database
    return env


@contextmanager
def running_bots(names: tuple[str, ...] = ("a", "b")):
    """Action servers, then all the Rasa servers at once (they load their models in parallel)."""
    if not BOT_PYTHON.exists():
        raise LiveError("bot/.venv is missing: run `make bot-install` (make test does).")
    if not MODEL.exists():
        raise LiveError("bot/models/calmline.tar.gz is missing: run `make bot-train` (make test does).")
    tmp = Path(tempfile.mkdtemp(prefix="calmline-bots-"))
    procs: list[subprocess.Popen] = []
    try:
        env = _bot_env(fresh_database(BOTS_DATABASE), os.environ.get("REDIS_URL") or CI_REDIS_URL)
        started = []
        for name in names:
            action_url = f"http://127.0.0.1:{_free_port()}"
            with open(tmp / f"actions-{name}.log", "wb") as out:
                actions = subprocess.Popen(
                    [str(BOT_PYTHON), "-W", "ignore", "-m", "bot.actions.server", "--interface", "127.0.0.1",
                     "--port", action_url.rsplit(":", 1)[1]], cwd=BOT, env=env, stdout=out, stderr=subprocess.STDOUT)
            procs.append(actions)
            endpoints_file = tmp / f"endpoints-{name}.yml"
            write_endpoints(endpoints_file, endpoints({**env, "ACTION_SERVER_URL": f"{action_url}/webhook"}, tmp))
            rasa_url = f"http://127.0.0.1:{_free_port()}"
            log = tmp / f"rasa-{name}.log"
            with open(log, "wb") as out:
                rasa = subprocess.Popen(
                    [str(BOT_PYTHON), "-W", "ignore", "-m", "bot.rasa_server", "--enable-api",
                     "--port", rasa_url.rsplit(":", 1)[1], "--interface", "127.0.0.1", "--model", str(MODEL),
                     "--endpoints", str(endpoints_file), "--credentials", str(BOT / "credentials.yml")],
                    cwd=BOT, env=env, stdout=out, stderr=subprocess.STDOUT)
            procs.append(rasa)
            started.append(Bot(name, rasa_url, action_url, rasa, actions, log))
        for bot in started:
            _wait_for(f"{bot.action_url}/health", bot.actions, tmp / f"actions-{bot.name}.log", 120)
            _wait_for(f"{bot.rasa_url}/status", bot.rasa, bot.log, RASA_STARTUP_TIMEOUT, _model_loaded, _rasa_auth)
        yield started
    finally:
        for proc in procs:
            _stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
