"""Several Rasa servers behind one RASA_URL: each conversation sticks to one server (rendezvous
hashing of its sender id) and moves to the next one when its server fails."""

from __future__ import annotations

import json
import time

import pytest
from prometheus_client import REGISTRY

from portal.chat.rasa_client import BotUnavailable, RasaClient, rendezvous_order, server_urls
from tests.fake_rasa import FakeRasa
from tests.portal.test_chat import send


@pytest.fixture
def servers():
    made = [FakeRasa(name=name) for name in ("a", "b", "c")]
    yield made
    for server in made:
        server.stop()


def answered_by(client: RasaClient, sender: str) -> str:
    return client.send(sender, "hello")[0].text


def sender_on(client: RasaClient, server: FakeRasa, prefix: str = "conv") -> str:
    """A sender id whose conversation ranks `server` first."""
    return next(f"{prefix}-{n}" for n in range(1000)
                if rendezvous_order(client.base_urls, f"{prefix}-{n}")[0] == server.url)


def test_rasa_url_lists_servers_separated_by_commas():
    assert server_urls(" http://a:5005/ , http://b:5006,http://a:5005") == ["http://a:5005", "http://b:5006"]
    with pytest.raises(ValueError):
        server_urls(" , ")


def test_conversations_are_spread_and_each_sticks_to_its_server(servers):
    a, b = servers[:2]
    client = RasaClient(f"{a.url},{b.url}", timeout=2)
    first = {f"c{n}": answered_by(client, f"c{n}") for n in range(100)}
    again = {sender: answered_by(client, sender) for sender in first}
    assert again == first
    assert 25 <= list(first.values()).count("a") <= 75  # about half each
    assert set(a.seen) & set(b.seen) == set()


def test_a_new_server_takes_conversations_only_from_the_others_never_moves_the_rest(servers):
    a, b, c = (s.url for s in servers)
    senders = [f"c{n}" for n in range(300)]
    before = {s: rendezvous_order([a, b], s)[0] for s in senders}
    after = {s: rendezvous_order([a, b, c], s)[0] for s in senders}
    moved = [s for s in senders if after[s] != before[s]]
    assert all(after[s] == c for s in moved)
    assert 50 <= len(moved) <= 150  # about a third
    assert {s: rendezvous_order([b, a], s)[0] for s in senders} == before  # the order in RASA_URL does not matter


def test_a_killed_server_s_conversations_go_to_the_next_and_it_is_skipped_for_a_while(servers):
    a, b = servers[:2]
    now = [0.0]  # the client's clock, moved by hand: a loaded machine cannot outlast the pause
    client = RasaClient(f"{a.url},{b.url}", timeout=2, down_seconds=30, clock=lambda: now[0])
    on_a = sender_on(client, a)
    assert answered_by(client, on_a) == "a"
    failures = REGISTRY.get_sample_value("calmline_rasa_failures_total", {"server": "1"}) or 0
    a.status = 503  # e.g. its action server is unreachable (bot/channels.py)
    assert answered_by(client, on_a) == "b"
    assert REGISTRY.get_sample_value("calmline_rasa_failures_total", {"server": "1"}) == failures + 1
    asked = len(a.seen)
    assert answered_by(client, sender_on(client, a, "other")) == "b"  # not asked again while down
    assert len(a.seen) == asked
    a.status = 200
    now[0] = 29.0
    assert answered_by(client, on_a) == "b"  # still within the pause
    assert len(a.seen) == asked
    now[0] = 31.0
    assert answered_by(client, on_a) == "a"  # back up: the conversation returns to its server
    a.stop()
    assert answered_by(client, on_a) == "b"


def test_a_server_that_times_out_is_not_replaced_for_that_message_but_waited_for_once(servers):
    """A slow server has the message (and the conversation's lock): sending it on would run the
    turn twice. That message is unanswered; the next ones go to the other server at once."""
    a, b = servers[:2]
    a.delay = 5.0  # far past the timeout, however slowly this machine runs
    client = RasaClient(f"{a.url},{b.url}", timeout=0.5, down_seconds=30)
    started = time.monotonic()
    with pytest.raises(BotUnavailable, match="did not answer within"):
        client.send(sender_on(client, a), "hello")
    assert 0.5 <= time.monotonic() - started < 4.5
    assert b.seen == []  # never sent on
    deadline = time.monotonic() + 5
    while not a.seen and time.monotonic() < deadline:  # its handler thread records what it was sent
        time.sleep(0.02)
    asked = len(a.seen)
    assert asked == 1
    assert answered_by(client, sender_on(client, a, "next")) == "b"
    assert len(a.seen) == asked  # the slow server was not asked (nor waited for) again


def test_the_tracker_api_fails_over_too(servers):
    a, b = servers[:2]
    client = RasaClient(f"{a.url},{b.url}", timeout=2)
    on_a = sender_on(client, a)
    a.stop()
    client.append_events(on_a, [{"event": "resume"}])
    assert [r.text for r in client.trigger_intent(on_a, "EXTERNAL_agent_done")] == ["b"]
    assert b.seen == [f"/conversations/{on_a}/tracker/events", f"/conversations/{on_a}/trigger_intent"]


def test_a_refusal_is_not_retried_elsewhere(servers):
    """401 or 400 would be the same on every server (a wrong token, a bad request)."""
    a, b = servers[:2]
    client = RasaClient(f"{a.url},{b.url}", timeout=2)
    a.status = 401
    with pytest.raises(BotUnavailable):
        client.send(sender_on(client, a), "hello")
    assert b.seen == []


def test_with_every_server_down_the_bot_is_unavailable(servers):
    a, b = servers[:2]
    client = RasaClient(f"{a.url},{b.url}", timeout=2)
    a.status, b.status = 500, 502
    with pytest.raises(BotUnavailable, match="no assistant answered"):
        client.send("c1", "hello")
    assert len(a.seen) == len(b.seen) == 1
    b.status = 200
    assert answered_by(client, "c1") == "b"  # both marked down: still tried, in order


def test_status_reports_each_server_without_its_address(servers):
    a, b = servers[:2]
    b.stop()
    client = RasaClient(f"{a.url},{b.url}", timeout=2, clock=lambda: 0.0)  # the clock stands still
    status = client.status()
    assert status["ok"] is True
    assert [(s["server"], s["ok"]) for s in status["servers"]] == [(1, True), (2, False)]
    assert status["servers"][1]["error"] == "ConnectionError"
    assert b.url not in json.dumps(status)
    a.stop()
    assert client.status()["ok"] is True  # asked a moment ago: the same answer, nobody asked again
    assert RasaClient(f"{a.url},{b.url}", timeout=2).status()["ok"] is False


def test_status_asks_the_servers_at_most_every_few_seconds(servers):
    a = servers[0]
    now = [0.0]
    client = RasaClient(a.url, timeout=2, status_seconds=3, clock=lambda: now[0])
    for _ in range(5):
        assert client.status()["ok"] is True
    now[0] = 2.9
    client.status()
    assert a.status_asked == 1
    now[0] = 3.1
    client.status()
    assert a.status_asked == 2


def test_the_portal_chats_on_while_one_of_its_rasa_servers_is_down(make_app, servers):
    a, b = servers[:2]
    app = make_app(RASA_URL=f"{a.url}, {b.url}", CHAT_RATE_LIMIT="1000 per minute")
    client = app.test_client()
    first = send(client, "My refund never arrived")
    assert first.status_code == 201
    conversation = first.get_json()["conversation_id"]
    home, other = (a, b) if a.seen else (b, a)
    assert app.extensions["rasa"].servers_for(conversation)[0] == home.url
    home.stop()
    second = send(client, "Still nothing", conversation_id=conversation)
    assert second.status_code == 201
    assert [r["text"] for r in second.get_json()["replies"]] == [other.name]
    ready = client.get("/readyz").get_json()["rasa"]
    assert ready["ok"] is True and [s["ok"] for s in ready["servers"]].count(False) == 1
