"""Chat rules: ownership, storing before forwarding, the fallback when the bot is down."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from portal.auth.services import AccountError, normalise_email
from portal.chat import satisfaction
from portal.chat.rasa_client import BotUnavailable
from portal.conversations.models import Conversation, Message
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.handoff import lifecycle
from portal.handoff.availability import availability_notice
from portal.handoff.messages import customer_message
from portal.handoff.tickets import open_handoff_ticket, open_ticket_for, relay_customer_reply
from portal.metrics import CHAT_TURNS
from portal.tickets.models import Ticket
from portal.tickets.services import HANDOFF_REASONS

log = logging.getLogger(__name__)
MAX_MESSAGE_CHARS = 2000
UNAVAILABLE_TEXT = (
    "Sorry, our assistant is not available right now. Your message is saved. You can search our help "
    "articles, or leave a message for our team and a person will reply."
)


class ChatError(DomainError):
    status = 400


class ConversationNotFound(ChatError, NotFound):
    status = 404


@dataclass
class TurnResult:
    conversation: Conversation
    customer_message: Message
    replies: list[Message] = field(default_factory=list)
    assistant_available: bool = True


CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def validate_client_id(value) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not CLIENT_ID.match(value):
        raise ChatError("'client_id' must be up to 64 letters, digits, '-', '_', '.' or ':'.")
    return value


def already_sent(conv: Conversation, client_id: str | None, sender: str) -> Message | None:
    """The message this client already sent with this id (a retry), if any."""
    if client_id is None:
        return None
    return db.session.scalar(sa.select(Message).where(Message.conversation_id == conv.id,
                                                      Message.client_id == client_id, Message.sender == sender))


def conversation_of_retry(client_id: str | None, user_id: int | None, visitor_id: str | None) -> Conversation | None:
    """A first message sent again after its answer was lost has no conversation id yet: the
    conversation its first try started, so the retry does not open a second one."""
    if client_id is None or (user_id is None and visitor_id is None):
        return None
    owner = (Conversation.user_id == user_id if user_id is not None
             else sa.and_(Conversation.user_id.is_(None), Conversation.visitor_id == visitor_id))
    return db.session.scalar(sa.select(Conversation).join(Conversation.messages)
                             .where(Message.client_id == client_id, Message.sender == "customer", owner)
                             .order_by(Conversation.id.desc()).limit(1))


def validate_text(text) -> str:
    if not isinstance(text, str):
        raise ChatError("'text' must be a string.")
    text = text.strip()
    if not text:
        raise ChatError("Type a message first.")
    if len(text) > MAX_MESSAGE_CHARS:
        raise ChatError(f"Messages are limited to {MAX_MESSAGE_CHARS} characters.")
    return text


def find_conversation(public_id: str, user_id: int | None, visitor_id: str | None) -> Conversation:
    """The caller's own conversation, or 404: nobody learns whether someone else's exists."""
    if not isinstance(public_id, str) or len(public_id) != 32:
        raise ConversationNotFound("No such conversation.")
    conv = db.session.scalar(sa.select(Conversation).where(Conversation.public_id == public_id))
    if conv is None:
        raise ConversationNotFound("No such conversation.")
    owned = (conv.user_id is not None and conv.user_id == user_id) or (
        conv.user_id is None and visitor_id is not None and conv.visitor_id == visitor_id
    )
    if not owned:
        raise ConversationNotFound("No such conversation.")
    return conv


def start_conversation(user_id: int | None, visitor_id: str | None) -> Conversation:
    conv = Conversation(user_id=user_id, visitor_id=None if user_id else visitor_id)
    db.session.add(conv)
    db.session.flush()
    return conv


def post_customer_message(conv: Conversation, text: str, page: str = "", user_email: str | None = None,
                          label: str | None = None, client_id: str | None = None) -> TurnResult:
    """Store the customer's message, then ask the bot. `text` may be a button's payload
    ("/affirm"): then `label` is what the customer saw and is what the transcript shows."""
    button = text.startswith("/") and bool(label)
    shown = label if button else text
    message = customer_message(conv, shown, page=page, payload={"button": text} if button else None,
                               client_id=client_id)
    result = TurnResult(conversation=conv, customer_message=message)
    CHAT_TURNS.inc()

    if lifecycle.with_a_person(conv):
        # A person has the conversation (or is about to): the bot stays paused and quiet. The
        # message and the event that delivers it commit together, so neither exists alone.
        db.session.flush()
        ticket = open_ticket_for(conv)
        relay_customer_reply(conv, message, ticket)
        if conv.status == lifecycle.HANDOFF:
            note = Message(conversation=conv, sender="system",
                           text=f"Added to ticket {ticket.number}. A person will reply here." if ticket else
                           "A person will reply here.")
            db.session.add(note)
            db.session.commit()
            result.replies.append(note)
        return result

    db.session.commit()  # stored before anything else can fail: nothing typed is lost
    client = current_app.extensions["rasa"]
    # The message's id marks it in Rasa's tracker: a message retried on another Rasa server after
    # a failure may be there twice (portal/chat/rasa_client.py), and it shows which.
    metadata = {"page": page[:300], "user": user_email, "conversation": conv.public_id, "message_id": message.id}
    try:
        replies = client.send(conv.public_id, text, metadata)
    except BotUnavailable as exc:
        log.warning("assistant unavailable for conversation %s: %s", conv.public_id, exc)
        note = Message(conversation=conv, sender="system", text=UNAVAILABLE_TEXT,
                       payload={"custom": {"assistant_unavailable": True,
                                           "offers": ["search", "leave_message"]}})
        db.session.add(note)
        db.session.commit()
        result.replies.append(note)
        result.assistant_available = False
        return result
    handoff, closing = None, False
    for reply in replies:
        if reply.text or reply.buttons or reply.articles:
            # A reply that is only a signal (handoff, resolved, closing) is acted on, not shown.
            stored = Message(conversation=conv, sender="bot", text=reply.text, payload=reply.payload())
            db.session.add(stored)
            result.replies.append(stored)
        if reply.custom.get("resolved") == "self_service":
            lifecycle.resolve_by_bot(conv)
        if isinstance(reply.custom.get("handoff"), dict):
            handoff = reply.custom["handoff"]
        closing = closing or reply.custom.get("closing") is True
    db.session.commit()
    if handoff is not None:
        shown = {m.id for m in result.replies} | {message.id}
        ensure_handoff_ticket(conv, handoff)
        db.session.refresh(conv)
        result.replies += [m for m in conv.messages if m.sender == "system" and m.id not in shown
                           and m.id > message.id]
    elif closing and conv.status == lifecycle.RESOLVED and satisfaction.may_ask_rating(conv):
        # The assistant solved the question alone and the customer is leaving: how did it do?
        result.replies += satisfaction.ask_for_rating(conv, satisfaction.BOT)
        db.session.commit()
    return result


def ensure_handoff_ticket(conv: Conversation, handoff: dict) -> Ticket:
    """The bot handed off. If its action could not reach us, open the ticket here: none is lost.
    (If a person already has the chat, its action did reach us, and the handoff stands.)"""
    if not lifecycle.with_a_person(conv):
        lifecycle.hand_off(conv)
    reason = handoff.get("reason") if handoff.get("reason") in HANDOFF_REASONS else "requested_human"
    category = handoff.get("category") if isinstance(handoff.get("category"), str) else "general"
    ticket, _ = open_handoff_ticket(conv, reason, category=category[:40],
                                    note=lambda number: f"Your ticket number is {number}. A person will reply here.")
    db.session.commit()
    notice = availability_notice(ticket)
    if notice and not any((m.payload or {}).get("custom", {}).get("nobody_available") for m in conv.messages):
        db.session.add(Message(conversation=conv, sender="system", text=notice,
                               payload={"custom": {"nobody_available": True, "ticket_number": ticket.number}}))
        db.session.commit()
    return ticket


def contact_address(email: str) -> str:
    """The address a person's reply goes to: '' when none was given, otherwise a valid address
    (anything else, "x@example.com\\r\\nBcc: ..." among them, is refused before it is stored)."""
    if not email.strip():
        return ""
    try:
        return normalise_email(email)
    except AccountError as exc:
        raise ChatError(f"'email' must be an email address: {exc}") from None


def leave_message(conv: Conversation, contact_email: str = "") -> Ticket:
    """The customer asks a person to answer later: a ticket with the whole chat."""
    contact_email = contact_address(contact_email)
    existing = open_ticket_for(conv)
    if existing is not None:
        return existing
    if not any(m.sender == "customer" for m in conv.messages):
        raise ChatError("Write your message first, then leave it for our team.")
    ticket, _ = open_handoff_ticket(conv, "left_message", contact_email=contact_email,
                                    note=lambda number: f"Thanks. Your message is with our team as ticket {number}. "
                                                        "A person will reply here and by email if you gave one.")
    db.session.commit()
    return ticket
