"""What a real gunicorn refuses at start-up (portal/config.py, told the worker count by gunicorn.conf.py)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.stack import ROOT, _gunicorn_extra_args


def test_gunicorn_refuses_several_production_workers_without_redis(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CALMLINE_WORKERS", "WEB_CONCURRENCY")}
    env.update({"CALMLINE_ENV": "production", "SECRET_KEY": "k" * 48, "PUBLIC_URL": "https://help.example.com",
                "CALMLINE_INSTANCE_DIR": str(tmp_path),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'calmline.db'}"})
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", "127.0.0.1:0", *_gunicorn_extra_args(), "wsgi:app"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)  # started instead: fails
    assert result.returncode != 0
    assert "2 workers without REDIS_URL" in result.stderr
