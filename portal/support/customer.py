"""A customer's own tickets: which are theirs, what they may read, and answering one.

A ticket is a signed-in customer's when customer_id is theirs; an anonymous visitor's
when its conversation belongs to their visitor cookie (as for the chat itself). Anyone
else gets "no such ticket", so nobody learns that a number exists.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from portal.auth.models import User
from portal.chat.services import start_conversation, validate_text
from portal.clock import utcnow
from portal.conversations.models import Conversation, Message
from portal.errors import Conflict, NotFound
from portal.extensions import db
from portal.handoff.messages import customer_message
from portal.handoff.tickets import relay_customer_reply
from portal.tickets.models import Ticket, TicketEvent
from portal.tickets.services import TicketError


class CustomerTicketError(TicketError):
    status = 400


class NoSuchTicket(CustomerTicketError, NotFound):
    status = 404


class TicketClosed(CustomerTicketError, Conflict):
    status = 409


def owned_by(user_id: int | None, visitor: str | None, linked: list[int] | tuple = ()):
    """SQL condition for "this caller's tickets", or None when the caller can own none.
    ``linked``: tickets of visitors without an account this browser opened from a mailed
    link (portal.tickets.links), each that ticket only."""
    mine = None
    if user_id is not None:
        mine = Ticket.customer_id == user_id
    elif visitor:
        conversations = sa.select(Conversation.id).where(Conversation.visitor_id == visitor,
                                                         Conversation.user_id.is_(None))
        mine = sa.and_(Ticket.customer_id.is_(None), Ticket.conversation_id.in_(conversations))
    if linked:
        by_link = sa.and_(Ticket.customer_id.is_(None), Ticket.id.in_(list(linked)))
        return by_link if mine is None else sa.or_(mine, by_link)
    return mine


def unread_clause():
    """An agent replied after the customer last opened the ticket."""
    return sa.exists().where(
        TicketEvent.ticket_id == Ticket.id, TicketEvent.kind == "reply",
        sa.or_(Ticket.customer_seen_at.is_(None), TicketEvent.created_at > Ticket.customer_seen_at),
    )


def my_tickets(user_id: int | None, visitor: str | None, linked: list[int] | tuple = ()) -> list[Ticket]:
    owner = owned_by(user_id, visitor, linked)
    if owner is None:
        return []
    return list(db.session.scalars(sa.select(Ticket).where(owner).order_by(Ticket.id.desc())))


def unread_ids(tickets: list[Ticket]) -> set[int]:
    if not tickets:
        return set()
    return set(db.session.scalars(sa.select(Ticket.id).where(Ticket.id.in_([t.id for t in tickets]), unread_clause())))


def unread_count(user_id: int | None, visitor: str | None, linked: list[int] | tuple = ()) -> int:
    """For the nav badge: one COUNT over the caller's tickets."""
    owner = owned_by(user_id, visitor, linked)
    if owner is None:
        return 0
    return db.session.scalar(sa.select(sa.func.count(Ticket.id)).where(owner, unread_clause())) or 0


def customer_ticket(number: str, user_id: int | None, visitor: str | None, linked: list[int] | tuple = ()) -> Ticket:
    owner = owned_by(user_id, visitor, linked)
    ticket = None
    if owner is not None and isinstance(number, str) and len(number) <= 20:
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.number == number, owner))
    if ticket is None:
        raise NoSuchTicket("No such ticket.")
    return ticket


def thread(ticket: Ticket) -> list[dict]:
    """What the customer may read: the conversation (what the chat showed them), never the
    ticket's events, which hold internal notes and staff-only changes."""
    if ticket.conversation is not None:
        return [m.to_dict() for m in ticket.conversation.messages]
    return [{k: item.get(k) for k in ("sender", "text", "created_at", "author")}
            for item in ticket.transcript or [] if isinstance(item, dict)]


def mark_seen(ticket: Ticket, when: datetime | None = None) -> None:
    """Reading is not a change: keep updated_at (the ORM would bump it)."""
    when = when or utcnow()
    db.session.execute(sa.update(Ticket).where(Ticket.id == ticket.id)
                       .values(customer_seen_at=when, updated_at=Ticket.updated_at))
    db.session.commit()
    db.session.refresh(ticket)


def reply(ticket: Ticket, text: str, author: User | None) -> Message:
    """The customer answers on their ticket: stored in the conversation, announced live,
    and a pending or resolved ticket is open again for a person."""
    try:
        text = validate_text(text)
    except ValueError as exc:
        raise CustomerTicketError(str(exc)) from exc
    if ticket.status == "closed":
        raise TicketClosed(f"Ticket {ticket.number} is closed. Start a chat and we'll open a new one for you.")
    conv = ticket.conversation
    if conv is None:  # the chat was removed: keep the reply with the ticket all the same
        conv = start_conversation(ticket.customer_id, None)
        ticket.conversation_id = conv.id
        ticket.conversation = conv
    message = customer_message(conv, text, page=f"/tickets/{ticket.number}")
    relay_customer_reply(conv, message, ticket, author)
    return message
