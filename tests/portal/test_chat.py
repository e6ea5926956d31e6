"""Chat API against a stand-in for Rasa's REST channel (the real bot is tested in tests/bot)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.chat.rasa_client import RasaClient
from portal.conversations.models import Conversation, Message
from portal.extensions import db
from portal.tickets.models import Ticket
from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_user
from tests.fake_rasa import FakeRasa


@pytest.fixture
def rasa():
    fake = FakeRasa()
    yield fake
    fake.close()


@pytest.fixture
def chat_app(make_app, rasa):
    app = make_app(BOT_SERVICE_TOKEN="service-token-for-tests", CHAT_RATE_LIMIT="1000 per minute")
    app.extensions["rasa"] = RasaClient(rasa.url, timeout=2)
    return app


def csrf_headers(client) -> dict:
    return {"X-CSRFToken": csrf_from_meta(client.get("/").get_data(as_text=True))}


def csrf_from_meta(html: str) -> str:
    import re

    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def send(client, text, conversation_id=None, headers=None, **extra):
    body = {"text": text, "page": "/kb/charged-twice", **extra}
    if conversation_id:
        body["conversation_id"] = conversation_id
    return client.post("/api/chat/messages", json=body, headers=headers or csrf_headers(client))


def stored(app, model):
    with app.app_context():
        return db.session.scalars(sa.select(model).order_by(model.id)).all()


def test_a_message_is_stored_forwarded_and_answered(chat_app, rasa):
    client = chat_app.test_client()
    response = send(client, "I was charged TWICE for order BN-1048231!!! This is ridiculous")
    assert response.status_code == 201
    data = response.get_json()
    assert data["assistant_available"] is True
    # Scored and stored for staff, never shown to the customer (issue 15, finding 13).
    assert "frustration" not in data["message"]
    [stored_message] = [m for m in stored(chat_app, Message) if m.sender == "customer"]
    assert stored_message.frustration_level in ("frustrated", "angry")
    assert [r["sender"] for r in data["replies"]] == ["bot", "bot"]
    assert data["replies"][0]["buttons"] == [{"title": "Show me the refund steps", "payload": "/refund"}]
    assert data["replies"][1]["articles"] == [{"title": "Charged twice", "url": "/kb/charged-twice", "type": "article"}]
    [sent] = rasa.received
    assert sent["path"] == "/webhooks/portal/webhook"
    assert sent["sender"] == data["conversation_id"]
    assert sent["metadata"]["page"] == "/kb/charged-twice"
    assert sent["metadata"]["message_id"] == stored_message.id  # marks a retried message in the tracker
    messages = stored(chat_app, Message)
    assert [m.sender for m in messages] == ["customer", "bot", "bot"]
    assert messages[0].frustration_score > 0.5 and messages[0].frustration_signals


def test_a_button_sends_its_payload_to_the_bot_and_shows_its_title(chat_app, rasa):
    client = chat_app.test_client()
    first = send(client, "How do I return a sofa?").get_json()
    response = send(client, "/affirm", conversation_id=first["conversation_id"], label="That solved it")
    assert response.status_code == 201
    assert response.get_json()["message"]["text"] == "That solved it"
    assert rasa.received[-1]["message"] == "/affirm"
    transcript = client.get(f"/api/chat/conversations/{first['conversation_id']}").get_json()
    assert [m["text"] for m in transcript["messages"] if m["sender"] == "customer"] == \
        ["How do I return a sofa?", "That solved it"]
    # A label only relabels a button payload; typed text is stored as typed.
    typed = send(client, "yes it did", conversation_id=first["conversation_id"], label="ignored").get_json()
    assert typed["message"]["text"] == "yes it did"


def test_the_conversation_continues_and_its_transcript_is_private(chat_app, login):
    client = chat_app.test_client()
    first = send(client, "Where is my parcel?").get_json()
    second = send(client, "It still has not arrived", conversation_id=first["conversation_id"])
    assert second.status_code == 201 and second.get_json()["conversation_id"] == first["conversation_id"]
    transcript = client.get(f"/api/chat/conversations/{first['conversation_id']}").get_json()
    assert [m["sender"] for m in transcript["messages"]] == ["customer", "bot", "bot", "customer", "bot", "bot"]
    stranger = chat_app.test_client()
    assert stranger.get(f"/api/chat/conversations/{first['conversation_id']}").status_code == 404
    assert send(stranger, "hijack", conversation_id=first["conversation_id"]).status_code == 404
    assert chat_app.test_client().get("/api/chat/conversations/" + "0" * 32).status_code == 404


def test_a_signed_in_customers_chat_follows_the_account(chat_app):
    with chat_app.app_context():
        make_user("casey@example.com")
    browser_one, browser_two = chat_app.test_client(), chat_app.test_client()
    for browser in (browser_one, browser_two):
        token = csrf_from(browser.get("/auth/login").get_data(as_text=True))
        browser.post("/auth/login", data={"email": "casey@example.com", "password": PASSWORD, "csrf_token": token})
    conv = send(browser_one, "Hello").get_json()["conversation_id"]
    assert browser_two.get(f"/api/chat/conversations/{conv}").status_code == 200


def test_when_the_assistant_is_down_the_message_is_kept_and_a_ticket_can_be_left(chat_app):
    chat_app.extensions["rasa"] = RasaClient("http://127.0.0.1:9", timeout=1)  # nothing listens there
    client = chat_app.test_client()
    response = send(client, "My refund never arrived and I need it today")
    assert response.status_code == 201
    data = response.get_json()
    assert data["assistant_available"] is False
    [note] = data["replies"]
    assert note["sender"] == "system" and "not available" in note["text"]
    assert note["custom"]["offers"] == ["search", "leave_message"]
    assert [m.text for m in stored(chat_app, Message) if m.sender == "customer"] == [
        "My refund never arrived and I need it today"]
    left = client.post(f"/api/chat/conversations/{data['conversation_id']}/leave-message",
                       json={"email": "casey@example.com"}, headers=csrf_headers(client))
    assert left.status_code == 201
    [ticket] = stored(chat_app, Ticket)
    assert left.get_json()["ticket_number"] == ticket.number
    assert ticket.reason == "left_message" and ticket.contact_email == "casey@example.com"
    assert ticket.transcript[0]["text"] == "My refund never arrived and I need it today"
    assert ticket.briefing["problem"] == "My refund never arrived and I need it today"
    # Later messages join the ticket instead of going to the (paused) bot.
    later = send(client, "Any news?", conversation_id=data["conversation_id"]).get_json()
    assert ticket.number in later["replies"][0]["text"]


def test_a_slow_assistant_counts_as_unavailable(make_app):
    slow = FakeRasa(delay=1.5)
    try:
        app = make_app(CHAT_RATE_LIMIT="1000 per minute")
        app.extensions["rasa"] = RasaClient(slow.url, timeout=0.5)
        client = app.test_client()
        data = send(client, "hello?").get_json()
        assert data["assistant_available"] is False
        assert [m.sender for m in stored(app, Message)] == ["customer", "system"]
    finally:
        slow.close()


def test_rasa_answering_an_error_counts_as_unavailable(make_app):
    broken = FakeRasa(status=500)
    try:
        app = make_app(CHAT_RATE_LIMIT="1000 per minute")
        app.extensions["rasa"] = RasaClient(broken.url, timeout=2)
        assert send(app.test_client(), "hello").get_json()["assistant_available"] is False
    finally:
        broken.close()


@pytest.mark.parametrize("body, message", [
    ("not json at all", "JSON object"),
    ("[1, 2]", "JSON object"),
    ('{"text": 42}', "must be a string"),
    ('{"text": "   "}', "Type a message"),
    ('{"text": "' + "x" * 2001 + '"}', "limited to 2000"),
    ('{"text": "hi", "page": ["x"]}', "'page' must be a string"),
    ('{"text": "hi", "conversation_id": "nope"}', "No such conversation"),
    ('{"text": "/affirm", "label": 7}', "'label' must be a button title"),
    ('{"text": "/affirm", "label": "' + "x" * 121 + '"}', "'label' must be a button title"),
])
def test_bad_input_gets_a_clear_error_and_stores_nothing(chat_app, body, message):
    client = chat_app.test_client()
    response = client.post("/api/chat/messages", data=body, content_type="application/json",
                           headers=csrf_headers(client))
    assert response.status_code in (400, 404)
    assert message in response.get_json()["error"]["message"]
    assert stored(chat_app, Message) == [] and stored(chat_app, Conversation) == []


def test_chat_posts_need_the_csrf_token(chat_app):
    client = chat_app.test_client()
    response = client.post("/api/chat/messages", json={"text": "hello"}, headers={"X-CSRFToken": "forged"})
    assert response.status_code == 400 and response.is_json
    assert stored(chat_app, Message) == []


def test_chat_is_rate_limited(make_app, rasa):
    app = make_app(CHAT_RATE_LIMIT="3 per minute")
    app.extensions["rasa"] = RasaClient(rasa.url, timeout=2)
    client = app.test_client()
    statuses = [send(client, f"message {i}").status_code for i in range(4)]
    assert statuses == [201, 201, 201, 429]


def handoff(client, token="service-token-for-tests", **body):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/api/bot/handoffs", json=body, headers=headers)


def test_bot_handoff_opens_one_ticket_with_transcript_and_briefing(chat_app):
    client = chat_app.test_client()
    conv = send(client, "I was charged twice for order BN-1048231").get_json()["conversation_id"]
    send(client, "This is useless. I WANT A REFUND NOW!!!", conversation_id=conv)
    events = [
        {"event": "user", "text": "I was charged twice for order BN-1048231",
         "parse_data": {"intent": {"name": "billing", "confidence": 0.93},
                        "entities": [{"entity": "order_number", "value": "BN-1048231"}]}},
        {"event": "bot", "text": "I'm sorry about the double charge."},
        {"event": "user", "text": "This is useless. I WANT A REFUND NOW!!!",
         "parse_data": {"intent": {"name": "refund", "confidence": 0.81}, "entities": []}},
    ]
    response = handoff(client, conversation_id=conv, reason="angry", events=events, category="billing")
    assert response.status_code == 201
    data = response.get_json()
    [ticket] = stored(chat_app, Ticket)
    assert data["ticket_number"] == ticket.number and ticket.category == "billing"
    assert ticket.priority == "urgent"
    assert ticket.transcript[0]["intent"] == "billing" and ticket.transcript[0]["confidence"] == 0.93
    assert ticket.transcript[0]["entities"] == [{"entity": "order_number", "value": "BN-1048231"}]
    assert ticket.briefing["problem"] == "I was charged twice for order BN-1048231"
    assert ticket.briefing["details"] == {"order_number": "BN-1048231"}
    assert ticket.briefing["wants"] == "their refund"
    assert ticket.briefing["bot_offered_articles"] == [{"title": "Charged twice", "url": "/kb/charged-twice", "type": "article"}]
    assert ticket.briefing["mood_now"] in ("frustrated", "angry")
    again = handoff(client, conversation_id=conv, reason="angry", events=events)
    assert again.status_code == 200 and again.get_json()["ticket_number"] == ticket.number
    assert len(stored(chat_app, Ticket)) == 1


def test_bot_handoff_refuses_bad_callers_and_input(chat_app):
    client = chat_app.test_client()
    conv = send(client, "hello").get_json()["conversation_id"]
    assert handoff(client, token=None, conversation_id=conv, reason="angry").status_code == 401
    assert handoff(client, token="wrong", conversation_id=conv, reason="angry").status_code == 401
    assert handoff(client, conversation_id=conv, reason="bored").status_code == 400
    assert handoff(client, conversation_id=conv, reason="angry", events="nope").status_code == 400
    assert handoff(client, conversation_id="0" * 32, reason="angry").status_code == 404
    assert client.post("/api/bot/handoffs", data="{", content_type="application/json",
                       headers={"Authorization": "Bearer service-token-for-tests"}).status_code == 400
    assert stored(chat_app, Ticket) == []


def test_handoff_is_closed_without_a_configured_token(make_app):
    app = make_app(BOT_SERVICE_TOKEN="")
    assert handoff(app.test_client(), token="", conversation_id="x", reason="angry").status_code == 401


def test_a_handoff_the_bot_could_not_deliver_is_opened_by_the_portal(make_app):
    """The action server could not reach the portal: its reply carries the marker, the portal opens the ticket."""
    fake = FakeRasa(replies=[
        {"recipient_id": "x", "text": "I'm passing you to a person now."},
        {"recipient_id": "x", "custom": {"handoff": {"reason": "angry", "category": "billing", "ticket_number": None}}},
    ])
    try:
        app = make_app(CHAT_RATE_LIMIT="1000 per minute")
        app.extensions["rasa"] = RasaClient(fake.url, timeout=2)
        client = app.test_client()
        data = send(client, "I WANT A PERSON NOW, you charged me twice!!!").get_json()
        assert data["status"] == "handoff"
        [ticket] = stored(app, Ticket)
        assert (ticket.reason, ticket.category, ticket.priority) == ("angry", "billing", "urgent")
        assert ticket.transcript[0]["text"] == "I WANT A PERSON NOW, you charged me twice!!!"
        assert any(ticket.number in m.text for m in stored(app, Message) if m.sender == "system")
        # When the action did reach /api/bot/handoffs, the conversation already has its ticket: no second one.
        from portal.chat.services import ensure_handoff_ticket

        with app.app_context():
            conv = db.session.scalar(sa.select(Conversation))
            again = ensure_handoff_ticket(conv, {"reason": "angry", "ticket_number": ticket.number})
            assert again.number == ticket.number
        assert len(stored(app, Ticket)) == 1
    finally:
        fake.close()


def test_bot_links_must_be_our_own_pages_and_keep_their_kind():
    from portal.chat.rasa_client import parse_reply

    reply = parse_reply({"custom": {"articles": [
        {"title": "Lamp won't pair", "url": "/forum/t/3-lamp", "type": "thread"},
        {"title": "Reset", "url": "/kb/reset", "type": "<script>"},
        {"title": "Elsewhere", "url": "//evil.example/kb"},
        {"title": "Elsewhere", "url": "https://evil.example/kb"},
        {"title": "Script", "url": "javascript:alert(1)"},
    ]}})
    assert reply.articles == [{"title": "Lamp won't pair", "url": "/forum/t/3-lamp", "type": "thread"},
                              {"title": "Reset", "url": "/kb/reset", "type": "article"}]


def test_a_first_message_sent_again_after_a_lost_answer_stays_in_one_conversation(chat_app, rasa):
    """The widget re-sends with the same client_id when an answer is lost; the first message
    has no conversation id yet, and the retry must not start a second conversation."""
    client = chat_app.test_client()
    headers = csrf_headers(client)
    first = send(client, "where is my parcel", headers=headers, client_id="w-first-1").get_json()
    again = send(client, "where is my parcel", headers=headers, client_id="w-first-1").get_json()
    assert again["conversation_id"] == first["conversation_id"] and again["duplicate"] is True
    assert [m.text for m in stored(chat_app, Message) if m.sender == "customer"] == ["where is my parcel"]
    assert len(stored(chat_app, Conversation)) == 1
    assert len(rasa.received) == 1  # the bot heard it once
    # Another visitor using the same id is somebody else's first message, in their own conversation.
    other = chat_app.test_client()
    theirs = send(other, "where is my parcel", headers=csrf_headers(other), client_id="w-first-1").get_json()
    assert theirs["conversation_id"] != first["conversation_id"] and "duplicate" not in theirs
