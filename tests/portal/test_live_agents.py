"""Live agents (issue 4): queue, claim, live messages, bot pause and resume, availability,
live delivery by polling and by Server-Sent Events. Rasa is the stand-in from test_chat."""

from __future__ import annotations

import json
import os
import threading

import pytest
import sqlalchemy as sa

from portal.chat.rasa_client import RasaClient
from portal.conversations.models import ChatEvent, Conversation, Message
from portal.extensions import db
from portal.tickets.models import Team, Ticket, TicketEvent
from tests.factories import PASSWORD, make_user
from tests.fake_rasa import FakeRasa
from tests.portal.test_chat import csrf_headers, send

HANDOFF_REPLIES = [
    {"recipient_id": "x", "text": "I'm really sorry. I'm bringing in a member of our team now."},
    {"recipient_id": "x", "custom": {"handoff": {"reason": "angry", "category": "billing", "ticket_number": None}}},
]
RATING = [{"recipient_id": "x", "text": "How did our team do today? Please rate it from 1 (poor) to 5 (great).",
           "buttons": [{"title": str(n), "payload": f'/rate{{"rating": "{n}"}}'} for n in range(1, 6)]}]


def stand_in_rasa() -> FakeRasa:
    """Hands off when the customer writes; asks for a rating when triggered."""
    fake = FakeRasa(replies=HANDOFF_REPLIES)
    fake.by_path = {"/tracker/events": {"events": []}, "/trigger_intent": {"messages": RATING}}
    return fake


@pytest.fixture
def rasa():
    fake = stand_in_rasa()
    yield fake
    fake.close()


@pytest.fixture
def live_app(make_app, rasa):
    return desk_with_agents(make_app, rasa)


def desk_with_agents(make_app, rasa: FakeRasa):
    """Alex and Blair on billing, Toni on technical, Sam supervising; Rasa is the stand-in."""
    app = make_app(BOT_SERVICE_TOKEN="svc", CHAT_RATE_LIMIT="1000 per minute", BUSINESS_HOURS="always",
                   SSE_STREAM_SECONDS=1.5)
    app.extensions["rasa"] = RasaClient(rasa.url, timeout=2)
    with app.app_context():
        teams = {t.slug: t for t in db.session.scalars(sa.select(Team))}
        alex = make_user("alex@example.com", roles=["agent"], name="Alex Agent")
        alex.teams.append(teams["billing"])
        blair = make_user("blair@example.com", roles=["agent"], name="Blair Agent")
        blair.teams.append(teams["billing"])
        tech = make_user("toni@example.com", roles=["agent"], name="Toni Tech")
        tech.teams.append(teams["technical"])
        make_user("sam@example.com", roles=["supervisor"], name="Sam Supervisor")
        db.session.commit()
    return app


def signed_in(app, email):
    client = app.test_client()
    from tests.conftest import csrf_from

    token = csrf_from(client.get("/auth/login").get_data(as_text=True))
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    client.csrf = {"X-CSRFToken": csrf_headers(client)["X-CSRFToken"]}
    return client


def escalate(app):
    """A visitor chats; the bot hands off (angry, billing). Returns (client, conversation id, ticket number)."""
    customer = app.test_client()
    data = send(customer, "This is RIDICULOUS!!! I was charged twice and NOBODY has fixed it. I want my money back NOW").get_json()
    assert data["status"] == "handoff"
    with app.app_context():
        number = db.session.scalar(sa.select(Ticket.number))
    return customer, data["conversation_id"], number


def test_a_handoff_waits_in_its_teams_queue_sorted_by_priority(live_app):
    _, _, number = escalate(live_app)
    alex = signed_in(live_app, "alex@example.com")
    toni = signed_in(live_app, "toni@example.com")
    sam = signed_in(live_app, "sam@example.com")
    [item] = alex.get("/api/agent/queue").get_json()["queue"]
    assert item["ticket"] == number and item["team"] == "billing" and item["reason"] == "angry"
    assert item["frustration"] in ("frustrated", "angry") and item["priority"] in ("urgent", "high")
    assert toni.get("/api/agent/queue").get_json()["queue"] == []  # another team's queue
    assert toni.get(f"/api/agent/tickets/{number}").status_code == 404
    assert [i["ticket"] for i in sam.get("/api/agent/queue").get_json()["queue"]] == [number]


def test_claim_live_chat_and_the_bot_stays_paused(live_app, rasa):
    customer, conv_id, number = escalate(live_app)
    alex = signed_in(live_app, "alex@example.com")
    response = alex.post(f"/api/agent/tickets/{number}/claim", headers=alex.csrf)
    assert response.status_code == 200, response.get_data(as_text=True)
    detail = response.get_json()
    assert detail["mine"] and detail["conversation_status"] == "live"
    assert "charged twice" in detail["briefing"]["problem"]
    transcript = customer.get(f"/api/chat/conversations/{conv_id}").get_json()
    texts = [m["text"] for m in transcript["messages"]]
    assert "Alex from support has joined the chat." in texts
    first = [m for m in transcript["messages"] if m["sender"] == "agent"][0]
    assert first["author"] == "Alex" and "charged twice" in first["text"]  # briefed: names the problem

    sent_to_rasa = len(rasa.received)
    reply = send(customer, "thanks, it was 49.99 twice", conversation_id=conv_id).get_json()
    assert reply["status"] == "live" and reply["replies"] == []
    assert len(rasa.received) == sent_to_rasa  # the bot never saw it
    response = alex.post(f"/api/agent/tickets/{number}/messages", json={"text": "Refunding the 49.99 now."},
                         headers=alex.csrf)
    assert response.status_code == 201
    events = customer.get(f"/api/chat/conversations/{conv_id}/events?after=0").get_json()["events"]
    assert [e["data"]["text"] for e in events if e["kind"] == "message"][-2:] == \
        ["thanks, it was 49.99 twice", "Refunding the 49.99 now."]
    with live_app.app_context():
        ticket = db.session.scalar(sa.select(Ticket))
        assert ticket.first_responded_at is not None
        kinds = [e.kind for e in ticket.events]
        assert kinds[:2] == ["created", "claimed"] and "customer_reply" in kinds and kinds.count("reply") == 2


def test_two_agents_claiming_at_once_exactly_one_wins(live_app):
    _, _, number = escalate(live_app)
    clients = [signed_in(live_app, "alex@example.com"), signed_in(live_app, "blair@example.com")]
    barrier = threading.Barrier(2)
    results = []

    def claim(client):
        barrier.wait()
        response = client.post(f"/api/agent/tickets/{number}/claim", headers=client.csrf)
        results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=claim, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(code for code, _ in results) == [200, 409]
    loser = next(body for code, body in results if code == 409)
    assert "already claimed" in loser["error"]["message"]
    with live_app.app_context():
        ticket = db.session.scalar(sa.select(Ticket))
        assert ticket.assignee_id is not None
        assert db.session.scalar(sa.select(sa.func.count(TicketEvent.id)).where(TicketEvent.kind == "claimed")) == 1


def test_resolving_resumes_the_bot_which_asks_for_a_rating(live_app, rasa):
    customer, conv_id, number = escalate(live_app)
    alex = signed_in(live_app, "alex@example.com")
    alex.post(f"/api/agent/tickets/{number}/claim", headers=alex.csrf)
    response = alex.post(f"/api/agent/tickets/{number}/resolve", headers=alex.csrf)
    assert response.status_code == 200
    tracker_call = next(r for r in rasa.received if r["path"].startswith(f"/conversations/{conv_id}/tracker/events"))
    assert tracker_call["body"][0] == {"event": "resume"}  # un-paused, and the mood starts afresh
    assert {"event": "slot", "name": "handoff_reason", "value": None} in tracker_call["body"]
    trigger = next(r for r in rasa.received if "/trigger_intent" in r["path"])
    assert trigger["name"] == "EXTERNAL_agent_done"
    transcript = customer.get(f"/api/chat/conversations/{conv_id}").get_json()
    assert transcript["status"] == "bot"
    assert transcript["messages"][-1]["text"].startswith("How did our team do today?")
    # The bot's action server stores the rating through the service API.
    rated = live_app.test_client().post("/api/bot/satisfaction", json={"conversation_id": conv_id, "rating": "4",
                                                                       "comment": "Alex was quick"},
                                        headers={"Authorization": "Bearer svc"})
    assert rated.status_code == 200 and rated.get_json()["rating"] == 4
    bad = live_app.test_client().post("/api/bot/satisfaction", json={"conversation_id": conv_id, "rating": 9},
                                      headers={"Authorization": "Bearer svc"})
    assert bad.status_code == 400
    with live_app.app_context():
        ticket = db.session.scalar(sa.select(Ticket))
        assert (ticket.status, ticket.satisfaction_rating, ticket.satisfaction_comment) == \
            ("resolved", 4, "Alex was quick")


def test_when_rasa_is_down_resolving_still_asks_for_a_rating(live_app, rasa):
    customer, conv_id, number = escalate(live_app)
    alex = signed_in(live_app, "alex@example.com")
    alex.post(f"/api/agent/tickets/{number}/claim", headers=alex.csrf)
    live_app.extensions["rasa"] = RasaClient("http://127.0.0.1:9", timeout=1)
    assert alex.post(f"/api/agent/tickets/{number}/messages", json={"text": "Still here."},
                     headers=alex.csrf).status_code == 201  # live chat does not need Rasa
    assert send(customer, "great", conversation_id=conv_id).get_json()["status"] == "live"
    assert alex.post(f"/api/agent/tickets/{number}/resolve", headers=alex.csrf).status_code == 200
    last = customer.get(f"/api/chat/conversations/{conv_id}").get_json()["messages"][-1]
    assert "rate" in last["text"] and [b["title"] for b in last["buttons"]] == ["1", "2", "3", "4", "5"]


def test_hand_back_and_transfer_keep_the_history(live_app, rasa):
    customer, conv_id, number = escalate(live_app)
    alex = signed_in(live_app, "alex@example.com")
    alex.post(f"/api/agent/tickets/{number}/claim", headers=alex.csrf)
    moved = alex.post(f"/api/agent/tickets/{number}/transfer", json={"team": "technical"}, headers=alex.csrf)
    assert moved.status_code == 200 and moved.get_json()["team"] == "technical"
    toni = signed_in(live_app, "toni@example.com")
    assert [i["ticket"] for i in toni.get("/api/agent/queue").get_json()["queue"]] == [number]
    assert toni.post(f"/api/agent/tickets/{number}/claim", headers=toni.csrf).status_code == 200
    detail = toni.get(f"/api/agent/tickets/{number}").get_json()
    assert any("charged twice" in m["text"] for m in detail["messages"] if m["sender"] == "customer")  # the story
    assert alex.post(f"/api/agent/tickets/{number}/transfer", json={"team": "nope"},
                     headers=alex.csrf).status_code in (403, 404)
    back = toni.post(f"/api/agent/tickets/{number}/handback", headers=toni.csrf)
    assert back.status_code == 200
    assert customer.get(f"/api/chat/conversations/{conv_id}").get_json()["status"] == "bot"
    assert any("/trigger_intent" in r["path"] and r["name"] == "EXTERNAL_handed_back" for r in rasa.received)


def test_nobody_available_is_told_honestly_with_the_reply_time(make_app, rasa):
    app = make_app(BOT_SERVICE_TOKEN="svc", CHAT_RATE_LIMIT="1000 per minute", BUSINESS_HOURS="always")
    app.extensions["rasa"] = RasaClient(rasa.url, timeout=2)
    data = send(app.test_client(), "I was charged twice!!! fix it NOW").get_json()
    notice = [r["text"] for r in data["replies"] if r["sender"] == "system"]
    assert any("nobody can pick this up straight away" in t and "My tickets" in t for t in notice), notice
    assert any("within 1 hour" in t or "within 4 hours" in t for t in notice), notice


def test_outside_business_hours_even_an_online_agent_is_not_promised(make_app, rasa):
    app = make_app(BOT_SERVICE_TOKEN="svc", BUSINESS_HOURS="Sat-Sat 03:00-03:01", BUSINESS_TIMEZONE="UTC")
    app.extensions["rasa"] = RasaClient(rasa.url, timeout=2)
    with app.app_context():
        make_user("alex@example.com", roles=["supervisor"], name="Alex Agent")
    signed_in(app, "alex@example.com").get("/api/agent/queue")  # online
    data = send(app.test_client(), "I was charged twice!!! fix it NOW").get_json()
    assert any("Our team answers live Saturday 3:00\u20133:01" in r["text"] for r in data["replies"])


def test_events_resume_after_the_last_id_and_stream_as_sse(live_app):
    customer, conv_id, number = escalate(live_app)
    alex = signed_in(live_app, "alex@example.com")
    alex.post(f"/api/agent/tickets/{number}/claim", headers=alex.csrf)
    everything = customer.get(f"/api/chat/conversations/{conv_id}/events?after=0").get_json()
    assert [e["kind"] for e in everything["events"]][:2] == ["message", "status"]
    middle = everything["events"][0]["id"]
    rest = customer.get(f"/api/chat/conversations/{conv_id}/events",
                        headers={"Last-Event-ID": str(middle)}).get_json()["events"]
    assert [e["id"] for e in rest] == [e["id"] for e in everything["events"][1:]]
    stream = customer.get(f"/api/chat/conversations/{conv_id}/events",
                          headers={"Accept": "text/event-stream", "Last-Event-ID": str(middle)})
    assert stream.mimetype == "text/event-stream"
    body = stream.get_data(as_text=True)  # the stream ends after SSE_STREAM_SECONDS
    ids = [int(line[4:]) for line in body.splitlines() if line.startswith("id: ")]
    assert ids == [e["id"] for e in rest]
    data = [json.loads(line[6:]) for line in body.splitlines() if line.startswith("data: ")]
    assert data[-1]["data"]["sender"] == "agent"
    # Staff-only events (notes, customer typing) never reach the customer.
    alex.post(f"/api/agent/tickets/{number}/notes", json={"text": "Customer is a long-time member."},
              headers=alex.csrf)
    after = customer.get(f"/api/chat/conversations/{conv_id}/events?after={ids[-1]}").get_json()["events"]
    assert after == []
    staff = alex.get(f"/api/agent/tickets/{number}/events?after={ids[-1]}").get_json()["events"]
    assert [e["kind"] for e in staff if e["kind"] != "queue"] == ["note"]
    assert customer.get(f"/api/chat/conversations/{conv_id}/events?after=abc").status_code == 400
    assert live_app.test_client().get(f"/api/chat/conversations/{conv_id}/events").status_code == 404


@pytest.mark.parametrize("body, message", [
    ({"text": ""}, "non-empty"),
    ({"text": 42}, "non-empty"),
    ({"text": "x" * 4001}, "limited to 4000"),
])
def test_bad_agent_messages_are_refused_and_store_nothing(live_app, body, message):
    _, _, number = escalate(live_app)
    alex = signed_in(live_app, "alex@example.com")
    alex.post(f"/api/agent/tickets/{number}/claim", headers=alex.csrf)
    with live_app.app_context():
        before = db.session.scalar(sa.select(sa.func.count(Message.id)))
    response = alex.post(f"/api/agent/tickets/{number}/messages", json=body, headers=alex.csrf)
    assert response.status_code == 400 and message in response.get_json()["error"]["message"]
    assert alex.post(f"/api/agent/tickets/{number}/messages", data="nope", content_type="application/json",
                     headers=alex.csrf).status_code == 400
    assert alex.post(f"/api/agent/tickets/{number}/messages", json={"text": "hi"}).status_code == 400  # no CSRF
    with live_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Message.id))) == before


def test_an_agent_who_did_not_claim_cannot_speak_for_the_ticket(live_app):
    _, _, number = escalate(live_app)
    alex, blair = signed_in(live_app, "alex@example.com"), signed_in(live_app, "blair@example.com")
    alex.post(f"/api/agent/tickets/{number}/claim", headers=alex.csrf)
    assert blair.post(f"/api/agent/tickets/{number}/messages", json={"text": "hello"},
                      headers=blair.csrf).status_code == 403
    assert blair.post(f"/api/agent/tickets/{number}/resolve", headers=blair.csrf).status_code == 403
    with live_app.app_context():
        conv = db.session.scalar(sa.select(Conversation))
        assert conv.status == "live"
        assert db.session.scalar(sa.select(sa.func.count(ChatEvent.id)).where(ChatEvent.kind == "message")) >= 2


def test_a_retried_message_with_the_same_client_id_is_stored_once(live_app):
    customer, conv_id, number = escalate(live_app)
    alex = signed_in(live_app, "alex@example.com")
    alex.post(f"/api/agent/tickets/{number}/claim", headers=alex.csrf)
    first = send(customer, "are you there?", conversation_id=conv_id, client_id="c-1").get_json()
    again = send(customer, "are you there?", conversation_id=conv_id, client_id="c-1").get_json()
    assert again["duplicate"] is True and again["message"]["id"] == first["message"]["id"]
    a1 = alex.post(f"/api/agent/tickets/{number}/messages", json={"text": "Yes!", "client_id": "a-1"},
                   headers=alex.csrf).get_json()
    a2 = alex.post(f"/api/agent/tickets/{number}/messages", json={"text": "Yes!", "client_id": "a-1"},
                   headers=alex.csrf).get_json()
    assert a1["id"] == a2["id"]
    assert send(customer, "x", conversation_id=conv_id, client_id="bad id!").status_code == 400
    with live_app.app_context():
        texts = list(db.session.scalars(sa.select(Message.text).where(Message.text.in_(("are you there?", "Yes!")))))
        assert sorted(texts) == ["Yes!", "are you there?"]
        events = db.session.scalars(sa.select(ChatEvent).where(ChatEvent.kind == "message")).all()
        assert sum(e.data.get("text") == "are you there?" for e in events) == 1


def test_a_wake_up_reaches_only_the_streams_of_that_conversation(monkeypatch):
    import time

    from portal.events import wakeups
    from portal.events.wakeups import Notifier

    monkeypatch.setattr(wakeups, "POLL_SECONDS", 6.0)  # far apart, however slowly this machine runs

    notifier = Notifier(None)
    woke: dict[str, float] = {}

    def follow(channel):
        start = time.monotonic()
        notifier.wait([channel], {channel: 0}, timeout=10.0)  # no Redis, no app: waits up to POLL_SECONDS
        woke[channel] = time.monotonic() - start

    threads = [threading.Thread(target=follow, args=(c,)) for c in ("c1", "c2")]
    for t in threads:
        t.start()
    time.sleep(0.05)
    notifier.wake("c1")
    for t in threads:
        t.join()
    assert woke["c1"] < 4.0  # at once (0.05 s after it started waiting), not at its poll
    assert woke["c2"] >= 5.9  # slept on until its own timeout: nobody woke it
    assert notifier.version("c1") == 1 and notifier.version("c2") == 0


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a Redis server (REDIS_URL); CI sets it")
def test_with_redis_a_wake_up_reaches_local_streams_once_through_redis():
    """The wake-up goes out through Redis and comes back to this process too: the streams here
    are woken by that echo, once, not a second time by a local shortcut (each wake-up costs
    every woken stream a database read)."""
    import time

    from portal.events.wakeups import Notifier

    notifier = Notifier(os.environ["REDIS_URL"])
    woke, took = threading.Event(), []

    def wait():
        started = time.monotonic()
        notifier.wait(["c7"], {"c7": 0}, timeout=5.0)  # with Redis, capped at 3 s
        took.append(time.monotonic() - started)
        woke.set()

    waiter = threading.Thread(target=wait)
    waiter.start()
    deadline = time.monotonic() + 5
    while not notifier._subscribed and time.monotonic() < deadline:  # the listener starts with the first wait
        time.sleep(0.02)
    assert notifier._subscribed
    notifier.wake("c7")
    assert woke.wait(10)
    assert took[0] < 2.9, f"the wait ran out its 3 s cap ({took[0]:.2f} s): the wake-up did not end it"
    time.sleep(0.3)  # room for a second, duplicate wake-up to arrive
    assert notifier.version("c7") == 1
    waiter.join()


def test_a_live_message_is_one_short_transaction_each_way(live_app):
    """A customer's message to the agent and the agent's answer each take one transaction with
    a handful of statements, and answering does not open a second one to reload what was just
    written. Every statement is a round trip on PostgreSQL under the desk's busiest load."""
    from sqlalchemy import event

    customer, conv_id, number = escalate(live_app)
    alex = signed_in(live_app, "alex@example.com")
    assert alex.post(f"/api/agent/tickets/{number}/claim", headers=alex.csrf).status_code == 200
    customer_headers = csrf_headers(customer)
    with live_app.app_context():
        engine = db.engine
    seen: list[str] = []

    def statement(conn, cursor, sql, params, context, executemany):
        seen.append(sql)

    def begin(conn):
        seen.append("BEGIN")

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "begin", begin)
    try:
        seen.clear()
        response = customer.post("/api/chat/messages", json={"text": "still there?", "conversation_id": conv_id},
                                 headers=customer_headers)
        assert response.status_code == 201 and response.get_json()["message"]["text"] == "still there?"
        assert seen.count("BEGIN") == 1, seen
        assert len(seen) - 1 <= 10, seen
        seen.clear()
        response = alex.post(f"/api/agent/tickets/{number}/messages", json={"text": "Yes, here."}, headers=alex.csrf)
        assert response.status_code == 201 and response.get_json()["author"] == "Alex"
        assert seen.count("BEGIN") == 1, seen
        assert len(seen) - 1 <= 8, seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "begin", begin)


def test_when_a_workers_stream_slots_are_taken_clients_are_told_to_poll(make_app, rasa):
    """Each open stream holds a worker thread. Past SSE_MAX_STREAMS the stream is refused with
    503 (the widget and console then poll) and polling still answers; a closed stream frees
    its slot."""
    app = make_app(BOT_SERVICE_TOKEN="svc", CHAT_RATE_LIMIT="1000 per minute", BUSINESS_HOURS="always",
                   SSE_STREAM_SECONDS=30, SSE_MAX_STREAMS=1)
    app.extensions["rasa"] = RasaClient(rasa.url, timeout=2)
    customer, conv_id, _ = escalate(app)
    url = f"/api/chat/conversations/{conv_id}/events"
    sse = {"Accept": "text/event-stream"}
    first = customer.get(url, headers=sse, buffered=False)
    assert first.status_code == 200 and first.mimetype == "text/event-stream"
    assert next(first.response).startswith(b"retry:")  # it is open and streaming
    refused = customer.get(url, headers=sse)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
    assert "polling" in refused.get_json()["error"]["message"]
    polled = customer.get(f"{url}?after=0")
    assert polled.status_code == 200 and "last_event_id" in polled.get_json()
    first.close()  # the browser went away: the slot is free again
    again = customer.get(url, headers=sse, buffered=False)
    assert again.status_code == 200
    again.close()
    assert app.extensions["event_stream_slots"].open == 0
