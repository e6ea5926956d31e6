"""Builders for the ticket tests: people with roles and teams, handed-off chats, signed-in clients.

Users get a cheap password hash: the matrix signs in dozens of people, and scrypt is
deliberately slow (the login path checks any hash werkzeug knows).
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from portal.auth.models import User
from portal.auth.services import get_or_create_role
from portal.chat.services import start_conversation
from portal.conversations.models import ChatEvent, Conversation, Message
from portal.extensions import db
from portal.handoff.messages import transcript_of
from portal.tickets.models import TEAMS, Team, Ticket, TicketEvent
from portal.tickets.services import open_ticket
from tests.conftest import csrf_from
from tests.factories import PASSWORD

FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class QuietRasa:
    """Stands in for Rasa when an agent resolves or hands back: records, says nothing."""

    def __init__(self):
        self.calls: list[tuple] = []

    def append_events(self, sender_id, events):
        self.calls.append(("events", sender_id))

    def trigger_intent(self, sender_id, intent, entities=None):
        self.calls.append(("intent", sender_id, intent))
        return []


def ticket_app(make_app, **overrides):
    app = make_app(CHAT_RATE_LIMIT="1000 per minute", **overrides)
    app.extensions["rasa"] = QuietRasa()
    return app


def team(slug: str) -> Team:
    row = db.session.scalar(sa.select(Team).where(Team.slug == slug))
    if row is None:  # the migration seeds them; a test that removed one still gets it back
        row = Team(slug=slug, name=TEAMS[slug])
        db.session.add(row)
        db.session.flush()
    return row


def person(email: str, roles=("customer",), name: str = "", teams=()) -> User:
    for slug in TEAMS:
        team(slug)
    user = User(email=email, name=name or email.split("@")[0].title(), password_hash=FAST_HASH)
    user.roles = [get_or_create_role(r) for r in roles]
    user.teams = [team(slug) for slug in teams]
    db.session.add(user)
    db.session.commit()
    return user


def handoff(customer: User | None = None, visitor: str | None = None, category: str = "billing",
            text: str = "I was charged twice for order BN-1048231", reason: str = "requested_human",
            conv_status: str = "handoff", assignee: User | None = None, status: str = "open") -> Ticket:
    """A chat the bot handed to a person, with its ticket (as the handoff API leaves them)."""
    for slug in TEAMS:
        team(slug)
    conv = start_conversation(customer.id if customer else None, visitor)
    db.session.add(Message(conversation=conv, sender="customer", text=text, frustration_score=0.45,
                           frustration_level="annoyed", frustration_signals=["negative_sentiment"],
                           entities=[{"entity": "order_number", "value": "BN-1048231"}]))
    db.session.add(Message(conversation=conv, sender="bot", text="Let me get you a person."))
    db.session.commit()
    ticket = open_ticket(reason=reason, transcript=transcript_of(conv), category=category,
                         customer_id=customer.id if customer else None, conversation_id=conv.id)
    conv.status = conv_status
    ticket.status = status
    if assignee is not None:
        ticket.assignee_id = assignee.id
        conv.assignee_id = assignee.id if conv_status == "live" else None
    db.session.commit()
    return ticket


def sign_in(client, email: str):
    token = csrf_from(client.get("/auth/login").get_data(as_text=True))
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def page_token(client, path: str = "/") -> str:
    """The CSRF token from a page's meta tag (what the scripts send)."""
    return META_CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def ticket_state(number: str) -> dict:
    """Everything a ticket change could touch, to compare before and after a refused request."""
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.number == number))
    return {
        "ticket": (ticket.status, ticket.priority, ticket.assignee_id, ticket.team_id, ticket.resolved_at,
                   ticket.first_responded_at, ticket.customer_seen_at),
        "events": db.session.scalar(sa.select(sa.func.count(TicketEvent.id)).where(TicketEvent.ticket_id == ticket.id)),
        "messages": db.session.scalar(sa.select(sa.func.count(Message.id))
                                      .where(Message.conversation_id == ticket.conversation_id)),
        "conversation": db.session.scalar(sa.select(Conversation.status).where(
            Conversation.id == ticket.conversation_id)),
        "chat_events": db.session.scalar(sa.select(sa.func.count(ChatEvent.id))),
    }


def events_of(number: str, kind: str | None = None) -> list[TicketEvent]:
    query = sa.select(TicketEvent).join(Ticket).where(Ticket.number == number).order_by(TicketEvent.id)
    if kind:
        query = query.where(TicketEvent.kind == kind)
    return list(db.session.scalars(query))


def ticket_by_number(number: str) -> Ticket:
    db.session.expire_all()
    return db.session.scalar(sa.select(Ticket).where(Ticket.number == number))


def make_ticket(app, customer=None, **kwargs) -> str:
    """A handed-off chat and its ticket; people may be given as users or ids. Returns the number."""
    with app.app_context():
        kwargs["customer"] = customer
        for key in ("customer", "assignee"):
            if isinstance(kwargs.get(key), int):
                kwargs[key] = db.session.get(User, kwargs[key])
        return handoff(**kwargs).number


def as_user(app, email):
    return sign_in(app.test_client(), email)


def listed_tickets(html: str) -> list[str]:
    return re.findall(r'<tr data-ticket="([^"]+)"', html)


def base_people() -> dict:
    """Two customers and a billing agent, the cast every ticket test starts from."""
    return dict(
        casey=person("casey@example.com", name="Casey Doe").id,
        robin=person("robin@example.com", name="Robin Roe").id,
        ann=person("ann@example.com", ["agent"], "Ann Agent", teams=["billing"]).id,
    )
