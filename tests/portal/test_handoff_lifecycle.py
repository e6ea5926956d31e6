"""The conversation lifecycle (portal.handoff.lifecycle): every legal move, every illegal one
refused, and the one relay of a customer's reply with its audit record."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from portal.auth.models import User
from portal.chat.services import post_customer_message, start_conversation
from portal.conversations.models import ChatEvent, Conversation
from portal.extensions import db
from portal.handoff import lifecycle
from portal.handoff.lifecycle import STATES, TRANSITIONS, IllegalTransition
from portal.handoff.messages import customer_message
from portal.handoff.tickets import open_handoff_ticket, relay_customer_reply
from tests.portal.ticket_builders import (
    base_people,
    events_of,
    handoff,
    make_ticket,
    page_token,
    person,
    sign_in,
    ticket_by_number,
    ticket_state,
)


@pytest.fixture
def people(desk):
    with desk.app_context():
        bea = person("bea@example.com", ["agent"], "Bea Agent", teams=["billing"]).id
        return SimpleNamespace(**base_people(), bea=bea)


def _conversation(status: str) -> Conversation:
    conv = start_conversation(None, "visitor-lifecycle-aaaaaaaaaaaa")
    conv.status = status  # test setup only: the starting state of the move under test
    db.session.commit()
    return conv


def _status_events(conv: Conversation) -> list[dict]:
    return [e.data for e in db.session.scalars(sa.select(ChatEvent).where(
        ChatEvent.conversation_id == conv.id, ChatEvent.kind == "status").order_by(ChatEvent.id))]


def _do(move: str, conv: Conversation, ann: User, bea: User) -> None:
    calls = {
        "hand_off": lambda: lifecycle.hand_off(conv),
        "claim": lambda: lifecycle.claim(conv, ann),
        "pass_to": lambda: lifecycle.pass_to(conv, bea, ann),
        "requeue": lambda: lifecycle.requeue(conv, "You're back in the queue."),
        "hand_back": lambda: lifecycle.hand_back(conv, ann),
        "resolve": lambda: lifecycle.resolve(conv, ann),
        "close": lambda: lifecycle.close(conv, ann),
        "resolve_by_bot": lambda: lifecycle.resolve_by_bot(conv),
    }
    calls[move]()


# What each move tells live clients (None: no status event), exactly as the views always have.
STATUS_EVENT = {
    "hand_off": None,
    "claim": {"status": "live", "agent": "Ann"},
    "pass_to": {"status": "live", "agent": "Bea"},
    "requeue": {"status": "handoff"},
    "hand_back": {"status": "bot"},
    "resolve": {"status": "bot"},
    "close": {"status": "bot"},
    "resolve_by_bot": None,
}
LEGAL = [(move, start) for move, (starts, _) in TRANSITIONS.items() for start in sorted(starts)]
ILLEGAL = [(move, start) for move, (starts, _) in TRANSITIONS.items() for start in STATES if start not in starts]


def test_the_table_names_every_move_and_state():
    assert set(TRANSITIONS) == set(STATUS_EVENT)
    assert all(end in (None, *STATES) and starts <= set(STATES) for starts, end in TRANSITIONS.values())
    assert ILLEGAL  # the table refuses something


@pytest.mark.parametrize("move, start", LEGAL)
def test_every_legal_move_writes_its_state_and_its_live_event(desk, people, move, start):
    with desk.app_context():
        ann, bea = db.session.get(User, people.ann), db.session.get(User, people.bea)
        conv = _conversation(start)
        _do(move, conv, ann, bea)
        db.session.commit()
        db.session.expire_all()
        end = TRANSITIONS[move][1]
        assert conv.status == (end or start)
        expected_assignee = {"claim": ann.id, "pass_to": bea.id}.get(move)
        if move != "hand_off":
            assert conv.assignee_id == expected_assignee
        assert _status_events(conv) == ([STATUS_EVENT[move]] if STATUS_EVENT[move] else [])
        if move in ("resolve", "resolve_by_bot"):
            assert conv.resolution == ("agent" if move == "resolve" else "self_service")


@pytest.mark.parametrize("move, start", ILLEGAL)
def test_an_illegal_move_is_refused_and_changes_nothing(desk, people, move, start):
    with desk.app_context():
        ann, bea = db.session.get(User, people.ann), db.session.get(User, people.bea)
        conv = _conversation(start)
        with pytest.raises(IllegalTransition) as refused:
            _do(move, conv, ann, bea)
        assert refused.value.status == 409 and start in str(refused.value)
        assert conv.status == start and _status_events(conv) == []


def test_an_illegal_move_through_the_api_answers_409_and_rolls_back(desk, people):
    # A conversation a person already has cannot be claimed again, even when its ticket looks free.
    number = make_ticket(desk, people.casey, conv_status="live")
    with desk.app_context():
        before = ticket_state(number)
    ann = sign_in(desk.test_client(), "ann@example.com")
    response = ann.post(f"/api/agent/tickets/{number}/claim", headers={"X-CSRFToken": page_token(ann, "/agent")})
    assert response.status_code == 409
    assert "live" in response.get_json()["error"]["message"]
    with desk.app_context():
        assert ticket_state(number) == before


def test_the_handoff_ticket_and_the_handoff_commit_together_and_only_once(desk, people):
    with desk.app_context():
        conv = start_conversation(people.casey, None)
        customer_message(conv, "I was charged twice for order BN-1048231")
        db.session.commit()
        ticket, opened = open_handoff_ticket(conv, "requested_human", category="billing",
                                             note=lambda number: f"Ticket {number}.")
        db.session.commit()
        again, opened_again = open_handoff_ticket(conv, "left_message")
        assert (opened, opened_again, again.id) == (True, False, ticket.id)
        assert conv.status == "handoff" and ticket.team.slug == "billing"
        assert ticket.briefing["details"]["order_number"] == "BN-1048231"
        assert conv.messages[-1].text == f"Ticket {ticket.number}."


def test_the_relay_reopens_the_ticket_and_writes_its_audit_record(desk, people):
    number = make_ticket(desk, people.casey, status="pending", assignee=people.ann, conv_status="live")
    with desk.app_context():
        ticket = ticket_by_number(number)
        conv = ticket.conversation
        message = customer_message(conv, "Any news on my refund?")
        relay_customer_reply(conv, message, ticket, db.session.get(User, people.casey))
        ticket = ticket_by_number(number)
        assert (ticket.status, ticket.resolved_at, ticket.conversation.status) == ("open", None, "live")
        [reply] = events_of(number, "customer_reply")
        assert (reply.actor_id, reply.data) == (people.casey, {"text": "Any news on my refund?"})
        [reopened] = events_of(number, "status")
        assert (reopened.actor_id, reopened.data) == (people.casey, {"old": "pending", "new": "open",
                                                                     "by": "customer_reply"})
        live = db.session.scalars(sa.select(ChatEvent).where(ChatEvent.conversation_id == conv.id)
                                  .order_by(ChatEvent.id.desc()).limit(1)).one()
        assert (live.kind, live.data["text"]) == ("message", "Any news on my refund?")


def test_a_chat_message_to_a_person_goes_through_the_same_relay(desk, people):
    # The chat path once skipped the status change's audit record; now it writes the same one.
    with desk.app_context():
        ticket = handoff(db.session.get(User, people.casey), status="pending")
        number, conv = ticket.number, ticket.conversation
        result = post_customer_message(conv, "Hello? Is anyone there?")
        assert result.replies and "A person will reply here" in result.replies[0].text
        assert ticket_by_number(number).status == "open"
        assert [e.data["text"] for e in events_of(number, "customer_reply")] == ["Hello? Is anyone there?"]
        [reopened] = events_of(number, "status")
        assert (reopened.actor_id, reopened.data) == (None, {"old": "pending", "new": "open", "by": "customer_reply"})


def test_a_reply_on_an_unassigned_ticket_hands_the_chat_back_to_the_queue(desk, people):
    number = make_ticket(desk, people.casey, status="resolved", conv_status="bot")
    with desk.app_context():
        ticket = ticket_by_number(number)
        conv = ticket.conversation
        relay_customer_reply(conv, customer_message(conv, "It broke again"), ticket)
        assert ticket_by_number(number).conversation.status == "handoff"
        queue = db.session.scalars(sa.select(ChatEvent).where(ChatEvent.conversation_id.is_(None))
                                   .order_by(ChatEvent.id.desc()).limit(1)).one()
        # with whom it is for: the ticket's team (issue 15: queue events by team)
        assert queue.data == {"ticket": number, "change": "message", "teams": [ticket.team_id], "people": []}
