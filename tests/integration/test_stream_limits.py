"""Issue 15, finding 7, under the real gunicorn: one visitor opening stream after stream no
longer takes every thread of a worker (/healthz timed out), and a worker whose SSE_MAX_STREAMS
would take all its threads refuses to start."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.stack import ROOT, _free_port, _gunicorn_extra_args, _server_env, running_portal

pytestmark = pytest.mark.integration
SSE = {"Accept": "text/event-stream"}
THREADS = 6  # unset, SSE_MAX_STREAMS is fitted to 4 of them; 3 per client


def visitor_chat(base: str) -> tuple[requests.Session, str]:
    """A new visitor with a chat (Rasa is down: the message is kept all the same)."""
    http = requests.Session()
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', http.get(f"{base}/chat", timeout=10).text).group(1)
    answer = http.post(f"{base}/api/chat/messages", json={"text": "Where is my parcel?"}, timeout=30,
                       headers={"X-CSRFToken": csrf, "Referer": f"{base}/chat"})
    assert answer.status_code == 201, answer.text[:300]
    return http, f"{base}/api/chat/conversations/{answer.json()['conversation_id']}/events"


def test_one_visitor_cannot_take_a_workers_threads_and_healthz_answers():
    with running_portal(workers=1, threads=THREADS, worker_class="gthread", SSE_STREAM_SECONDS=60) as portal:
        mallory, mallory_url = visitor_chat(portal.url)
        casey, casey_url = visitor_chat(portal.url)
        robin, robin_url = visitor_chat(portal.url)
        held = []
        try:
            answers = []
            for _ in range(10):
                response = mallory.get(mallory_url, headers=SSE, stream=True, timeout=10)
                answers.append(response.status_code)
                held.append(response)
            assert answers == [200] * 3 + [429] * 7
            assert held[3].headers["Retry-After"] == "5"

            theirs = casey.get(casey_url, headers=SSE, stream=True, timeout=10)
            held.append(theirs)
            assert theirs.status_code == 200  # another visitor still gets one: the worker's fourth

            busy = robin.get(robin_url, headers=SSE, stream=True, timeout=10)
            held.append(busy)
            assert busy.status_code == 503  # the worker's streams are taken: Robin polls
            assert robin.get(f"{robin_url}?after=0", timeout=10).status_code == 200

            started = time.monotonic()
            health = requests.get(f"{portal.url}/healthz", timeout=10)
            assert health.status_code == 200 and time.monotonic() - started < 8.0
        finally:
            for response in held:
                response.close()


@pytest.mark.once  # its own server on SQLite in either pass
def test_a_worker_whose_streams_would_take_every_thread_refuses_to_start(tmp_path: Path):
    instance = tmp_path / "instance"
    instance.mkdir()
    env = {**_server_env(instance), "DATABASE_URL": f"sqlite:///{instance / 'calmline.db'}",
           "SSE_MAX_STREAMS": str(THREADS)}
    env.pop("REDIS_URL", None)
    proc = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-k", "gthread", "--threads", str(THREADS),
         "-b", f"127.0.0.1:{_free_port()}", *_gunicorn_extra_args(), "wsgi:app"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode != 0
    assert f"SSE_MAX_STREAMS={THREADS} would let event streams take all {THREADS}" in proc.stderr
    assert "Worker failed to boot" in proc.stderr
    assert os.path.exists(ROOT / "gunicorn.conf.py")  # read from the directory gunicorn starts in
