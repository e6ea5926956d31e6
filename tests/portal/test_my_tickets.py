"""My tickets: a customer's (or a visitor's) own tickets, the visible thread, replying, the nav badge."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from portal.agent import services as agent_svc
from portal.auth.models import User
from portal.conversations.models import ChatEvent, Conversation
from portal.extensions import db
from portal.support import customer
from portal.visitor import COOKIE
from tests.portal.ticket_builders import (
    as_user,
    base_people,
    events_of,
    listed_tickets,
    make_ticket,
    page_token,
    ticket_by_number,
    ticket_state,
)

VISITOR = "visitor-cookie-aaaaaaaaaaaaaaaa"
OTHER_VISITOR = "visitor-cookie-bbbbbbbbbbbbbbbb"


@pytest.fixture
def people(desk):
    with desk.app_context():
        return SimpleNamespace(**base_people())


make = make_ticket


def agent_says(app, number, text, agent_id):
    with app.app_context():
        agent_svc.agent_reply(number, db.session.get(User, agent_id), text)


def agent_notes(app, number, text, agent_id):
    with app.app_context():
        agent_svc.add_note(number, db.session.get(User, agent_id), text)


def as_visitor(app, cookie=VISITOR):
    client = app.test_client()
    client.set_cookie(COOKIE, cookie)
    return client


rows = listed_tickets


def badge(html: str) -> int:
    match = re.search(r'data-unread-count="(\d+)"', html)
    return int(match.group(1)) if match else 0


def state(app, number):
    with app.app_context():
        return ticket_state(number)


@pytest.fixture(autouse=True)
def no_mail(monkeypatch):
    monkeypatch.setattr("portal.tickets.mail.send_mail", lambda *args: True)


# ---- the list and the thread -----------------------------------------------------------------

def test_a_customer_lists_only_their_own_tickets(desk, people):
    mine = make(desk, people.casey, text="My sofa arrived broken")
    second = make(desk, people.casey, text="Where is my refund?", status="resolved")
    make(desk, people.robin, text="Robin's problem")
    make(desk, visitor=VISITOR, text="A visitor's problem")

    html = as_user(desk, "casey@example.com").get("/tickets").get_data(as_text=True)
    assert rows(html) == [second, mine]  # newest first
    assert "My sofa arrived broken" in html and "Resolved" in html
    assert "Robin" not in html and "visitor" not in html


def test_someone_elses_or_an_unknown_ticket_is_404(desk, people):
    robins = make(desk, people.robin)
    visitors = make(desk, visitor=VISITOR)
    casey = as_user(desk, "casey@example.com")
    assert casey.get(f"/tickets/{robins}").status_code == 404
    assert casey.get(f"/tickets/{visitors}").status_code == 404
    assert casey.get("/tickets/T-000000").status_code == 404
    assert as_visitor(desk, OTHER_VISITOR).get(f"/tickets/{visitors}").status_code == 404
    assert desk.test_client().get(f"/tickets/{visitors}").status_code == 404
    # a signed-in customer does not inherit a visitor cookie's tickets
    casey.set_cookie(COOKIE, VISITOR)
    assert casey.get(f"/tickets/{visitors}").status_code == 404


def test_a_visitor_sees_the_tickets_of_their_chats(desk, people):
    theirs = make(desk, visitor=VISITOR, text="Parcel missing")
    make(desk, visitor=OTHER_VISITOR, text="Someone else's parcel")
    visitor = as_visitor(desk)
    assert rows(visitor.get("/tickets").get_data(as_text=True)) == [theirs]
    page = visitor.get(f"/tickets/{theirs}")
    assert page.status_code == 200 and "Parcel missing" in page.get_data(as_text=True)

    stranger = desk.test_client()
    response = stranger.get("/tickets")
    assert response.status_code == 200 and rows(response.get_data(as_text=True)) == []
    assert COOKIE not in response.headers.get("Set-Cookie", "")  # looking hands out no cookie


def test_the_thread_shows_the_conversation_but_never_notes_or_staff_events(desk, people):
    number = make(desk, people.casey, assignee=people.ann)
    agent_notes(desk, number, "Chargeback risk, be careful", people.ann)
    agent_says(desk, number, "I've refunded the second charge.", people.ann)
    with desk.app_context():
        ticket = ticket_by_number(number)
        agent_svc.transfer(number, db.session.get(User, people.ann), team="technical")
        assert db.session.scalar(sa.select(sa.func.count(ChatEvent.id)).where(ChatEvent.audience == "staff")) > 0
        assert ticket.events  # notes and transfers exist, for staff

    html = as_user(desk, "casey@example.com").get(f"/tickets/{number}").get_data(as_text=True)
    assert "I was charged twice" in html and "refunded the second charge." in html and "Ann (support)" in html
    assert "Chargeback" not in html and "Internal" not in html
    assert "passed you to our technical team" in html  # what the chat itself told the customer


# ---- unread and the badge --------------------------------------------------------------------

def test_an_agent_reply_marks_the_ticket_unread_until_the_customer_opens_it(desk, people):
    first = make(desk, people.casey, assignee=people.ann)
    second = make(desk, people.casey, assignee=people.ann)
    make(desk, people.casey)  # no reply yet
    casey = as_user(desk, "casey@example.com")
    assert badge(casey.get("/").get_data(as_text=True)) == 0

    agent_says(desk, first, "Looking into it.", people.ann)
    agent_says(desk, second, "Refund sent.", people.ann)
    listing = casey.get("/tickets").get_data(as_text=True)
    assert badge(listing) == 2
    assert set(re.findall(r'<tr data-ticket="([^"]+)" class="unread"', listing)) == {first, second}

    with desk.app_context():
        updated_before = ticket_by_number(first).updated_at
    casey.get(f"/tickets/{first}")
    with desk.app_context():
        seen = ticket_by_number(first)
        assert seen.customer_seen_at is not None and seen.updated_at == updated_before  # reading is not a change
    assert badge(casey.get("/").get_data(as_text=True)) == 1

    agent_says(desk, first, "Done, anything else?", people.ann)
    assert badge(casey.get("/").get_data(as_text=True)) == 2
    assert badge(as_user(desk, "robin@example.com").get("/").get_data(as_text=True)) == 0


def test_visitors_get_the_badge_by_their_cookie_and_strangers_get_none(desk, people):
    number = make(desk, visitor=VISITOR, assignee=people.ann)
    agent_says(desk, number, "Hello again", people.ann)
    assert badge(as_visitor(desk).get("/").get_data(as_text=True)) == 1
    assert badge(as_visitor(desk, OTHER_VISITOR).get("/").get_data(as_text=True)) == 0
    assert badge(desk.test_client().get("/").get_data(as_text=True)) == 0


def test_the_badge_count_is_one_query(desk, people):
    for _ in range(3):
        number = make(desk, people.casey, assignee=people.ann)
        agent_says(desk, number, "Reply", people.ann)
    statements = []
    with desk.app_context():
        engine = db.engine
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            assert customer.unread_count(people.casey, None) == 3
            assert customer.unread_count(None, VISITOR) == 0
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 2 and all("count(" in s.lower() for s in statements)


# ---- replying --------------------------------------------------------------------------------

def test_a_reply_is_stored_announced_audited_and_reopens_a_resolved_ticket(desk, people):
    number = make(desk, people.casey, status="resolved", conv_status="bot")
    with desk.app_context():
        ticket = ticket_by_number(number)
        ticket.resolved_at = ticket.created_at
        db.session.commit()
    casey = as_user(desk, "casey@example.com")
    response = casey.post(f"/tickets/{number}/reply", data={
        "text": "This is STILL not fixed!!! I want my money back", "csrf_token": page_token(casey)})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/tickets/{number}")

    with desk.app_context():
        ticket = ticket_by_number(number)
        assert (ticket.status, ticket.resolved_at) == ("open", None)
        message = ticket.conversation.messages[-1]
        assert (message.sender, message.text) == ("customer", "This is STILL not fixed!!! I want my money back")
        assert message.frustration_level in ("frustrated", "angry") and message.frustration_score > 0.5
        [event] = events_of(number, "customer_reply")
        assert (event.actor_id, event.internal, event.data["text"]) == (people.casey, False, message.text)
        [reopened] = events_of(number, "status")
        assert (reopened.actor_id, reopened.data["old"], reopened.data["new"]) == (people.casey, "resolved", "open")
        live = db.session.scalars(sa.select(ChatEvent).where(ChatEvent.conversation_id == ticket.conversation_id)
                                  .order_by(ChatEvent.id)).all()
        assert live[-1].kind == "message" and live[-1].audience == "all" and live[-1].data["text"] == message.text
        queue = db.session.scalars(sa.select(ChatEvent).where(ChatEvent.conversation_id.is_(None))
                                   .order_by(ChatEvent.id)).all()
        # with whom it is for: the ticket's team and assignee (issue 15: queue events by team)
        assert queue[-1].data == {"ticket": number, "change": "message", "teams": [ticket.team_id], "people": []}
        assert queue[-1].audience == "staff"
        # unassigned: back in the queue for a person, not to the bot
        assert ticket.conversation.status == "handoff"
    assert "I want my money back" in casey.get(f"/tickets/{number}").get_data(as_text=True)


@pytest.mark.parametrize("status, after", [("pending", "open"), ("open", "open")])
def test_a_reply_reopens_a_pending_ticket_and_leaves_an_open_one_open(desk, people, status, after):
    number = make(desk, people.casey, status=status, assignee=people.ann, conv_status="live")
    casey = as_user(desk, "casey@example.com")
    assert casey.post(f"/tickets/{number}/reply", data={"text": "Any news?", "csrf_token": page_token(casey)}
                      ).status_code == 303
    with desk.app_context():
        ticket = ticket_by_number(number)
        assert ticket.status == after and ticket.conversation.status == "live"  # the assigned agent keeps it
        assert len(events_of(number, "status")) == (1 if status != after else 0)


def test_a_visitor_replies_with_the_session_csrf_token(desk, people):
    number = make(desk, visitor=VISITOR, status="pending")
    visitor = as_visitor(desk)
    response = visitor.post(f"/tickets/{number}/reply", data={"text": "Thanks, that worked",
                                                              "csrf_token": page_token(visitor)})
    assert response.status_code == 303
    with desk.app_context():
        [event] = events_of(number, "customer_reply")
        assert event.actor_id is None and ticket_by_number(number).status == "open"


def test_replying_to_a_closed_ticket_is_refused_and_the_text_is_kept(desk, people):
    number = make(desk, people.casey, status="closed")
    casey = as_user(desk, "casey@example.com")
    before = state(desk, number)
    response = casey.post(f"/tickets/{number}/reply", data={"text": "Hello? Anyone?", "csrf_token": page_token(casey)})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "is closed" in html and "Hello? Anyone?" in html
    assert state(desk, number) == before


@pytest.mark.parametrize("data, status, message", [
    ({"text": "   "}, 400, "Write your reply first."),
    ({"text": "x" * 2001}, 400, "Replies are limited to 2,000 characters."),
    ({"text": "hi", "csrf_token": "forged"}, 400, "Your form expired"),
    ({"text": "hi", "csrf_token": None}, 400, "Your form expired"),
])
def test_bad_replies_are_refused_and_change_nothing(desk, people, data, status, message):
    number = make(desk, people.casey, status="pending")
    casey = as_user(desk, "casey@example.com")
    body = {"csrf_token": page_token(casey), **data}
    body = {k: v for k, v in body.items() if v is not None}
    before = state(desk, number)
    response = casey.post(f"/tickets/{number}/reply", data=body)
    assert response.status_code == status and message in response.get_data(as_text=True)
    assert state(desk, number) == before


def test_replying_to_someone_elses_ticket_is_404_and_changes_nothing(desk, people):
    robins = make(desk, people.robin, status="pending")
    visitors = make(desk, visitor=VISITOR, status="pending")
    casey = as_user(desk, "casey@example.com")
    token = page_token(casey)
    before = (state(desk, robins), state(desk, visitors))
    assert casey.post(f"/tickets/{robins}/reply", data={"text": "mine now", "csrf_token": token}).status_code == 404
    assert casey.post(f"/tickets/{visitors}/reply", data={"text": "mine now", "csrf_token": token}).status_code == 404
    stranger = as_visitor(desk, OTHER_VISITOR)
    assert stranger.post(f"/tickets/{visitors}/reply", data={"text": "hi", "csrf_token": page_token(stranger)}
                         ).status_code == 404
    assert (state(desk, robins), state(desk, visitors)) == before


def test_a_reply_on_a_ticket_whose_chat_was_removed_starts_a_new_one(desk, people):
    number = make(desk, people.casey, status="pending")
    with desk.app_context():
        ticket = ticket_by_number(number)
        conv = db.session.get(Conversation, ticket.conversation_id)
        ticket.conversation_id = None  # what ON DELETE SET NULL does (SQLite runs without FK enforcement)
        db.session.delete(conv)
        db.session.commit()
    casey = as_user(desk, "casey@example.com")
    assert "I was charged twice" in casey.get(f"/tickets/{number}").get_data(as_text=True)  # from the transcript
    assert casey.post(f"/tickets/{number}/reply", data={"text": "Still waiting", "csrf_token": page_token(casey)}
                      ).status_code == 303
    with desk.app_context():
        ticket = ticket_by_number(number)
        assert ticket.conversation.user_id == people.casey
        assert [m.text for m in ticket.conversation.messages] == ["Still waiting"]
