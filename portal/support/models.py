from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models import utcnow

TICKET_STATUSES = ("open", "pending", "resolved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")


class Ticket(db.Model):
    """A case for a person, carrying everything the customer already said."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True, index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="open", index=True)
    priority: Mapped[str] = mapped_column(sa.String(10), default="normal", index=True)
    reason: Mapped[str] = mapped_column(sa.String(40))  # requested_human, angry, abuse, bot_failing, left_message
    category: Mapped[str] = mapped_column(sa.String(40), default="general")
    subject: Mapped[str] = mapped_column(sa.String(200), default="")
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="")
    conversation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("chat_conversations.id", ondelete="SET NULL"))
    briefing: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    transcript: Mapped[list] = mapped_column(sa.JSON, default=list)
    sla_due_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    conversation = relationship("Conversation", foreign_keys=[conversation_id])
