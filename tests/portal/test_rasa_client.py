"""The portal's calls to Rasa's HTTP API carry a signed header, never the secret, never in the URL."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest

from portal.chat.rasa_client import RasaClient

SECRET = "rasa-api-secret-for-the-client-test-0123"


@pytest.fixture
def recorder():
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            seen.append({"path": self.path, "authorization": self.headers.get("Authorization")})
            payload = json.dumps({"messages": []}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_every_api_call_is_signed_in_a_header_and_the_url_carries_no_token(recorder):
    url, seen = recorder
    client = RasaClient(url, SECRET, timeout=5)
    client.append_events("conv-1", [{"event": "resume"}])
    client.trigger_intent("conv-1", "EXTERNAL_agent_done")
    assert client.status()["ok"]
    assert [s["path"] for s in seen] == ["/conversations/conv-1/tracker/events",
                                         "/conversations/conv-1/trigger_intent", "/status"]
    for call in seen:
        assert SECRET not in call["path"] and "token" not in call["path"]
        scheme, _, token = call["authorization"].partition(" ")
        assert scheme == "Bearer" and SECRET not in token
        claims = jwt.decode(token, SECRET, algorithms=["HS256"])
        assert claims["user"]["role"] == "admin"
        assert time.time() < claims["exp"] <= time.time() + 120
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(token, "another-secret-another-secret-another-secret", algorithms=["HS256"])
