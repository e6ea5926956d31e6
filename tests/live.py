"""Live processes for tests that meet the real thing: gunicorn, Rasa, the action server.

Shared by the browser tests (tests/e2e) and the bot integration tests (tests/integration).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

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
        pytest.fail(f"`flask {' '.join(args)}` failed ({result.returncode}):\n{result.stdout}\n{result.stderr}",
                    pytrace=False)


def _gunicorn_extra_args() -> list[str]:
    """Newer gunicorn opens a control socket in ~/.gunicorn by default: one per run would clash."""
    try:
        from gunicorn.config import KNOWN_SETTINGS
    except ImportError:
        return []
    return ["--no-control-socket"] if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS) else []


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
    pytest.fail(f"the live server did not become healthy within {STARTUP_TIMEOUT:.0f}s "
                f"(exit code {proc.returncode}, last: {last}).\ngunicorn stderr:\n{stderr[-4000:]}", pytrace=False)


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
        "REGISTER_RATE_LIMIT": "1000 per minute",
        "PYTHONUNBUFFERED": "1",
        # These browser tests cover the portal with the assistant down; nothing listens on port 9.
        "RASA_URL": "http://127.0.0.1:9",
        "RASA_TIMEOUT_SECONDS": "2",
        "CHAT_RATE_LIMIT": "1000 per minute",
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
