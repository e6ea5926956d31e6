"""Rasa's endpoints for this machine, from the environment (stdlib only).

Rasa's own endpoints.yml can expand ${VAR} but has no defaults and no "only when set",
so `make run` (and the live tests) render one here instead:

- action server: ACTION_SERVER_URL (default http://127.0.0.1:5055/webhook), and the secret it
  demands (ACTION_SERVER_TOKEN, sent as `Authorization: Bearer`, bot/actions/server.py): the
  rendered file holds it, so it is written readable by its owner only;
- tracker store: SQL. RASA_TRACKER_URL (postgresql://user:password@host:port/db) selects
  PostgreSQL; otherwise a SQLite file in the instance folder, so conversations survive restarts;
- lock store: Redis when REDIS_URL is set (Rasa's database 1 by default, RASA_LOCK_REDIS_DB),
  so several Rasa servers can share conversations; in-memory otherwise.

Usage: python bot/scripts/runtime_config.py OUT.yml [INSTANCE_DIR]
YAML is a superset of JSON, so the file is written as JSON.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit


def tracker_store(env: dict[str, str], instance_dir: Path) -> dict:
    url = env.get("RASA_TRACKER_URL", "").strip()
    if not url:
        return {"type": "SQL", "dialect": "sqlite", "db": str((instance_dir / "rasa_tracker.db").resolve())}
    parts = urlsplit(url)
    if parts.scheme.split("+")[0] not in ("postgresql", "postgres"):
        raise ValueError(f"RASA_TRACKER_URL must be a postgresql:// URL, not {parts.scheme}://")
    store = {"type": "SQL", "dialect": "postgresql", "url": parts.hostname or "127.0.0.1",
             "port": parts.port or 5432, "db": parts.path.lstrip("/") or "rasa"}
    if parts.username:
        store["username"] = unquote(parts.username)
    if parts.password:
        store["password"] = unquote(parts.password)
    return store


def lock_store(env: dict[str, str]) -> dict | None:
    url = env.get("REDIS_URL", "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    store = {"type": "redis", "url": parts.hostname or "127.0.0.1", "port": parts.port or 6379,
             "db": int(env.get("RASA_LOCK_REDIS_DB", "1")), "key_prefix": "calmline"}
    if parts.password:
        store["password"] = unquote(parts.password)
    return store


def action_endpoint(env: dict[str, str]) -> dict:
    token = env.get("ACTION_SERVER_TOKEN", "").strip()
    if not token:
        raise ValueError("ACTION_SERVER_TOKEN must be set: the action server refuses requests without it")
    return {"url": env.get("ACTION_SERVER_URL") or "http://127.0.0.1:5055/webhook",
            "headers": {"Authorization": f"Bearer {token}"}}


def write_private(path: Path, text: str) -> None:
    """Readable by its owner only from the first byte: the file carries secrets."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def write(path: Path, config: dict) -> None:
    write_private(path, json.dumps(config, indent=2) + "\n")


def endpoints(env: dict[str, str], instance_dir: Path) -> dict:
    config = {
        "action_endpoint": action_endpoint(env),
        "tracker_store": tracker_store(env, instance_dir),
    }
    lock = lock_store(env)
    if lock:
        config["lock_store"] = lock
    return config


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    instance = Path(argv[2] if len(argv) == 3 else os.environ.get("CALMLINE_INSTANCE_DIR") or "instance")
    instance.mkdir(parents=True, exist_ok=True)
    write(Path(argv[1]), endpoints(dict(os.environ), instance))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
