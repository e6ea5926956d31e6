"""The real path: gunicorn with 2 workers, JSON logs, and /metrics adding up both workers."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.stack import ROOT, _flask, _free_port, _gunicorn_extra_args, _server_env, _stop, _wait_healthy


def get(url: str, headers: dict | None = None):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
        return response.status, dict(response.headers), response.read()


def request_lines(log: Path) -> list[dict]:
    lines = []
    for raw in log.read_text(errors="replace").splitlines():
        if raw.startswith("{"):
            line = json.loads(raw)
            if line.get("logger") == "calmline.request":
                lines.append(line)
    return lines


def test_two_workers_log_json_with_the_request_id_and_metrics_add_both_up():
    tmp = Path(tempfile.mkdtemp(prefix="calmline-ops-"))
    proc = None
    try:
        instance = tmp / "instance"
        instance.mkdir()
        metrics_dir = tmp / "metrics"
        metrics_dir.mkdir()
        (metrics_dir / "counter_99999.db").write_bytes(b"left by an earlier run")
        env = _server_env(instance)
        env.update({"LOG_FORMAT": "json", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)})
        _flask(env, "db", "upgrade")
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = tmp / "gunicorn.log"
        with open(log, "wb") as err:
            proc = subprocess.Popen(
                # Sync workers take one connection at a time, so a held connection decides which
                # worker answers next: the kernel does not share accepts out evenly on its own.
                [sys.executable, "-m", "gunicorn", "-w", "2", "-k", "sync",
                 "-b", f"127.0.0.1:{port}", "--graceful-timeout", "5", *_gunicorn_extra_args(), "wsgi:app"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _wait_healthy(url, proc, log)
        assert not (metrics_dir / "counter_99999.db").exists()  # an earlier run's values are not added in

        status, headers, _ = get(url + "/healthz", {"X-Request-ID": "live-check-42"})
        assert status == 200 and headers["X-Request-ID"] == "live-check-42"
        deadline = time.monotonic() + 60  # both workers have loaded the app (healthz needs only one)
        while log.read_text(errors="replace").count("event streams: at most") < 2:
            assert time.monotonic() < deadline, "the second worker did not start"
            time.sleep(0.1)
        before = len(request_lines(log))
        with socket.create_connection(("127.0.0.1", port), timeout=10) as held:
            held.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers not finished: a worker waits
            time.sleep(1)  # that worker has taken it
            for _ in range(5):
                assert get(url + "/healthz")[0] == 200  # so the other worker answers these
            held.sendall(b"Connection: close\r\n\r\n")
            assert held.makefile("rb").readline().startswith(b"HTTP/1.1 200")
        deadline = time.monotonic() + 5
        while len(request_lines(log)) < before + 6:  # the held request's line too
            assert time.monotonic() < deadline, "the held request was not logged"
            time.sleep(0.05)
        status, _, body = get(url + "/metrics")
        assert status == 200

        served = [line for line in request_lines(log) if line["path"] == "/healthz"]
        assert len({line["pid"] for line in served}) == 2, "one worker answered every request"
        [given] = [line for line in served if line["request_id"] == "live-check-42"]
        assert (given["method"], given["status"], given["remote_addr"]) == ("GET", 200, "127.0.0.1")
        assert all(len(line["request_id"]) == 32 for line in served if line is not given)
        counted = {s.labels["status"]: s.value for family in text_string_to_metric_families(body.decode())
                   for s in family.samples
                   if s.name == "calmline_http_request_duration_seconds_count" and s.labels["route"] == "/healthz"}
        # _wait_healthy's polls while the server started included: every /healthz the log shows, from both workers.
        assert counted == {"2xx": len(served)}
    finally:
        _stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
