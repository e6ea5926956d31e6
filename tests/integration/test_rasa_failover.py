"""Two real Rasa servers, each with its own action server, on one PostgreSQL tracker store and one
Redis lock store (`make run-cluster`'s bot side, tests/bots.py), behind the portal's client with
both in RASA_URL: a conversation whose server fails goes on, intact, on the other.

The tests run in this order: the last one kills Rasa A for good.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
import requests

from portal.chat.rasa_client import RasaClient, rendezvous_order
from tests.bots import running_bots
from tests.stack import RASA_TOKEN, _rasa_auth

pytestmark = [pytest.mark.integration, pytest.mark.once]


@pytest.fixture(scope="module")
def bots():
    started = time.monotonic()
    with running_bots(("a", "b")) as pair:
        print(f"two Rasa servers and two action servers ready in {time.monotonic() - started:.0f} s")
        yield pair


@pytest.fixture
def client(bots):
    return RasaClient(",".join(bot.rasa_url for bot in bots), RASA_TOKEN, timeout=30)


def conversation_on(client: RasaClient, bot, prefix: str) -> str:
    """A new conversation id that ranks `bot`'s Rasa first."""
    stamp = time.time_ns()
    return next(f"{prefix}-{stamp}-{n}" for n in range(1000)
                if rendezvous_order(client.base_urls, f"{prefix}-{stamp}-{n}")[0] == bot.rasa_url)


def tracker(bot, conversation: str) -> dict:
    response = requests.get(f"{bot.rasa_url}/conversations/{conversation}/tracker", headers=_rasa_auth(), timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def said(state: dict) -> list[str]:
    return [event["text"] for event in state["events"] if event["event"] == "user"]


def post_to(bot, conversation: str, text: str) -> requests.Response:
    return requests.post(f"{bot.rasa_url}/webhooks/portal/webhook", json={"sender": conversation, "message": text},
                         headers=_rasa_auth(), timeout=30)


def test_a_rasa_whose_action_server_hangs_hands_the_message_to_the_other(bots, client):
    a, b = bots
    conversation = conversation_on(client, a, "hung")
    assert client.send(conversation, "hello")
    os.kill(a.actions.pid, signal.SIGSTOP)  # hung: accepts connections, never answers
    try:
        time.sleep(1.1)  # past the channel's cached health answer
        refused = post_to(a, conversation, "are you there?")
        assert refused.status_code == 503 and "action server" in refused.text
        replies = client.send(conversation, "my order has not arrived")
        assert replies and any(r.text for r in replies)
    finally:
        os.kill(a.actions.pid, signal.SIGCONT)
    assert said(tracker(b, conversation)) == ["hello", "my order has not arrived"]  # never "are you there?"
    time.sleep(1.1)
    assert post_to(a, conversation, "thanks").status_code == 200  # back: A takes messages again


def test_killing_a_conversation_s_rasa_loses_nothing(bots, client):
    a, b = bots
    conversation = conversation_on(client, a, "killed")
    for text in ("hello", "I was charged twice for my order"):
        assert client.send(conversation, text)
    before = tracker(a, conversation)
    assert said(before) == ["hello", "I was charged twice for my order"]
    assert before["slots"]["conversation_mood"]["messages"]  # the action server's state across turns

    a.rasa.kill()  # SIGKILL, between two messages
    a.rasa.wait(10)
    started = time.monotonic()
    replies = client.send(conversation, "can you refund it?")
    took = time.monotonic() - started
    assert replies and any(r.text for r in replies)
    after = tracker(b, conversation)
    assert said(after) == ["hello", "I was charged twice for my order", "can you refund it?"]
    assert after["events"][:len(before["events"])] == before["events"]  # everything from before, unchanged
    # B's action server carried on from the state A's left in the tracker.
    remembered = before["slots"]["conversation_mood"]["messages"]
    assert after["slots"]["conversation_mood"]["messages"] == [*remembered, "can you refund it?"]
    assert took < 10, f"the next message waited {took:.1f} s"
    status = client.status()
    assert status["ok"] is True and [s["ok"] for s in status["servers"]].count(False) == 1
