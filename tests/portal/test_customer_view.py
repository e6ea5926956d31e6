"""Issue 15, finding 13: the customer's conversation API showed what the portal made of their
messages (frustration level, score and signals, intents, entities). Every answer and live event
a customer reads now holds only what was said; the agent console keeps the scoring."""

from __future__ import annotations

import json

import pytest

from tests.portal.test_chat import send
from tests.portal.test_live_agents import desk_with_agents, escalate, signed_in, stand_in_rasa

INTERNAL = {"frustration", "intent", "confidence", "entities", "signals", "score"}


@pytest.fixture
def live_app(make_app):
    rasa = stand_in_rasa()
    yield desk_with_agents(make_app, rasa)
    rasa.close()


def keys_in(value) -> set[str]:
    """Every key at any depth of a JSON value."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_in(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_in(v)}
    return set()


def sse_payloads(body: str) -> list[dict]:
    return [json.loads(line[len("data: "):]) for line in body.splitlines() if line.startswith("data: ")]


def test_nothing_a_customer_reads_holds_our_reading_of_their_messages(live_app):
    customer, conv_id, number = escalate(live_app)  # an angry message, scored, handed off
    alex = signed_in(live_app, "alex@example.com")
    assert alex.post(f"/api/agent/tickets/{number}/claim", headers=alex.csrf).status_code == 200
    said = send(customer, "I was charged twice for order BN-1048231, this is ridiculous!!!",
                conversation_id=conv_id).get_json()
    assert alex.post(f"/api/agent/tickets/{number}/messages", json={"text": "Refunding it now."},
                     headers=alex.csrf).status_code == 201

    url = f"/api/chat/conversations/{conv_id}"
    seen = {
        "the message's answer": said,
        "the conversation": customer.get(url).get_json(),
        "polled events": customer.get(f"{url}/events?after=0").get_json(),
        "streamed events": sse_payloads(customer.get(f"{url}/events?after=0",
                                                     headers={"Accept": "text/event-stream"}).get_data(as_text=True)),
    }
    assert any(m["text"].startswith("I was charged twice") for m in seen["the conversation"]["messages"])
    assert {where: keys_in(answer) & INTERNAL for where, answer in seen.items()} == {where: set() for where in seen}

    # The console still has it all: the customer's messages with their frustration, live too.
    detail = alex.get(f"/api/agent/tickets/{number}").get_json()
    assert all("frustration" in m for m in detail["messages"] if m["sender"] == "customer")
    events = alex.get(f"/api/agent/tickets/{number}/events?after=0").get_json()["events"]
    customer_events = [e for e in events if e["kind"] == "message" and e["data"]["sender"] == "customer"]
    assert customer_events and all("frustration" in e["data"] for e in customer_events)
