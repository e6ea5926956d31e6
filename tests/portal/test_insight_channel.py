"""A conversation's channel, as the dashboard filters it: chat until its first ticket says the
case came as a left message or from a forum thread; the real flows set it."""

from __future__ import annotations

import sqlalchemy as sa

from forum.bridges import open_ticket_from_thread
from portal.chat.services import leave_message, start_conversation
from portal.conversations.models import Conversation, Message
from portal.extensions import db
from portal.handoff.tickets import open_handoff_ticket
from tests.forum.builders import member, start_thread
from tests.portal.ticket_builders import person, team


def _chat(customer) -> Conversation:
    conv = start_conversation(customer.id, None)
    db.session.add(Message(conversation=conv, sender="customer", text="My parcel never came",
                           frustration_score=0.3, frustration_level="annoyed"))
    db.session.commit()
    return conv


def test_a_left_message_makes_a_message_conversation(app):
    with app.app_context():
        conv = _chat(person("casey@example.com"))
        assert conv.channel == "chat"
        leave_message(conv)
        assert db.session.get(Conversation, conv.id).channel == "message"


def test_a_chat_handed_off_first_stays_a_chat(app):
    with app.app_context():
        conv = _chat(person("casey@example.com"))
        ticket, _ = open_handoff_ticket(conv, "requested_human")
        ticket.status = "resolved"
        db.session.commit()
        leave_message(conv)  # later, a message for the team: the case still came by chat
        assert db.session.get(Conversation, conv.id).channel == "chat"


def test_a_thread_taken_to_support_is_a_forum_conversation(app):
    with app.app_context():
        casey = member("casey@example.com", name="Casey Doe")
        ann = member("ann@example.com", ["agent"], "Ann Agent")
        ann.teams = [team("technical")]
        thread = start_thread(casey, "Lamp offline after a new router", "It stays offline.",
                              category_slug="products-setup")
        ticket, created = open_ticket_from_thread(ann, thread)
        assert created
        conv = db.session.scalar(sa.select(Conversation).where(Conversation.id == ticket.conversation_id))
        assert conv.channel == "forum"
