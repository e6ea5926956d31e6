"""Issue 14, "rating you can trust": the rating is stored when it is clicked, the comment added
later, each conversation is asked once (after a person resolved it, or after the assistant
solved it alone and the customer says goodbye), and a resolved chat takes no more agent replies.
Rasa is the stand-in from test_chat."""

from __future__ import annotations

from contextlib import closing

import pytest
import sqlalchemy as sa

from portal.chat.rasa_client import RasaClient
from portal.conversations.models import ChatEvent, Conversation
from portal.extensions import db
from portal.tickets.models import Ticket, TicketEvent
from tests.portal.test_chat import send
from tests.portal.test_live_agents import RATING, desk_with_agents, escalate, signed_in, stand_in_rasa

SERVICE = {"Authorization": "Bearer svc"}
SOLVED = [{"recipient_id": "x", "text": "Great, I'm glad that sorted it. Is there anything else I can help with?"},
          {"recipient_id": "x", "custom": {"resolved": "self_service"}}]
GOODBYE = [{"recipient_id": "x", "text": "Thanks for getting in touch. Take care!"},
           {"recipient_id": "x", "custom": {"closing": True}}]
BOT_RATING = [{"recipient_id": "x", "text": "Before you go: how did I do today? Please rate this chat from 1 (poor) "
               "to 5 (great).", "buttons": RATING[0]["buttons"]}]


@pytest.fixture
def rasa():
    with closing(stand_in_rasa()) as fake:
        yield fake


@pytest.fixture
def helpdesk(make_app, rasa):
    """Agents on their teams (test_live_agents); the bot's service token is "svc"."""
    return desk_with_agents(make_app, rasa)


def rate(app, body, headers=SERVICE):
    return app.test_client().post("/api/bot/satisfaction", json=body, headers=headers)


def rating_state(app, conv_id: str) -> dict:
    """What the conversation and its newest ticket hold, and the live rating events so far."""
    with app.app_context():
        conv = db.session.scalar(sa.select(Conversation).where(Conversation.public_id == conv_id))
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.conversation_id == conv.id)
                                   .order_by(Ticket.id.desc()).limit(1))
        events = db.session.scalars(sa.select(ChatEvent).where(ChatEvent.conversation_id == conv.id,
                                                               ChatEvent.kind == "rating")).all()
        return {"rating": conv.satisfaction_rating, "comment": conv.satisfaction_comment,
                "path": conv.satisfaction_path, "rated": conv.rated_at is not None,
                "asked": conv.rating_asked_at is not None,
                "ticket": (ticket.satisfaction_rating, ticket.satisfaction_comment) if ticket else None,
                "live": [(e.audience, e.data) for e in events]}


def resolved_by_alex(app):
    customer, conv_id, number = escalate(app)
    alex = signed_in(app, "alex@example.com")
    assert alex.post(f"/api/agent/tickets/{number}/claim", headers=alex.csrf).status_code == 200
    assert alex.post(f"/api/agent/tickets/{number}/resolve", headers=alex.csrf).status_code == 200
    return customer, conv_id, number, alex


def triggered(rasa) -> list[str]:
    return [r["name"] for r in rasa.received if "/trigger_intent" in r["path"]]


# ---- the bot's endpoint --------------------------------------------------------------------

def test_a_clicked_rating_is_stored_alone_and_the_console_hears_at_once(helpdesk, rasa):
    _, conv_id, number, _ = resolved_by_alex(helpdesk)
    response = rate(helpdesk, {"conversation_id": conv_id, "rating": "4"})
    assert response.status_code == 200
    assert response.get_json() == {"conversation_id": conv_id, "path": "agent", "rating": 4, "comment": "",
                                   "ticket_number": number}
    state = rating_state(helpdesk, conv_id)
    assert (state["rating"], state["path"], state["rated"], state["ticket"]) == (4, "agent", True, (4, ""))
    assert state["live"] == [("staff", {"rating": 4, "comment": "", "path": "agent", "ticket": number})]


def test_the_comment_comes_later_and_never_clears_the_rating(helpdesk, rasa):
    _, conv_id, number, _ = resolved_by_alex(helpdesk)
    assert rate(helpdesk, {"conversation_id": conv_id, "rating": 5}).status_code == 200
    later = rate(helpdesk, {"conversation_id": conv_id, "comment": "  Alex was quick  "})
    assert later.status_code == 200 and later.get_json()["rating"] == 5
    again = rate(helpdesk, {"conversation_id": conv_id, "rating": None, "comment": "Alex was quick"})
    assert again.status_code == 200  # a null rating is "not given", never "clear it"
    state = rating_state(helpdesk, conv_id)
    assert (state["rating"], state["comment"], state["ticket"]) == (5, "Alex was quick", (5, "Alex was quick"))
    assert [data["comment"] for _, data in state["live"]] == ["", "Alex was quick"]  # the repeat is not news
    with helpdesk.app_context():
        rated = db.session.scalars(sa.select(TicketEvent.data).where(TicketEvent.kind == "rated")
                                   .order_by(TicketEvent.id)).all()
    assert rated == [{"rating": 5}, {"comment": "Alex was quick"}]


def test_bad_input_is_refused_and_changes_nothing(helpdesk, rasa):
    _, conv_id, _, _ = resolved_by_alex(helpdesk)
    assert rate(helpdesk, {"conversation_id": conv_id, "rating": 3, "comment": "fine"}).status_code == 200
    before = rating_state(helpdesk, conv_id)
    for body in ({"conversation_id": conv_id, "rating": 0}, {"conversation_id": conv_id, "rating": 6},
                 {"conversation_id": conv_id, "rating": "six"}, {"conversation_id": conv_id, "rating": 4.5},
                 {"conversation_id": conv_id, "rating": True}, {"conversation_id": conv_id, "comment": 42},
                 {"conversation_id": conv_id, "rating": 5, "comment": "x" * 2001},
                 {"conversation_id": conv_id}, {"conversation_id": conv_id, "rating": None, "comment": ""},
                 {"rating": 5}, {"conversation_id": 7, "rating": 5}):
        response = rate(helpdesk, body)
        assert response.status_code == 400, body
        assert response.get_json()["error"]["message"], body
    not_json = helpdesk.test_client().post("/api/bot/satisfaction", data="4", content_type="text/plain",
                                           headers=SERVICE)
    assert not_json.status_code == 400
    assert rating_state(helpdesk, conv_id) == before


def test_an_unknown_conversation_is_404_and_an_unresolved_one_409(helpdesk, rasa):
    assert rate(helpdesk, {"conversation_id": "f" * 32, "rating": 4}).status_code == 404
    _, conv_id, _ = escalate(helpdesk)  # with a person, not resolved: nothing to rate yet
    response = rate(helpdesk, {"conversation_id": conv_id, "rating": 4})
    assert response.status_code == 409 and "nothing to rate" in response.get_json()["error"]["message"]
    assert rating_state(helpdesk, conv_id)["rating"] is None


def test_the_service_token_is_required(helpdesk, rasa):
    _, conv_id, _, _ = resolved_by_alex(helpdesk)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "svc"}):
        assert rate(helpdesk, {"conversation_id": conv_id, "rating": 1}, headers).status_code == 401
    assert rating_state(helpdesk, conv_id)["rating"] is None


# ---- asked once ------------------------------------------------------------------------------

def bot_solves_it(app, rasa):
    """The assistant offers an answer, the customer says it solved it, then says goodbye."""
    customer = app.test_client()
    rasa.replies = SOLVED
    first = send(customer, "how do I reset my password").get_json()
    assert first["status"] == "resolved"
    return customer, first["conversation_id"]


def test_a_bot_resolved_conversation_is_asked_once_when_the_customer_leaves(helpdesk, rasa):
    rasa.by_path["/trigger_intent"] = {"messages": BOT_RATING}
    customer, conv_id = bot_solves_it(helpdesk, rasa)
    assert triggered(rasa) == []  # solved is not leaving: "anything else?" comes first
    rasa.replies = GOODBYE
    bye = send(customer, "no thanks, bye", conversation_id=conv_id).get_json()
    assert [r["text"] for r in bye["replies"]] == ["Thanks for getting in touch. Take care!", BOT_RATING[0]["text"]]
    assert [b["title"] for b in bye["replies"][-1]["buttons"]] == ["1", "2", "3", "4", "5"]
    assert triggered(rasa) == ["EXTERNAL_bot_done"]
    slot = next(r for r in rasa.received if "/tracker/events" in r["path"])
    assert slot["body"] == [{"event": "slot", "name": "rating_for", "value": "bot"}]
    assert rating_state(helpdesk, conv_id)["asked"] and rating_state(helpdesk, conv_id)["path"] == "bot"

    again = send(customer, "bye!", conversation_id=conv_id).get_json()  # never twice
    assert [r["text"] for r in again["replies"]] == ["Thanks for getting in touch. Take care!"]
    assert triggered(rasa) == ["EXTERNAL_bot_done"]
    transcript = customer.get(f"/api/chat/conversations/{conv_id}").get_json()["messages"]
    assert sum("rate this chat" in m["text"] for m in transcript) == 1

    stored = rate(helpdesk, {"conversation_id": conv_id, "rating": "5"})
    assert stored.status_code == 200
    assert stored.get_json() == {"conversation_id": conv_id, "path": "bot", "rating": 5, "comment": "",
                                 "ticket_number": None}


def test_a_goodbye_without_the_bot_solving_anything_asks_nothing(helpdesk, rasa):
    rasa.replies = GOODBYE
    data = send(helpdesk.test_client(), "bye").get_json()
    assert data["status"] == "bot" and triggered(rasa) == []
    assert not rating_state(helpdesk, data["conversation_id"])["asked"]


def test_when_rasa_cannot_ask_the_bot_path_is_not_marked_asked(helpdesk, rasa):
    customer, conv_id = bot_solves_it(helpdesk, rasa)
    rasa.replies = GOODBYE
    helpdesk.extensions["rasa"] = GoodbyeThenDown(rasa.url)
    bye = send(customer, "bye", conversation_id=conv_id).get_json()
    assert [r["text"] for r in bye["replies"]] == ["Thanks for getting in touch. Take care!"]  # no dead buttons
    assert not rating_state(helpdesk, conv_id)["asked"]


class GoodbyeThenDown(RasaClient):
    """Rasa answers the message, then fails when asked to trigger the rating."""

    def append_events(self, sender_id, events):
        from portal.chat.rasa_client import BotUnavailable

        raise BotUnavailable("assistant answered 500")


def test_a_conversation_resolved_twice_by_people_is_asked_once(helpdesk, rasa):
    customer, conv_id, _, alex = resolved_by_alex(helpdesk)
    assert triggered(rasa) == ["EXTERNAL_agent_done"]
    rasa.replies = [{"recipient_id": "x", "text": "Bringing in a person.",
                     "custom": {"handoff": {"reason": "requested_human", "category": "billing"}}}]
    assert send(customer, "one more thing, a person please", conversation_id=conv_id).get_json()["status"] == "handoff"
    with helpdesk.app_context():
        second = db.session.scalar(sa.select(Ticket.number).where(Ticket.status == "open"))
    assert alex.post(f"/api/agent/tickets/{second}/claim", headers=alex.csrf).status_code == 200
    assert alex.post(f"/api/agent/tickets/{second}/resolve", headers=alex.csrf).status_code == 200
    assert triggered(rasa) == ["EXTERNAL_agent_done", "EXTERNAL_handed_back"]  # welcomed back, not asked again


def test_the_agent_path_is_asked_with_its_own_wording(helpdesk, rasa):
    _, conv_id, _, _ = resolved_by_alex(helpdesk)
    resume = next(r for r in rasa.received if "/tracker/events" in r["path"])
    assert resume["body"][0] == {"event": "resume"}
    assert resume["body"][-1] == {"event": "slot", "name": "rating_for", "value": "agent"}
    assert rating_state(helpdesk, conv_id)["path"] == "agent"


# ---- a resolved chat is read-only for the agent --------------------------------------------

def test_an_agent_reply_to_a_resolved_chat_is_refused(helpdesk, rasa):
    customer, conv_id, number, alex = resolved_by_alex(helpdesk)
    before = len(customer.get(f"/api/chat/conversations/{conv_id}").get_json()["messages"])
    response = alex.post(f"/api/agent/tickets/{number}/messages", json={"text": "One more thing"}, headers=alex.csrf)
    assert response.status_code == 409
    assert response.get_json()["error"]["message"] == (
        f"{number} is resolved, so its chat is read-only. Reopen the ticket on its page to write to the customer "
        "again.")
    assert len(customer.get(f"/api/chat/conversations/{conv_id}").get_json()["messages"]) == before
    with helpdesk.app_context():
        assert db.session.scalar(sa.select(sa.func.count(TicketEvent.id)).where(
            TicketEvent.kind == "reply", TicketEvent.data["text"].as_string() == "One more thing")) == 0
