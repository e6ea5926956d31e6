"""Live chat under faults, with the real portal under gunicorn: a worker killed in the middle
of a live chat loses no acknowledged message, and the chat never needs Rasa (it is down
here: nothing listens on the portal's RASA_URL)."""

from __future__ import annotations

import os
import re
import signal
import threading
import time

import pytest
import requests

from tests.stack import running_portal

pytestmark = pytest.mark.integration


def csrf_of(html: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


class Side:
    """A browser-like client: cookie session, CSRF token, retries the way the widget does."""

    def __init__(self, base: str):
        self.base, self.http = base, requests.Session()
        self.csrf = csrf_of(self.http.get(f"{base}/chat", timeout=10).text)

    def login(self, email: str, password: str) -> Side:
        form = self.http.get(f"{self.base}/auth/login", timeout=10).text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
        r = self.http.post(f"{self.base}/auth/login", data={"email": email, "password": password, "csrf_token": token},
                           allow_redirects=False, timeout=10)
        assert r.status_code == 302
        self.csrf = csrf_of(self.http.get(f"{self.base}/chat", timeout=10).text)
        return self

    def post(self, path: str, body: dict, attempts: int = 20) -> tuple[requests.Response, int]:
        """POST until acknowledged; returns the response and how many tries it took."""
        for attempt in range(1, attempts + 1):
            try:
                r = self.http.post(f"{self.base}{path}", json=body, timeout=10,
                                   headers={"X-CSRFToken": self.csrf, "Referer": f"{self.base}/chat"})
                if r.status_code < 500:
                    return r, attempt
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{path} never acknowledged")


def message_texts(side: Side, url: str) -> list[str]:
    """Every message event on a stream, paging with ?after= the way a reconnecting client does."""
    texts, after = [], 0
    while True:
        events = side.http.get(f"{url}?after={after}", timeout=10).json()["events"]
        if not events:
            return texts
        texts += [e["data"]["text"] for e in events if e["kind"] == "message"]
        after = events[-1]["id"]


def start_live_chat(base: str) -> tuple[Side, Side, str, str]:
    customer = Side(base)
    first = customer.post("/api/chat/messages", {"text": "My table arrived with a broken leg"})[0].json()
    conv = first["conversation_id"]
    assert first["assistant_available"] is False  # Rasa is down; the message is kept
    left, _ = customer.post(f"/api/chat/conversations/{conv}/leave-message", {})
    number = left.json()["ticket_number"]
    agent = Side(base).login("agent@example.com", "calm-agent-2026")
    claimed, _ = agent.post(f"/api/agent/tickets/{number}/claim", {})
    assert claimed.status_code == 200, claimed.text
    return customer, agent, conv, number


@pytest.mark.parametrize("use_redis", [False, True], ids=["db-polling", "redis"])
def test_a_worker_killed_mid_chat_loses_no_acknowledged_message(use_redis):
    if use_redis and not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL is not set (CI sets it); the database-polling case still runs")
    with running_portal(workers=2, threads=8, use_redis=use_redis) as portal:
        customer, agent, conv, number = start_live_chat(portal.url)
        acked: dict[str, list[str]] = {"customer": [], "agent": []}
        retries = {"customer": 0, "agent": 0}
        stop = threading.Event()

        def talk(side: Side, who: str, path: str, extra: dict):
            n = 0
            while not stop.is_set():
                n += 1
                text = f"{who} message {n}"
                # client_id makes a retry after a lost answer safe: stored once, never twice
                response, tries = side.post(path, {"text": text, "client_id": f"{who}-{n}", **extra})
                assert response.status_code == 201, response.text
                acked[who].append(text)
                retries[who] += tries - 1
                time.sleep(0.02)

        threads = [
            threading.Thread(target=talk, args=(customer, "customer", "/api/chat/messages", {"conversation_id": conv})),
            threading.Thread(target=talk, args=(agent, "agent", f"/api/agent/tickets/{number}/messages", {})),
        ]
        for t in threads:
            t.start()
        time.sleep(1.5)
        victims = portal.worker_pids()
        assert len(victims) == 2
        os.kill(victims[0], signal.SIGKILL)  # no goodbye: in-flight requests on it just fail
        time.sleep(2.5)
        stop.set()
        for t in threads:
            t.join(30)
        assert sum(len(v) for v in acked.values()) > 20
        new_workers = portal.worker_pids()
        assert victims[0] not in new_workers and len(new_workers) == 2  # gunicorn replaced it

        # Every acknowledged message is stored once and delivered to the other side's stream.
        agent_saw = message_texts(agent, f"{portal.url}/api/agent/tickets/{number}/events")
        customer_saw = message_texts(customer, f"{portal.url}/api/chat/conversations/{conv}/events")
        for text in acked["customer"]:
            assert agent_saw.count(text) == 1, text
        for text in acked["agent"]:
            assert customer_saw.count(text) == 1, text
        transcript = customer.http.get(f"{portal.url}/api/chat/conversations/{conv}", timeout=10).json()["messages"]
        stored = [m["text"] for m in transcript]
        assert all(stored.count(t) == 1 for t in acked["customer"] + acked["agent"])
