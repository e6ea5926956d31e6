"""The real action server process (bot/actions/server.py): only Rasa, with the secret, runs actions."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import rasa_sdk
import requests

BOT = Path(__file__).resolve().parents[1]
TOKEN = "action-server-secret-for-the-tests-0123456789"


class PortalRecorder:
    """Plays the portal's /api/bot/* and notes every call the actions make."""

    def __init__(self):
        self.calls: list[dict] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                recorder.calls.append({"path": self.path,
                                       **json.loads(self.rfile.read(int(self.headers["Content-Length"])))})
                self.send_response(200)  # HTTP/1.0: the body ends when the connection closes
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def portal():
    recorder = PortalRecorder()
    yield recorder
    recorder.server.shutdown()


@pytest.fixture(scope="module")
def server(portal, tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("actions") / "actions.log"
    env = {**os.environ, "PYTHONPATH": str(BOT.parent), "ACTION_SERVER_TOKEN": TOKEN,
           "CALMLINE_PORTAL_URL": portal.url, "BOT_SERVICE_TOKEN": "service-token"}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-W", "ignore", "-m", "bot.actions.server", "--port", str(port)],
                                cwd=BOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if requests.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail(f"the action server did not start:\n{log.read_text()[-3000:]}")
    yield {"url": url, "port": port, "proc": proc}
    proc.terminate()
    proc.wait(15)


def action_call(name: str, sender: str, comment: str) -> dict:
    tracker = {"sender_id": sender, "slots": {"satisfaction_comment": comment}, "latest_message": {},
               "events": [], "paused": False, "followup_action": None, "active_loop": {},
               "latest_action_name": None}
    return {"next_action": name, "sender_id": sender, "tracker": tracker, "domain": {},
            "version": rasa_sdk.__version__}


def test_a_forged_webhook_is_refused_and_runs_nothing(server, portal):
    forged = action_call("action_submit_satisfaction", "someone-elses-conversation", "rated 1 by an attacker")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                    {"Authorization": f"Bearer {TOKEN}x"}):
        answer = requests.post(f"{server['url']}/webhook", json=forged, headers=headers, timeout=10)
        assert answer.status_code == 401, headers
    assert requests.get(f"{server['url']}/actions", timeout=10).status_code == 401
    time.sleep(0.5)
    assert portal.calls == []


def test_rasa_with_the_secret_runs_the_action(server, portal):
    call = action_call("action_submit_satisfaction", "conversation-7", "quick and kind")
    answer = requests.post(f"{server['url']}/webhook", json=call, headers={"Authorization": f"Bearer {TOKEN}"},
                           timeout=30)
    assert answer.status_code == 200, answer.text
    assert {"event": "slot", "name": "satisfaction_comment", "value": None} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in answer.json()["events"]]
    assert portal.calls == [{"path": "/api/bot/satisfaction", "conversation_id": "conversation-7",
                             "comment": "quick and kind"}]


def test_it_listens_on_loopback_only_and_keeps_the_secret_off_its_command_line(server):
    # Bound to 127.0.0.1 alone: another address of this machine (127.0.0.2 is one) finds nothing.
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.2:{server['port']}/health", timeout=5)
    listening = Path("/proc/net/tcp").read_text().splitlines()[1:]
    local = {line.split()[1] for line in listening if line.split()[3] == "0A"}  # 0A: LISTEN
    assert f"0100007F:{server['port']:04X}" in local and f"00000000:{server['port']:04X}" not in local
    cmdline = Path(f"/proc/{server['proc'].pid}/cmdline").read_bytes()
    assert TOKEN.encode() not in cmdline


@pytest.mark.parametrize("token", ["", "short"])
def test_it_refuses_to_start_without_a_real_secret(token):
    env = {**os.environ, "PYTHONPATH": str(BOT.parent), "ACTION_SERVER_TOKEN": token}
    result = subprocess.run([sys.executable, "-W", "ignore", "-m", "bot.actions.server", "--port", str(free_port())],
                            cwd=BOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "ACTION_SERVER_TOKEN" in result.stderr
