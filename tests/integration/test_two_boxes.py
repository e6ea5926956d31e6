"""Two portal boxes on one PostgreSQL and one Redis (the `make run-cluster` layout), for real:
two gunicorns, each with its own instance folder and port. What one box does, the other sees:
the session, the rate-limit counts, live chat messages, search and attachments. Rasa is down.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.cluster import METRICS_TOKEN, running_boxes
from tests.integration.test_live_faults import Side
from tests.portal.attachment_files import image_bytes

pytestmark = [pytest.mark.integration, pytest.mark.once]


@pytest.fixture(scope="module")
def cluster():
    # Failed logins per account: a small budget, counted in Redis for every box.
    with running_boxes(LOGIN_ACCOUNT_RATE_LIMIT="3 per minute") as running:
        yield running


@pytest.fixture
def boxes(cluster):
    return cluster.urls


def logged(log: Path, request_id: str, within: float = 5.0) -> dict | None:
    """The JSON request line with this request id in one box's log, once it is written."""
    deadline = time.monotonic() + within
    while True:
        for raw in log.read_text(errors="replace").splitlines():
            if raw.startswith("{") and request_id in raw:
                try:
                    line = json.loads(raw)
                except json.JSONDecodeError:  # read while it was being written: read again
                    continue
                if line.get("request_id") == request_id:
                    return line
        if time.monotonic() > deadline:
            return None
        time.sleep(0.05)


def test_each_box_logs_its_own_requests_as_json_and_serves_its_metrics(cluster):
    for n, url in enumerate(cluster.urls):
        request_id = f"box-{n}-{uuid.uuid4().hex[:8]}"
        answered = requests.get(f"{url}/healthz", headers={"X-Request-ID": request_id}, timeout=10)
        assert answered.status_code == 200 and answered.headers["X-Request-ID"] == request_id
        line = logged(cluster.logs[n], request_id)
        assert line is not None, f"box {n} did not log {request_id}"
        assert (line["method"], line["path"], line["status"]) == ("GET", "/healthz", 200)
        assert logged(cluster.logs[1 - n], request_id, within=0) is None  # the other box never saw it

        assert requests.get(f"{url}/metrics", timeout=10).status_code == 404  # no token, no metrics
        metrics = requests.get(f"{url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10)
        assert metrics.status_code == 200
        names = {family.name for family in text_string_to_metric_families(metrics.text)}
        assert {"calmline_http_request_duration_seconds", "calmline_queue_waiting_tickets", "calmline_chat_turns"} <= names, names
        healthz = [s.value for family in text_string_to_metric_families(metrics.text) for s in family.samples
                   if s.name == "calmline_http_request_duration_seconds_count" and s.labels["route"] == "/healthz"]
        assert sum(healthz) >= 1


def follow(side: Side, url: str) -> queue.Queue:
    """Open an SSE stream (as the widget and the console do); its message texts arrive on a queue."""
    texts: queue.Queue = queue.Queue()
    opened = threading.Event()

    def read():
        try:
            with side.http.get(url, headers={"Accept": "text/event-stream"}, stream=True, timeout=30) as response:
                if response.status_code != 200:
                    texts.put(f"HTTP {response.status_code}: {response.text[:300]}")
                    return
                opened.set()
                for line in response.iter_lines(decode_unicode=True):
                    if line and line.startswith("data: "):
                        event = json.loads(line[6:])
                        if event.get("kind") == "message":
                            texts.put(event["data"]["text"])
        except requests.RequestException:  # the boxes stop at the end of the module
            pass

    threading.Thread(target=read, daemon=True).start()
    assert opened.wait(10), f"the stream did not open: {texts.queue}"
    time.sleep(0.3)  # the stream is past its first read of the database
    return texts


def arrives(texts: queue.Queue, wanted: str, within: float = 15.0) -> float:
    start = time.monotonic()
    while (left := within - (time.monotonic() - start)) > 0:
        try:
            if texts.get(timeout=left) == wanted:
                return time.monotonic() - start
        except queue.Empty:
            break
    raise AssertionError(f"{wanted!r} did not arrive within {within}s")


def test_a_login_made_on_one_box_works_on_the_other(boxes):
    a, b = boxes
    agent = Side(a).login("agent@example.com", "calm-agent-2026")
    assert agent.http.get(f"{a}/agent", allow_redirects=False, timeout=10).status_code == 200
    # The same cookie jar on box B: the session (signed with the shared SECRET_KEY) is valid there.
    on_b = agent.http.get(f"{b}/agent", allow_redirects=False, timeout=10)
    assert on_b.status_code == 200, on_b.status_code
    stranger = requests.get(f"{b}/agent", allow_redirects=False, timeout=10)
    assert stranger.status_code in (302, 303) and "/auth/login" in stranger.headers["Location"]


def test_failed_logins_counted_on_one_box_are_counted_on_the_other(boxes):
    a, b = boxes
    email = f"nobody-{uuid.uuid4().hex[:8]}@example.com"  # a budget of its own on a shared Redis

    def fail(base: str) -> int:
        side = Side(base)
        form = side.http.get(f"{base}/auth/login", timeout=10).text
        token = form.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
        return side.http.post(f"{base}/auth/login", data={"email": email, "password": "wrong", "csrf_token": token},
                              allow_redirects=False, timeout=10).status_code

    assert [fail(a) for _ in range(3)] == [401, 401, 401]
    assert fail(b) == 429  # box B knows box A's three failures


def test_a_live_chat_crosses_boxes_both_ways(boxes):
    a, b = boxes
    customer = Side(b)
    first = customer.post("/api/chat/messages", {"text": "My table arrived with a broken leg"})[0].json()
    conv = first["conversation_id"]
    number = customer.post(f"/api/chat/conversations/{conv}/leave-message", {})[0].json()["ticket_number"]
    agent = Side(a).login("agent@example.com", "calm-agent-2026")
    assert agent.post(f"/api/agent/tickets/{number}/claim", {})[0].status_code == 200

    agent_hears = follow(agent, f"{a}/api/agent/tickets/{number}/events")  # the console, on box A
    customer_hears = follow(customer, f"{b}/api/chat/conversations/{conv}/events")  # the widget, on box B

    sent, _ = customer.post("/api/chat/messages", {"text": "Is anyone there?", "conversation_id": conv})
    assert sent.status_code == 201, sent.text
    to_agent = arrives(agent_hears, "Is anyone there?")
    replied, _ = agent.post(f"/api/agent/tickets/{number}/messages", {"text": "Yes, Alex here on box A."})
    assert replied.status_code == 201, replied.text
    to_customer = arrives(customer_hears, "Yes, Alex here on box A.")
    print(f"\ncross-box delivery: B->A {to_agent * 1000:.0f} ms, A->B {to_customer * 1000:.0f} ms")
    # A poll on box B sees the same transcript.
    polled = customer.http.get(f"{b}/api/chat/conversations/{conv}/events?after=0", timeout=10).json()["events"]
    assert "Yes, Alex here on box A." in [e["data"]["text"] for e in polled if e["kind"] == "message"]


def test_a_thread_posted_on_one_box_is_found_by_search_on_the_other_at_once(boxes):
    a, b = boxes
    word = f"zebrawood{uuid.uuid4().hex[:6]}"
    assert requests.get(f"{b}/api/search", params={"q": word}, timeout=10).json()["total"] == 0
    member = Side(a).login("customer@example.com", "calm-customer-2026")
    form = member.http.get(f"{a}/forum/new", timeout=10).text
    token = form.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    posted = member.http.post(f"{a}/forum/new", timeout=10, allow_redirects=False, data={
        "csrf_token": token, "category": "products-setup", "title": f"Caring for a {word} sideboard",
        "body": f"How do I oil a {word} sideboard without staining the wall behind it?", "tags": ""})
    assert posted.status_code == 303, posted.text[:2000]
    found = requests.get(f"{b}/api/search", params={"q": word}, timeout=10).json()
    assert [r["title"] for r in found["results"]] == [f"Caring for a {word} sideboard"]


def test_an_attachment_uploaded_on_one_box_is_served_by_the_other(boxes):
    a, b = boxes
    customer = Side(a)
    photo = image_bytes("PNG")
    uploaded = customer.http.post(f"{a}/api/chat/attachments", timeout=10,
                                  headers={"X-CSRFToken": customer.csrf, "Referer": f"{a}/chat"},
                                  data={"text": "The broken leg"}, files={"file": ("leg.png", photo, "image/png")})
    assert uploaded.status_code == 201, uploaded.text
    url = uploaded.json()["message"]["attachments"][0]["url"]
    served = customer.http.get(f"{b}{url}", timeout=10)
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/png"
    assert served.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert requests.get(f"{b}{url}", timeout=10).status_code == 404  # someone else: nothing
