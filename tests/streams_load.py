"""Hundreds of open event streams at once, for tests/integration/test_many_streams.py and
bench/streams.py: live chats made in bulk through the portal's own services (a child process
with the instance's environment), and a client that holds every stream on one asyncio loop
(raw sockets, HTTP/1.1, as a browser's EventSource asks: the visitor cookie and
Accept: text/event-stream), so a thousand streams cost the client no thread each either.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POLL_SECONDS = 2.0  # as the widget polls when a stream is refused

# A visitor's chat handed to a person and claimed by the agent, as `live.py` makes them over HTTP
# (message, leave-message, claim), but in one process: a thousand chats in seconds, not minutes.
_SEED = r"""
import json, secrets, sys
import sqlalchemy as sa
from wsgi import app
from portal.agent.services import claim
from portal.auth.models import User
from portal.chat.services import leave_message, start_conversation
from portal.extensions import db
from portal.handoff.messages import customer_message

count, email = int(sys.argv[1]), sys.argv[2]
chats = []
with app.app_context():
    agent = db.session.scalar(sa.select(User).where(User.email == email))
    for i in range(count):
        visitor = secrets.token_urlsafe(24)
        conv = start_conversation(None, visitor)
        customer_message(conv, f"Chat {i}: my order is late")
        db.session.commit()
        ticket = leave_message(conv)
        claim(ticket.number, agent)
        chats.append({"visitor": visitor, "conversation": conv.public_id, "ticket": ticket.number})
print(json.dumps(chats))
"""


def seed_live_chats(env: dict, count: int, agent_email: str = "agent@example.com") -> list[dict]:
    """`count` live chats, each a visitor's conversation claimed by the agent: their visitor
    cookie, conversation public id and ticket number."""
    done = subprocess.run([sys.executable, "-c", _SEED, str(count), agent_email], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"seeding live chats failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def agent_headers(url: str, email: str = "agent@example.com", password: str = "calm-agent-2026") -> dict[str, str]:
    """The headers of a signed-in agent's JSON requests: session cookie, CSRF token, and the same
    User-Agent (Flask-Login binds the session to it)."""
    import requests

    http = requests.Session()
    form = http.get(f"{url}/auth/login", timeout=30).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    http.post(f"{url}/auth/login", data={"email": email, "password": password, "csrf_token": token},
              allow_redirects=False, timeout=30)
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', http.get(f"{url}/chat", timeout=30).text).group(1)
    return {"Cookie": "; ".join(f"{c.name}={c.value}" for c in http.cookies), "X-CSRFToken": csrf,
            "User-Agent": http.headers["User-Agent"], "Content-Type": "application/json"}


async def _head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed before answering")
    headers = {}
    while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers


async def _body(reader: asyncio.StreamReader, headers: dict[str, str]):
    """The body's pieces as they come: chunked (a streamed response), sized, or up to the close."""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while size := int((await reader.readline()).split(b";")[0].strip() or b"0", 16):
            data = await reader.readexactly(size + 2)
            yield data[:-2]
        await reader.readline()
    elif "content-length" in headers:
        yield await reader.readexactly(int(headers["content-length"]))
    else:
        while data := await reader.read(65536):
            yield data


async def request(host: str, port: int, method: str, path: str, headers: dict[str, str],
                  body: bytes = b"") -> tuple[int, bytes]:
    """One request on its own connection; the status and the whole body."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        head = {"Host": f"{host}:{port}", "Connection": "close", **headers}
        if body or method == "POST":
            head["Content-Length"] = str(len(body))
        writer.write(f"{method} {path} HTTP/1.1\r\n".encode() +
                     "".join(f"{k}: {v}\r\n" for k, v in head.items()).encode("latin-1") + b"\r\n" + body)
        await writer.drain()
        status, answer = await _head(reader)
        return status, b"".join([piece async for piece in _body(reader, answer)])
    finally:
        writer.close()


@dataclass
class Stream:
    """One follower of one event stream, as a browser tab: reconnects with Last-Event-ID, and
    polls (every POLL_SECONDS, as the widget does) when the server refuses the stream (503)."""

    path: str
    cookie: str
    poll_when_refused: bool = True
    statuses: list[int] = field(default_factory=list)  # each connection's answer
    arrived: dict[str, float] = field(default_factory=dict)  # message text -> when (perf_counter)
    last_id: int = 0
    open: bool = False  # streaming now (its first line came)
    polling: bool = False
    errors: int = 0

    def _events(self, block: bytes, now: float) -> None:
        for line in block.decode().splitlines():
            if line.startswith("id: "):
                self.last_id = int(line[4:])
            elif line.startswith("data: "):
                self._arrived(json.loads(line[6:]), now)

    def _arrived(self, event: dict, now: float) -> None:
        text = (event.get("data") or {}).get("text")
        if event.get("kind") == "message" and text and text not in self.arrived:
            self.arrived[text] = now

    async def follow(self, host: str, port: int, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if self.polling:
                await self._poll(host, port, stop)
                continue
            writer = None
            try:
                reader, writer = await asyncio.open_connection(host, port)
                writer.write(f"GET {self.path} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {self.cookie}\r\n"
                             f"Accept: text/event-stream\r\nLast-Event-ID: {self.last_id}\r\n\r\n".encode())
                await writer.drain()
                status, headers = await _head(reader)
                self.statuses.append(status)
                if status != 200:
                    async for _ in _body(reader, headers):
                        pass
                    self.polling = self.poll_when_refused
                    if not self.polling:
                        return
                    continue
                buffer = b""
                async for piece in _body(reader, headers):
                    self.open = True
                    buffer += piece
                    *blocks, buffer = buffer.split(b"\n\n")
                    now = time.perf_counter()
                    for block in blocks:
                        self._events(block, now)
            except (OSError, ValueError, asyncio.IncompleteReadError):
                self.errors += 1
                await asyncio.sleep(0.2)
            finally:
                self.open = False
                if writer is not None:
                    writer.close()

    async def _poll(self, host: str, port: int, stop: asyncio.Event) -> None:
        try:
            status, body = await request(host, port, "GET", f"{self.path}?after={self.last_id}",
                                         {"Cookie": self.cookie, "Accept": "application/json"})
            if status == 200:
                answer, now = json.loads(body), time.perf_counter()
                for event in answer["events"]:
                    self._arrived(event, now)
                self.last_id = answer["last_event_id"]
            else:
                self.errors += 1
        except (OSError, ValueError, KeyError, asyncio.IncompleteReadError):
            self.errors += 1
        try:
            await asyncio.wait_for(stop.wait(), POLL_SECONDS)
        except TimeoutError:
            pass


class StreamHolder:
    """Runs the streams on an asyncio loop in a thread of its own; the caller goes on with plain
    blocking code (requests, assertions) and schedules more coroutines with `run`."""

    def __init__(self, url: str, streams: list[Stream]):
        host, _, port = url.removeprefix("http://").partition(":")
        self.host, self.port, self.streams = host, int(port), streams
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="stream-holder", daemon=True)
        self._stop: asyncio.Event | None = None
        self._tasks = None

    def __enter__(self) -> StreamHolder:
        self._thread.start()
        self.run(self._start())
        return self

    async def _start(self) -> None:
        self._stop = asyncio.Event()
        self._tasks = [asyncio.ensure_future(s.follow(self.host, self.port, self._stop)) for s in self.streams]

    def run(self, coroutine, timeout: float = 300):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def wait_open(self, timeout: float) -> int:
        """Until every stream streams or polls (or `timeout`); how many stream."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not all(s.open or s.polling for s in self.streams):
            time.sleep(0.1)
        return sum(s.open for s in self.streams)

    def __exit__(self, *exc) -> None:
        async def stop():
            self._stop.set()
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        self.run(stop(), timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()
