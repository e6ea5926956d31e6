"""The action server's portal client with several boxes: a box that refuses the connection is
passed over; one that took the request and is slow is not (it may have carried it out)."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.actions.portal import PortalClient, PortalUnavailable


class FakePortal:
    def __init__(self, delay: float = 0.0):
        self.paths: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake.paths.append(self.path.split("?")[0])
                time.sleep(delay)
                self._answer({"results": [{"title": "Track an order", "url": "/kb/track", "score": 1.0}]})

            def do_POST(self):
                fake.paths.append(self.path)
                self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(delay)
                self._answer({"ok": True})

            def _answer(self, data):
                try:
                    self.send_response(200)  # HTTP/1.0: the body ends when the connection closes
                    self.end_headers()
                    self.wfile.write(json.dumps(data).encode())
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout under test): nothing to print from this thread

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def refused_url() -> str:
    """An address where nothing listens (a box that is down)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture
def portal():
    fake = FakePortal()
    yield fake
    fake.close()


def test_a_box_that_is_down_is_passed_over_for_the_next(portal):
    client = PortalClient(f"{refused_url()}, {portal.url}", "svc", timeout=2)
    assert [r["url"] for r in client.search("where is my order")] == ["/kb/track"]
    assert client.record_satisfaction("c1", 5) == {"ok": True}
    assert portal.paths == ["/api/search", "/api/bot/satisfaction"]


def test_its_own_box_first_while_it_is_up(portal):
    other = FakePortal()
    try:
        client = PortalClient(f"{portal.url},{other.url}", "svc", timeout=2)
        client.search("refund")
        assert portal.paths == ["/api/search"] and other.paths == []
    finally:
        other.close()


def test_every_box_down_is_the_portal_unavailable():
    client = PortalClient(f"{refused_url()},{refused_url()}", "svc", timeout=2)
    with pytest.raises(PortalUnavailable):
        client.search("refund")


def test_a_slow_box_is_not_asked_again_elsewhere(portal):
    slow = FakePortal(delay=5.0)  # far past the timeout, however slowly this machine runs
    try:
        client = PortalClient(f"{slow.url},{portal.url}", "svc", timeout=0.3)
        with pytest.raises(PortalUnavailable):
            client.record_satisfaction("c1", 4)
        assert portal.paths == []  # it may have been recorded: not sent twice
    finally:
        slow.close()
