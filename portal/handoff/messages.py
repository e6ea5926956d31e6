"""The chat messages the handoff writes: the customer's, scored for frustration, and the
ones agents and the system post, each announced live in the same transaction."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from portal.auth.models import User
from portal.clock import utcnow
from portal.conversations.models import Conversation, Message
from portal.events.feed import publish
from portal.extensions import db
from portal.handoff.customer_presence import seen_in


def score_frustration(text: str, history: list[str], waited_seconds: float = 0.0):
    from bot.frustration import score_message  # the detector loads its lexicons on first use

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


def customer_message(conv: Conversation, text: str, *, page: str = "", payload: dict | None = None,
                     client_id: str | None = None, history: list[str] | None = None,
                     waited_seconds: float | None = None, created_at: datetime | None = None) -> Message:
    """The customer's message with its frustration score, added to the session.

    The detector reads the customer's recent messages and how long they have waited; a caller
    replaying old text (a forum thread) passes its own history and no wait instead."""
    if history is None:
        history = recent_customer_texts(conv)
    if waited_seconds is None:
        waited_seconds = unanswered_seconds(conv)
    mood = score_frustration(text, history, waited_seconds)
    given = {"payload": payload, "client_id": client_id, "created_at": created_at}
    message = Message(conversation=conv, sender="customer", text=text, page=page[:300],
                      frustration_score=round(mood.score, 4), frustration_level=mood.level,
                      frustration_signals=list(mood.signals), **{k: v for k, v in given.items() if v is not None})
    conv.last_activity_at = utcnow()
    if created_at is None:  # written now, not replayed from a forum thread: the customer is here
        seen_in(conv)
    db.session.add(message)
    return message


def post_message(conv: Conversation, sender: str, text: str, author: User | None = None, payload=None,
                 client_id: str | None = None) -> Message:
    """A bot, agent or system message, with the live event that delivers it."""
    message = Message(conversation=conv, sender=sender, text=text, author_id=author.id if author else None,
                      payload=payload or {}, client_id=client_id)
    db.session.add(message)
    db.session.flush()
    if author is not None:
        message.author = author
    publish(conv.id, "message", message.to_dict(internal=True))  # the customer's reader drops the internals
    return message


def transcript_of(conv: Conversation) -> list[dict]:
    """The whole chat as a ticket keeps it: what the customer saw, plus what NLU made of it."""
    out = []
    for m in conv.messages:
        item = m.to_dict(internal=True)
        if m.intent:
            item.update({"intent": m.intent, "confidence": m.confidence})
        if m.entities:
            item["entities"] = m.entities
        if m.frustration_signals:
            item.setdefault("frustration", {})["signals"] = m.frustration_signals
        out.append(item)
    return out


def typing(conv: Conversation, who: str, name: str = "") -> None:
    publish(conv.id, "typing", {"who": who, "name": name}, audience="all" if who == "agent" else "staff")
    db.session.commit()
