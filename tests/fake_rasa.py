"""A stand-in for Rasa's HTTP API (REST channel, tracker API, status) for the portal's unit tests.

The real bot is tested in bot/tests and through the real stack (tests/integration).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_REPLIES = [
    {"recipient_id": "x", "text": "I'm sorry about the double charge. Let me help.",
     "buttons": [{"title": "Show me the refund steps", "payload": "/refund"}]},
    {"recipient_id": "x", "custom": {"articles": [{"title": "Charged twice", "url": "/kb/charged-twice"}]}},
]


class FakeRasa:
    """Answers like Rasa, records what it was sent, and fails on demand (``status``, ``delay``,
    ``stop``). Named, it signs every reply with its name: which of several servers answered."""

    def __init__(self, replies=None, delay: float = 0.0, status: int = 200, name: str | None = None):
        self.received: list[dict] = []
        self.name = name
        if replies is None:
            replies = [{"recipient_id": "x", "text": name}] if name else DEFAULT_REPLIES
        self.replies = replies
        self.delay, self.status, self.status_asked = delay, status, 0
        self._closing = threading.Event()  # cuts a delay short when the fake is stopped
        # Answers for other Rasa APIs, by a part of the path.
        self.by_path: dict[str, object] = {"trigger_intent": {"messages": [{"text": name}]}} if name else {}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.received.append({**body, "path": self.path} if isinstance(body, dict)
                                     else {"path": self.path, "body": body})
                fake._closing.wait(fake.delay)
                self._answer(next((v for k, v in fake.by_path.items() if k in self.path), fake.replies))

            def do_GET(self):  # /status
                fake.status_asked += 1
                self._answer({"model_file": "calmline.tar.gz"})

            def _answer(self, data):
                payload = json.dumps(data).encode()
                try:
                    self.send_response(fake.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    # The client gave up (a timeout under test). Printing the traceback from this
                    # thread would run ast.parse beside the test's own thread, which CPython 3.11
                    # does not survive ("AST constructor recursion depth mismatch").
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def seen(self) -> list[str]:
        """The sender of each chat message, the path of each other API call, in order."""
        return [r["sender"] if "webhook" in r["path"] else r["path"] for r in self.received]

    def close(self) -> None:
        """Nothing listens on its port any more: connection refused, like a killed Rasa."""
        self._closing.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    stop = close
