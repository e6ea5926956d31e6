"""Chat rules: ownership, storing before forwarding, the fallback when the bot is down."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from portal.chat.models import Conversation, Message
from portal.chat.rasa_client import BotUnavailable
from portal.extensions import db
from portal.models import utcnow
from portal.support.models import Ticket
from portal.support.services import HANDOFF_REASONS, open_ticket

log = logging.getLogger(__name__)
MAX_MESSAGE_CHARS = 2000
UNAVAILABLE_TEXT = (
    "Sorry, our assistant is not available right now. Your message is saved. You can search our help "
    "articles, or leave a message for our team and a person will reply."
)


class ChatError(ValueError):
    status = 400


class ConversationNotFound(ChatError):
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


def score_frustration(text: str, history: list[str], waited_seconds: float = 0.0):
    from bot.frustration import score_message

    return score_message(text, history=history, waited_seconds=waited_seconds)


def unanswered_seconds(conv: Conversation) -> float:
    """How long the customer has been writing without an answer: since their first message
    after the last one from the bot or a person (0 when nothing of theirs is waiting)."""
    if conv.id is None:
        return 0.0
    answered = (sa.select(sa.func.coalesce(sa.func.max(Message.id), 0))
                .where(Message.conversation_id == conv.id, Message.sender != "customer").scalar_subquery())
    first = db.session.scalar(sa.select(sa.func.min(Message.created_at))
                              .where(Message.conversation_id == conv.id, Message.sender == "customer",
                                     Message.id > answered))
    return max(0.0, (utcnow() - first).total_seconds()) if first else 0.0


def recent_customer_texts(conv: Conversation, limit: int = 10) -> list[str]:
    """The customer's last few messages, oldest first: the detector's context. One narrow query,
    not the whole transcript, because this runs on every message."""
    if conv.id is None:
        return []
    texts = db.session.scalars(sa.select(Message.text).where(Message.conversation_id == conv.id,
                                                             Message.sender == "customer")
                               .order_by(Message.id.desc()).limit(limit)).all()
    return texts[::-1]


def post_customer_message(conv: Conversation, text: str, page: str = "", user_email: str | None = None,
                          label: str | None = None, client_id: str | None = None) -> TurnResult:
    """Store the customer's message, then ask the bot. `text` may be a button's payload
    ("/affirm"): then `label` is what the customer saw and is what the transcript shows."""
    button = text.startswith("/") and bool(label)
    shown = label if button else text
    mood = score_frustration(shown, recent_customer_texts(conv), unanswered_seconds(conv))
    message = Message(
        conversation=conv, sender="customer", text=shown, page=page[:300], frustration_score=round(mood.score, 4),
        frustration_level=mood.level, frustration_signals=list(mood.signals),
        payload={"button": text} if button else None, client_id=client_id,
    )
    conv.last_activity_at = utcnow()
    db.session.add(message)
    result = TurnResult(conversation=conv, customer_message=message)

    if conv.status in ("handoff", "live"):
        # A person has the conversation (or is about to): the bot stays paused and quiet. The
        # message and the event that delivers it commit together, so neither exists alone.
        from portal.agent.services import customer_message_to_agent

        db.session.flush()
        ticket = customer_message_to_agent(conv, message)
        if conv.status == "handoff":
            note = Message(conversation=conv, sender="system",
                           text=f"Added to ticket {ticket.number}. A person will reply here." if ticket else
                           "A person will reply here.")
            db.session.add(note)
            db.session.commit()
            result.replies.append(note)
        return result

    db.session.commit()  # stored before anything else can fail: nothing typed is lost
    client = current_app.extensions["rasa"]
    metadata = {"page": page[:300], "user": user_email, "conversation": conv.public_id}
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
    handoff = None
    for reply in replies:
        if reply.text or reply.buttons or reply.articles:
            # A reply that is only a signal (handoff, resolved) is acted on, not shown.
            stored = Message(conversation=conv, sender="bot", text=reply.text, payload=reply.payload())
            db.session.add(stored)
            result.replies.append(stored)
        if reply.custom.get("resolved") == "self_service":
            conv.status, conv.resolution = "resolved", "self_service"
        if isinstance(reply.custom.get("handoff"), dict):
            handoff = reply.custom["handoff"]
    db.session.commit()
    if handoff is not None:
        shown = {m.id for m in result.replies} | {message.id}
        ensure_handoff_ticket(conv, handoff)
        db.session.refresh(conv)
        result.replies += [m for m in conv.messages if m.sender == "system" and m.id not in shown
                           and m.id > message.id]
    return result


def ensure_handoff_ticket(conv: Conversation, handoff: dict) -> Ticket:
    """The bot handed off. If its action could not reach us, open the ticket here: none is lost."""
    conv.status = "handoff"
    ticket = open_ticket_for(conv)
    if ticket is None:
        reason = handoff.get("reason") if handoff.get("reason") in HANDOFF_REASONS else "requested_human"
        category = handoff.get("category") if isinstance(handoff.get("category"), str) else "general"
        ticket = open_ticket(reason=reason, category=category[:40], transcript=transcript_of(conv),
                             customer_id=conv.user_id, conversation_id=conv.id)
        db.session.add(Message(conversation=conv, sender="system",
                               text=f"Your ticket number is {ticket.number}. A person will reply here."))
    db.session.commit()
    from portal.agent.services import availability_notice

    notice = availability_notice(ticket)
    if notice and not any((m.payload or {}).get("custom", {}).get("nobody_available") for m in conv.messages):
        db.session.add(Message(conversation=conv, sender="system", text=notice,
                               payload={"custom": {"nobody_available": True, "ticket_number": ticket.number}}))
        db.session.commit()
    return ticket


def transcript_of(conv: Conversation) -> list[dict]:
    out = []
    for m in conv.messages:
        item = m.to_dict()
        if m.intent:
            item.update({"intent": m.intent, "confidence": m.confidence})
        if m.entities:
            item["entities"] = m.entities
        if m.frustration_signals:
            item.setdefault("frustration", {})["signals"] = m.frustration_signals
        out.append(item)
    return out


def open_ticket_for(conv: Conversation, any_status: bool = False) -> Ticket | None:
    """The conversation's open ticket (or, with any_status, its newest one)."""
    # Callers read the ticket's own columns: no eager join of the assignee (with their roles and teams).
    query = (sa.select(Ticket).where(Ticket.conversation_id == conv.id).order_by(Ticket.id.desc())
             .options(sa.orm.lazyload(Ticket.assignee), sa.orm.lazyload(Ticket.team)))
    if not any_status:
        query = query.where(Ticket.status.in_(("open", "pending")))
    return db.session.scalar(query.limit(1))


def leave_message(conv: Conversation, contact_email: str = "") -> Ticket:
    """The customer asks a person to answer later: a ticket with the whole chat."""
    existing = open_ticket_for(conv)
    if existing is not None:
        return existing
    if not any(m.sender == "customer" for m in conv.messages):
        raise ChatError("Write your message first, then leave it for our team.")
    ticket = open_ticket(reason="left_message", transcript=transcript_of(conv), customer_id=conv.user_id,
                         conversation_id=conv.id, contact_email=contact_email)
    conv.status = "handoff"
    db.session.add(Message(conversation=conv, sender="system",
                           text=f"Thanks. Your message is with our team as ticket {ticket.number}. "
                                "A person will reply here and by email if you gave one."))
    db.session.commit()
    return ticket
