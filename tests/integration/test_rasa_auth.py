"""The real Rasa server as `make run` starts it (bot/rasa_server.py): on loopback, its secret
out of the process list, and its API and the portal's channel (bot/channels.py) answering only
the portal's signed header, never `?token=`.

No model is loaded (it starts in seconds): a request that passes authentication is answered
409 "no agent loaded", one that does not, 401.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import requests

from portal.chat.rasa_client import RasaClient
from tests.stack import BOT, BOT_PYTHON, _free_port, _stop

SECRET = "rasa-api-secret-for-this-test-0123456789"


@pytest.fixture(scope="module")
def rasa(tmp_path_factory):
    if not BOT_PYTHON.exists():
        pytest.fail("bot/.venv is missing: run `make bot-install` (make test does).")
    tmp = tmp_path_factory.mktemp("rasa")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONHOME"))}
    env.update({"PYTHONPATH": str(BOT.parent), "RASA_TELEMETRY_ENABLED": "false", "RASA_TOKEN": SECRET})
    with open(tmp / "rasa.log", "wb") as out:
        proc = subprocess.Popen([str(BOT_PYTHON), "-W", "ignore", "-m", "bot.rasa_server", "--enable-api",
                                 "--port", str(port), "--model", str(tmp),  # an empty folder: no model
                                 "--credentials", str(BOT / "credentials.yml")],
                                cwd=BOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            break
        except requests.RequestException:
            time.sleep(0.5)
    else:
        _stop(proc)
        pytest.fail(f"Rasa did not start:\n{(tmp / 'rasa.log').read_text()[-4000:]}")
    yield {"url": url, "port": port, "proc": proc}
    _stop(proc)


def test_rasas_api_takes_the_portals_signed_header_and_nothing_else(rasa):
    url = f"{rasa['url']}/conversations/c1/tracker/events"
    assert requests.post(url, json=[], timeout=10).status_code == 401
    assert requests.post(url, json=[], params={"token": SECRET}, timeout=10).status_code == 401
    forged = RasaClient(rasa["url"], "a-different-secret-of-the-same-length-01").auth_headers()
    assert requests.post(url, json=[], headers=forged, timeout=10).status_code == 401
    signed = RasaClient(rasa["url"], SECRET).auth_headers()
    assert requests.post(url, json=[], headers=signed, timeout=10).status_code == 409  # authenticated


def test_the_bots_channel_takes_only_the_portals_signed_header(rasa):
    """Rasa's plain REST channel took a message from anyone on the machine as any sender id."""
    message = {"sender": "someone-elses-conversation", "message": "hello"}
    channel = f"{rasa['url']}/webhooks/portal/webhook"
    assert requests.post(channel, json=message, timeout=10).status_code == 401
    assert requests.post(channel, json=message, params={"token": SECRET}, timeout=10).status_code == 401
    forged = RasaClient(rasa["url"], "a-different-secret-of-the-same-length-01").auth_headers()
    assert requests.post(channel, json=message, headers=forged, timeout=10).status_code == 401
    signed = RasaClient(rasa["url"], SECRET).auth_headers()
    assert requests.post(channel, json=message, headers=signed, timeout=30).status_code == 200
    assert requests.post(f"{rasa['url']}/webhooks/rest/webhook", json=message, timeout=10).status_code == 404


def test_rasa_listens_on_loopback_only_and_its_secret_is_not_in_the_process_list(rasa):
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.2:{rasa['port']}/", timeout=5)
    cmdline = Path(f"/proc/{rasa['proc'].pid}/cmdline").read_bytes()
    assert b"bot.rasa_server" in cmdline and SECRET.encode() not in cmdline
    listing = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    assert SECRET not in listing


def test_the_launcher_refuses_a_secret_on_the_command_line_or_none():
    env = {**os.environ, "PYTHONPATH": str(BOT.parent), "RASA_TOKEN": SECRET}
    on_argv = subprocess.run([str(BOT_PYTHON), "-m", "bot.rasa_server", "--enable-api", "--auth-token", SECRET],
                             cwd=BOT, env=env, capture_output=True, text=True, timeout=60)
    assert on_argv.returncode != 0 and "process list" in on_argv.stderr
    env["RASA_TOKEN"] = ""
    missing = subprocess.run([str(BOT_PYTHON), "-m", "bot.rasa_server", "--enable-api"],
                             cwd=BOT, env=env, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "RASA_TOKEN" in missing.stderr
