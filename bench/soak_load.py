"""The soak's traffic: customers chatting with the bot, live chats with an agent, and search.

Every client spreads its requests over the boxes as a load balancer would: a box that refuses
the connection or answers 502-504 is skipped for a few seconds and the request goes to the
other one. A message is sent again (with the same client id, so the portal stores it once)
until a box acknowledges it or the soak ends. Everything acknowledged is written down, to be
counted in the database at the end.
"""

from __future__ import annotations

import random
import re
import threading
import time
import uuid
from collections import defaultdict

import requests

QUESTIONS = [
    "how do I track my order?", "what is your returns policy?", "can I change my delivery address?",
    "how long does a refund take?", "do you deliver on saturdays?", "how do I reset my password?",
    "where can I download my invoice?", "can I pay with a gift card?", "my parcel says delivered but it is not here",
    "how do I cancel an order?", "is there a warranty on the kettle?", "what are your opening hours?",
]
SEARCHES = ["refund", "delivery times", "track parcel", "change address", "invoice vat", "gift card balance",
            "return a damaged item", "password reset", "warranty claim", "cancel my order", "refnd", "paymnet failed"]
RETRY_STATUSES = {502, 503, 504}
AGENT = ("agent@example.com", "calm-agent-2026")


class Stats:
    """Latencies and outcomes per path, and what was acknowledged."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency = defaultdict(list)
        self.errors = defaultdict(lambda: defaultdict(int))
        self.acked_customer: list[tuple[str, str]] = []  # (conversation public id, client id)
        self.acked_agent: list[tuple[str, str, str]] = []  # (ticket number, client id, text)
        self.delivered: dict[str, float] = {}  # agent message text -> ms from send to the customer seeing it
        self.sent_at: dict[str, float] = {}
        self.bot_unavailable = 0
        self.failovers = 0

    def note(self, path: str, seconds: float, outcome: str) -> None:
        with self.lock:
            if outcome == "ok":
                self.latency[path].append(seconds * 1000)
            else:
                self.errors[path][outcome] += 1


class Balancer:
    """Round robin over the boxes, skipping one that failed in the last few seconds."""

    def __init__(self, urls: list[str], stats: Stats):
        self.urls, self.stats = urls, stats
        self.down_until: dict[str, float] = {}
        self.lock = threading.Lock()
        self.turn = 0

    def order(self, prefer: int) -> list[str]:
        now = time.monotonic()
        ranked = self.urls[prefer % len(self.urls):] + self.urls[:prefer % len(self.urls)]
        return sorted(ranked, key=lambda u: self.down_until.get(u, 0) > now)

    def mark_down(self, url: str) -> None:
        with self.lock:
            self.down_until[url] = time.monotonic() + 3
            self.stats.failovers += 1


class Client:
    """One person's browser: its own cookies on every box (the boxes share the session key)."""

    def __init__(self, balancer: Balancer, stats: Stats, prefer: int, stop: threading.Event):
        self.balancer, self.stats, self.prefer, self.stop = balancer, stats, prefer, stop
        self.http = requests.Session()
        self.csrf = ""

    def call(self, method: str, path: str, path_name: str, retry_until_ok: bool = False, **kw):
        """The response, or None when every box failed (and, with retry_until_ok, the soak ended)."""
        while True:
            for base in self.balancer.order(self.prefer):
                started = time.monotonic()
                try:
                    r = self.http.request(method, base + path, timeout=30,
                                          headers={"X-CSRFToken": self.csrf, "Referer": base + "/"}, **kw)
                except requests.RequestException as exc:
                    self.stats.note(path_name, 0, type(exc).__name__)
                    self.balancer.mark_down(base)
                    continue
                elapsed = time.monotonic() - started
                if r.status_code in RETRY_STATUSES:
                    self.stats.note(path_name, elapsed, str(r.status_code))
                    self.balancer.mark_down(base)
                    continue
                self.stats.note(path_name, elapsed, "ok" if r.status_code < 400 else str(r.status_code))
                return r
            if not retry_until_ok or self.stop.is_set():
                return None
            time.sleep(1)

    def open_page(self) -> bool:
        r = self.call("GET", "/", "page.home", retry_until_ok=True)
        if r is None or r.status_code != 200:
            return False
        self.csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', r.text).group(1)
        return True

    def say(self, conversation: str | None, text: str, label: str | None = None) -> dict | None:
        """Sent until acknowledged (201), with one client id however many tries it takes."""
        client_id = uuid.uuid4().hex
        body = {"text": text, "client_id": client_id, "page": "/"}
        if conversation:
            body["conversation_id"] = conversation
        if label:
            body["label"] = label
        while not self.stop.is_set():
            r = self.call("POST", "/api/chat/messages", "chat.message", retry_until_ok=True, json=body)
            if r is not None and r.status_code == 201:
                data = r.json()
                with self.stats.lock:
                    self.stats.acked_customer.append((data["conversation_id"], client_id))
                    if not data.get("assistant_available", True):
                        self.stats.bot_unavailable += 1
                return data
            if r is not None and r.status_code not in (429, 500):
                return None  # refused for a reason a retry will not change
            time.sleep(1)
        return None


def bot_customer(balancer: Balancer, stats: Stats, n: int, stop: threading.Event, think: tuple[float, float]):
    rng = random.Random(n)
    client = Client(balancer, stats, n, stop)
    stop.wait(rng.uniform(0, think[1]))  # arrivals spread out
    if stop.is_set() or not client.open_page():
        return
    conversation = None
    while not stop.is_set():
        reply = client.say(conversation, rng.choice(QUESTIONS))
        if reply is not None:
            conversation = reply["conversation_id"] if reply.get("status") == "bot" else None
        stop.wait(rng.uniform(*think))


def searcher(balancer: Balancer, stats: Stats, n: int, stop: threading.Event):
    rng = random.Random(1000 + n)
    client = Client(balancer, stats, n, stop)
    while not stop.is_set():
        client.call("GET", "/api/search", "search.api", params={"q": rng.choice(SEARCHES)})
        stop.wait(rng.uniform(0.2, 1.0))


class Agent(Client):
    def login(self) -> bool:
        r = self.call("GET", "/auth/login", "page.login", retry_until_ok=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', r.text).group(1)
        r = self.call("POST", "/auth/login", "page.login", retry_until_ok=True, allow_redirects=False,
                      data={"email": AGENT[0], "password": AGENT[1], "csrf_token": token})
        if r is None or r.status_code != 302:
            return False
        page = self.call("GET", "/agent", "page.agent", retry_until_ok=True)
        self.csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)
        return True

    def reply(self, number: str, text: str) -> bool:
        client_id = uuid.uuid4().hex
        while not self.stop.is_set():
            with self.stats.lock:
                self.stats.sent_at.setdefault(text, time.monotonic())
            r = self.call("POST", f"/api/agent/tickets/{number}/messages", "agent.message", retry_until_ok=True,
                          json={"text": text, "client_id": client_id})
            if r is not None and r.status_code in (200, 201):
                with self.stats.lock:
                    self.stats.acked_agent.append((number, client_id, text))
                return True
            if r is not None and r.status_code not in (429, 500):
                return False
            time.sleep(1)
        return False


def live_chat(balancer: Balancer, stats: Stats, n: int, stop: threading.Event, agent: Agent, every: float):
    """A customer asks for a person, the agent takes the chat, then they write in turn; the
    customer follows the chat by polling its events, as the widget does when no stream is open."""
    rng = random.Random(2000 + n)
    customer = Client(balancer, stats, n, stop)
    stop.wait(rng.uniform(0, 10))
    if stop.is_set() or not customer.open_page():
        return
    first = customer.say(None, "can I speak to a human please")
    if first is None:
        return
    conversation = first["conversation_id"]
    second = customer.say(conversation, "/request_human", label="No, a person please")
    if second is None or second.get("status") not in ("handoff", "live"):
        stats.note("live.handoff", 0, f"status {second and second.get('status')}")
        return
    contact = customer.call("GET", f"/api/chat/conversations/{conversation}/contact", "chat.contact",
                            retry_until_ok=True)
    number = contact.json().get("ticket_number") if contact is not None else None
    if not number or agent.call("POST", f"/api/agent/tickets/{number}/claim", "agent.claim",
                                retry_until_ok=True) is None:
        stats.note("live.handoff", 0, "no ticket")
        return
    after, turn = 0, 0
    while not stop.is_set():
        turn += 1
        if turn % 2:
            customer.say(conversation, f"still there? message {turn} of chat {n}")
        else:
            agent.reply(number, f"Yes, I'm here: reply {turn} in chat {n} ({uuid.uuid4().hex[:8]})")
        deadline = time.monotonic() + every
        while time.monotonic() < deadline and not stop.is_set():
            r = customer.call("GET", f"/api/chat/conversations/{conversation}/events", "chat.poll",
                              params={"after": after})
            if r is not None and r.status_code == 200:
                batch = r.json()
                after = batch["last_event_id"]
                now = time.monotonic()
                for event in batch["events"]:
                    if event.get("kind") != "message":
                        continue
                    text = (event.get("data") or {}).get("text", "")
                    with stats.lock:
                        if text in stats.sent_at and text not in stats.delivered:
                            stats.delivered[text] = (now - stats.sent_at[text]) * 1000
            stop.wait(1.0)
