from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db

TICKET_STATUSES = ("open", "pending", "resolved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
TEAMS = {"billing": "Billing", "technical": "Technical", "general": "General"}
# Which status may follow which (the staff ticket page offers only these).
STATUS_FLOW = {
    "open": ("pending", "resolved", "closed"),
    "pending": ("open", "resolved", "closed"),
    "resolved": ("open", "closed"),
    "closed": ("open",),
}

user_teams = sa.Table(
    "user_teams",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("team_id", sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
)


class Team(db.Model):
    """Agents work the queues of their teams; tickets are routed by the intent's category."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(30), unique=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    members = relationship("User", secondary=user_teams, backref=backref("teams", lazy="selectin"))


class Ticket(db.Model):
    """A case for a person, carrying everything the customer already said."""

    __tablename__ = "tickets"
    # The supervisor's figures: tickets by day, and a customer's next ticket (first-contact resolution).
    __table_args__ = (sa.Index("ix_tickets_customer_id_created_at", "customer_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True, index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="open", index=True)
    priority: Mapped[str] = mapped_column(sa.String(10), default="normal", index=True)
    reason: Mapped[str] = mapped_column(sa.String(40))  # requested_human, angry, abuse, bot_failing, left_message
    category: Mapped[str] = mapped_column(sa.String(40), default="general")
    subject: Mapped[str] = mapped_column(sa.String(200), default="")
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="")
    conversation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("chat_conversations.id", ondelete="SET NULL"),
                                                        index=True)  # the chat's open ticket, on every live message
    briefing: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    transcript: Mapped[list] = mapped_column(sa.JSON, default=list)
    sla_due_at: Mapped[datetime]  # first response due (SLA_HOURS by priority)
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    resolution_due_at: Mapped[datetime | None]  # RESOLUTION_HOURS by priority
    first_responded_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    satisfaction_rating: Mapped[int | None]
    satisfaction_comment: Mapped[str] = mapped_column(sa.Text, default="")
    customer_seen_at: Mapped[datetime | None]  # for the "My tickets" badge
    # An anonymous visitor was asked for an address at handoff and gave one or skipped.
    contact_answered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    conversation = relationship("Conversation", foreign_keys=[conversation_id])
    team = relationship("Team", lazy="joined")
    assignee = relationship("User", foreign_keys=[assignee_id], lazy="joined")
    customer = relationship("User", foreign_keys=[customer_id])
    events: Mapped[list[TicketEvent]] = relationship(back_populates="ticket", order_by="TicketEvent.id",
                                                     cascade="all, delete-orphan")

    @property
    def first_response_breached(self) -> bool:
        return (self.first_responded_at or utcnow()) > self.sla_due_at

    @property
    def resolution_breached(self) -> bool:
        due = self.resolution_due_at
        return bool(due and (self.resolved_at or utcnow()) > due)

    @property
    def sla_breached(self) -> bool:
        return self.first_response_breached or self.resolution_breached


class TicketEvent(db.Model):
    """One entry of a ticket's timeline, and its audit record: who changed what, when.

    kind: created, claimed, assigned, transferred, status, priority, note (internal),
    reply (agent to customer), customer_reply, rated, handed_back, email.
    """

    __tablename__ = "ticket_events"
    # Tickets' first claims and reopenings, read by kind over a range of tickets (the supervisor's figures).
    __table_args__ = (sa.Index("ix_ticket_events_kind_ticket_id_created_at", "kind", "ticket_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    internal: Mapped[bool] = mapped_column(default=False)  # notes: never shown to the customer
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    actor = relationship("User", lazy="joined")


class TicketLink(db.Model):
    """A mailed link to one ticket, for a visitor without an account: only the token's hash
    is kept, and the link opens that ticket and nothing else until it expires."""

    __tablename__ = "ticket_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class CannedResponse(db.Model):
    """A reply agents insert and edit; placeholders: {customer_first_name}, {ticket_number},
    {agent_name}, {order_number}."""

    __tablename__ = "canned_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    body: Mapped[str] = mapped_column(sa.Text)
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AgentPresence(db.Model):
    """When an agent's console last checked in (open means within PRESENCE_SECONDS), and the
    availability they chose there: available, away or offline (None: never chosen)."""

    __tablename__ = "agent_presence"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    availability: Mapped[str | None] = mapped_column(sa.String(16))
