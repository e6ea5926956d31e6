"""The handoff's ticket: opening it (from every entry point) and relaying the customer's
replies to the person who has it, each with its audit record (TicketEvent)."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from portal.auth.models import User
from portal.conversations.models import Conversation, Message
from portal.events.feed import publish
from portal.extensions import commit_and_keep, db
from portal.handoff import lifecycle
from portal.handoff.messages import transcript_of
from portal.tickets.models import Ticket, TicketEvent
from portal.tickets.services import build_briefing, open_ticket, queue_changed

REOPENED_BY_REPLY = ("pending", "resolved")
# A conversation's first ticket names its channel when the case did not come in by live chat.
CHANNEL_BY_REASON = {"forum_thread": "forum", "left_message": "message"}


def record_event(ticket: Ticket, actor: User | None, kind: str, internal: bool = False, **data) -> TicketEvent:
    """The ticket's audit record of a change (its timeline), in the change's transaction."""
    row = TicketEvent(ticket=ticket, actor_id=actor.id if actor else None, kind=kind, internal=internal, data=data)
    db.session.add(row)
    return row


def open_ticket_for(conv: Conversation, any_status: bool = False) -> Ticket | None:
    """The conversation's open ticket (or, with any_status, its newest one)."""
    # Callers read the ticket's own columns: no eager join of the assignee (with their roles and teams).
    query = (sa.select(Ticket).where(Ticket.conversation_id == conv.id).order_by(Ticket.id.desc())
             .options(sa.orm.lazyload(Ticket.assignee), sa.orm.lazyload(Ticket.team)))
    if not any_status:
        query = query.where(Ticket.status.in_(("open", "pending")))
    return db.session.scalar(query.limit(1))


def open_handoff_ticket(conv: Conversation, reason: str, *, category: str = "general", contact_email: str = "",
                        subject: str = "", briefing_extra: dict | None = None,
                        note: Callable[[str], str] | None = None) -> tuple[Ticket, bool]:
    """The conversation's open ticket, or a new one (then True) with the whole chat as its
    transcript and briefing, its team, priority and SLA, and the conversation handed off in
    the same commit: the queue never sees one without the other.

    `note(number)` is what the customer is told in the chat, if anything.
    """
    existing = open_ticket_for(conv)
    if existing is not None:
        return existing, False
    if reason in CHANNEL_BY_REASON and open_ticket_for(conv, any_status=True) is None:
        conv.channel = CHANNEL_BY_REASON[reason]
    transcript = transcript_of(conv)
    briefing = build_briefing(transcript, reason)
    briefing.update(briefing_extra or {})
    lifecycle.hand_off(conv)
    ticket = open_ticket(reason=reason, transcript=transcript, category=category, customer_id=conv.user_id,
                         conversation_id=conv.id, contact_email=contact_email, subject=subject, briefing=briefing)
    if note is not None:
        db.session.add(Message(conversation=conv, sender="system", text=note(ticket.number)))
    return ticket, True


def relay_customer_reply(conv: Conversation, message: Message, ticket: Ticket | None,
                         author: User | None = None, summary: str = "") -> None:
    """The customer's message reaches the person who has (or will have) the chat: announced
    live, recorded on the ticket, and a pending or resolved ticket is open again, with that
    change in its audit trail. An unassigned ticket goes back to the queue, not to the bot."""
    db.session.flush()
    publish(conv.id, "message", message.to_dict(internal=True))  # the customer's reader drops the internals
    if ticket is not None:
        record_event(ticket, author, "customer_reply", text=message.text or summary)  # summary: files sent
        if ticket.status in REOPENED_BY_REPLY:
            old, ticket.status, ticket.resolved_at = ticket.status, "open", None
            record_event(ticket, author, "status", old=old, new="open", by="customer_reply")
        if ticket.assignee_id is None and not lifecycle.with_a_person(conv):
            lifecycle.hand_off(conv)
        queue_changed(ticket, "message")
    commit_and_keep()  # the caller answers with the message just stored
