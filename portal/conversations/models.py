from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db

SENDERS = ("customer", "bot", "agent", "system")
# How the customer's case reached us: the chat widget, a community thread an agent took to
# support, or a message left for the team to answer later (by email and My tickets).
CHANNELS = ("chat", "forum", "message")
SCORED_CUSTOMER_MESSAGE = "sender = 'customer' AND frustration_score IS NOT NULL"
# What the portal made of a customer's message: for staff (the console, the ticket's transcript),
# never shown to the customer, in an answer or in a live event.
INTERNAL_FIELDS = ("frustration", "intent", "confidence", "entities")


def customer_view(message: dict) -> dict:
    """A message as its customer may see it: what was said, without our reading of it."""
    return {k: v for k, v in message.items() if k not in INTERNAL_FIELDS}


def new_public_id() -> str:
    return uuid.uuid4().hex


class Conversation(db.Model):
    """A chat, owned by a signed-in customer or by an anonymous visitor cookie."""

    __tablename__ = "chat_conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True, index=True, default=new_public_id)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    visitor_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="bot")  # bot, handoff, live, resolved
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    resolution: Mapped[str] = mapped_column(sa.String(30), default="")  # self_service, handoff, ...
    channel: Mapped[str] = mapped_column(sa.String(10), default="chat", server_default="chat")  # CHANNELS
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The customer's rating of the help (1-5), asked at most once (rating_asked_at), for the path
    # that solved it: "bot" (the assistant alone) or "agent" (a person). Supervisors compare the
    # two; portal/chat/satisfaction.py owns these fields.
    satisfaction_rating: Mapped[int | None]
    satisfaction_comment: Mapped[str] = mapped_column(sa.Text, default="")
    satisfaction_path: Mapped[str | None] = mapped_column(sa.String(10))
    rating_asked_at: Mapped[datetime | None]
    rated_at: Mapped[datetime | None] = mapped_column(index=True)
    # When the customer last followed this chat (its events, or a message of theirs), and when a
    # live reply was last mailed because they had gone: portal/handoff/customer_presence.py's.
    customer_seen_at: Mapped[datetime | None]
    reply_mailed_at: Mapped[datetime | None]
    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="Message.id", cascade="all, delete-orphan"
    )


class Message(db.Model):
    __tablename__ = "chat_messages"
    # The scored customer messages of each conversation in order, with their scores (covering on
    # PostgreSQL): the supervisor's mood figures (first, peak, last) read nothing else.
    __table_args__ = (sa.Index("ix_chat_messages_scored", "conversation_id", "id",
                               postgresql_include=["frustration_score", "frustration_level"],
                               postgresql_where=sa.text(SCORED_CUSTOMER_MESSAGE),
                               sqlite_where=sa.text(SCORED_CUSTOMER_MESSAGE)),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(sa.ForeignKey("chat_conversations.id", ondelete="CASCADE"),
                                                 index=True)
    sender: Mapped[str] = mapped_column(sa.String(10))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))  # agents
    # The sender's own id for the message: a retry after a lost answer is stored once.
    client_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    text: Mapped[str] = mapped_column(sa.Text, default="")
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # buttons, article links, custom
    page: Mapped[str] = mapped_column(sa.String(300), default="")
    intent: Mapped[str | None] = mapped_column(sa.String(60))
    confidence: Mapped[float | None]
    entities: Mapped[list] = mapped_column(sa.JSON, default=list)
    frustration_score: Mapped[float | None]
    frustration_level: Mapped[str | None] = mapped_column(sa.String(12))
    frustration_signals: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    conversation: Mapped[Conversation] = relationship(back_populates="messages")
    author = relationship("User", lazy="joined")

    def to_dict(self, internal: bool = False) -> dict:
        """As the customer sees it; ``internal`` adds the frustration score for staff."""
        data = {"id": self.id, "sender": self.sender, "text": self.text, "created_at": self.created_at.isoformat() + "Z"}
        if self.payload:
            data.update({k: v for k, v in self.payload.items() if k in ("buttons", "articles", "custom", "attachments")})
        if self.sender == "agent" and self.author is not None:
            data["author"] = self.author.first_name
        if internal and self.sender == "customer" and self.frustration_level:
            data["frustration"] = {"score": self.frustration_score, "level": self.frustration_level}
        return data


class ChatEvent(db.Model):
    """What live clients are told, in order: the SSE event id is this row's id.

    conversation_id None is the agents' queue channel. kind: message, typing, status,
    queue. Written in the same transaction as what it announces, so an acknowledged
    message always has its event, and a reconnecting client resumes from Last-Event-ID.
    """

    __tablename__ = "chat_events"
    __table_args__ = (sa.Index("ix_chat_events_conversation_id_id", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("chat_conversations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(12))
    audience: Mapped[str] = mapped_column(sa.String(10), default="all")  # all, staff
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def to_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "data": self.data, "created_at": self.created_at.isoformat() + "Z"}
