"""What agents do to a handed-off conversation, and what the customer sees of it.

Every change is stored with its ChatEvent (what live clients see) and its TicketEvent
(the ticket's timeline and audit record) in one transaction, before the API answers.
The conversation's own moves are portal.handoff.lifecycle's; presence and business hours
are portal.handoff.availability's.
"""

from __future__ import annotations

import sqlalchemy as sa

from portal import errors
from portal.auth.models import User
from portal.auth.permissions import can, sees_all, team_ids
from portal.chat.bot_resume import resume_bot
from portal.chat.services import ChatError, already_sent, validate_client_id
from portal.clock import utcnow
from portal.conversations.models import Conversation, Message
from portal.events.feed import publish
from portal.extensions import commit_and_keep, db
from portal.handoff import lifecycle
from portal.handoff.customer_presence import mail_live_reply_if_away
from portal.handoff.messages import post_message
from portal.handoff.tickets import record_event
from portal.inputs import is_id
from portal.tickets.models import Team, Ticket, TicketEvent
from portal.tickets.services import queue_changed

PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
READ_ONLY = ("resolved", "closed")  # ticket statuses whose chat takes no more replies
MAX_TEXT = 4000


class AgentError(errors.DomainError):
    status = 400


class Forbidden(AgentError, errors.Forbidden):
    status = 403


class NotFound(AgentError, errors.NotFound):
    status = 404


class Conflict(AgentError, errors.Conflict):
    status = 409


# The assignee comes with the ticket, but not their roles and teams again: on a live desk the
# assignee is nearly always the signed-in agent, who is loaded with both already.
_ASSIGNEE_ONLY = sa.orm.joinedload(Ticket.assignee).options(sa.orm.lazyload(User.roles),
                                                             sa.orm.lazyload(User.teams))


def ticket_for(user: User, number: str) -> Ticket:
    ticket = (db.session.scalar(sa.select(Ticket).where(Ticket.number == number).options(_ASSIGNEE_ONLY))
              if isinstance(number, str) else None)
    if ticket is None or not can("see_ticket", ticket, user=user):
        raise NotFound("No such ticket.")  # no hint that another team's ticket exists
    return ticket


def visible_tickets(query, user: User):
    if sees_all(user):
        return query
    return query.where(sa.or_(Ticket.team_id.in_(team_ids(user) or [-1]), Ticket.assignee_id == user.id))


def queue(user: User) -> list[Ticket]:
    """Handoffs waiting for a person, most urgent first, then by first-response due time."""
    query = (sa.select(Ticket).join(Conversation, Ticket.conversation_id == Conversation.id)
             .where(Ticket.assignee_id.is_(None), Ticket.status == "open", Conversation.status == lifecycle.HANDOFF))
    rows = list(db.session.scalars(visible_tickets(query, user)))
    return sorted(rows, key=lambda t: (PRIORITY_RANK.get(t.priority, 9), t.sla_due_at))


def my_conversations(user: User) -> list[Ticket]:
    query = sa.select(Ticket).where(Ticket.assignee_id == user.id, Ticket.status.in_(("open", "pending")))
    return sorted(db.session.scalars(query), key=lambda t: (PRIORITY_RANK.get(t.priority, 9), t.sla_due_at))


def queue_item(ticket: Ticket) -> dict:
    conv = ticket.conversation
    customer = ticket.customer
    waiting_since = ticket.created_at
    return {
        "ticket": ticket.number,
        "customer": (customer.name or customer.email) if customer else "Visitor",
        "reason": ticket.reason,
        "priority": ticket.priority,
        "frustration": (ticket.briefing or {}).get("mood_now"),
        "problem": (ticket.briefing or {}).get("problem") or ticket.subject,
        "team": ticket.team.slug if ticket.team else None,
        "waiting_seconds": max(0, int((utcnow() - waiting_since).total_seconds())),
        "sla_due_at": ticket.sla_due_at.isoformat() + "Z",
        "sla_breached": ticket.first_response_breached,
        "assignee": ticket.assignee.first_name if ticket.assignee else None,
        "status": ticket.status,
        "conversation_status": conv.status if conv else None,
    }


# ---- the conversation ----------------------------------------------------------------------

def _first_line(ticket: Ticket) -> str:
    briefing = ticket.briefing or {}
    problem = (briefing.get("problem") or ticket.subject or "").strip().rstrip(".!?")
    order = (briefing.get("details") or {}).get("order_number")
    about = f" about order {order}" if order and order not in problem else ""
    customer = ticket.customer.first_name if ticket.customer else "there"
    return (f"Hi {customer}, I've read through everything you told our assistant{about}: \"{problem[:160]}\". "
            "I'm sorry you've had to deal with this. I'm looking at it now.")


def claim(number: str, agent: User) -> Ticket:
    """Take a waiting handoff. Two agents at once: exactly one UPDATE matches, the other is told."""
    ticket = ticket_for(agent, number)
    result = db.session.execute(
        sa.update(Ticket).where(Ticket.id == ticket.id, Ticket.assignee_id.is_(None), Ticket.status == "open")
        .values(assignee_id=agent.id, updated_at=utcnow())
    )
    if result.rowcount != 1:
        db.session.rollback()
        db.session.refresh(ticket)
        who = ticket.assignee.first_name if ticket.assignee else "someone else"
        raise Conflict(f"{who} has already claimed {ticket.number}.")
    db.session.refresh(ticket)
    conv = ticket.conversation
    record_event(ticket, agent, "claimed", agent=agent.first_name)
    if conv is not None:
        lifecycle.claim(conv, agent)
        # Marked: the coaching measure counts replies agents write, not this automatic one.
        first = post_message(conv, "agent", _first_line(ticket), author=agent, payload={"automatic": "greeting"})
        record_event(ticket, agent, "reply", text=first.text)
        ticket.first_responded_at = ticket.first_responded_at or utcnow()
    queue_changed(ticket, "claimed", by=agent.first_name)
    db.session.commit()
    return ticket


def _require_owner(ticket: Ticket, agent: User) -> None:
    if not can("own_chat", ticket, user=agent):
        raise Forbidden("Claim the conversation first.")


def clean_text(text, limit: int = MAX_TEXT) -> str:
    if not isinstance(text, str) or not text.strip():
        raise AgentError("'text' must be a non-empty string.")
    if len(text) > limit:
        raise AgentError(f"'text' is limited to {limit} characters.")
    return text.strip()


def check_can_reply(ticket: Ticket, agent: User) -> Conversation:
    """The chat an agent may write to on this ticket, or the reason they may not."""
    _require_owner(ticket, agent)
    if ticket.status in READ_ONLY:  # the customer is back with the bot, or was told it is done
        raise Conflict(f"{ticket.number} is {ticket.status}, so its chat is read-only. "
                       "Reopen the ticket on its page to write to the customer again.")
    if ticket.conversation is None:
        raise AgentError("This ticket has no conversation.")
    return ticket.conversation


def agent_reply(number: str, agent: User, text: str, client_id: str | None = None, payload: dict | None = None,
                summary: str = "") -> Message:
    """`payload` carries attachments (portal.attachments): then the text may be empty, and
    `summary` names the files on the timeline and in the email."""
    ticket = ticket_for(agent, number)
    conv = check_can_reply(ticket, agent)
    text = clean_text(text) if text or not payload else ""
    try:
        client_id = validate_client_id(client_id)
    except ChatError as exc:
        raise AgentError(str(exc)) from None
    earlier = already_sent(conv, client_id, "agent")
    if earlier is not None:  # a retry after a lost answer
        return earlier
    message = post_message(conv, "agent", text, author=agent, client_id=client_id, payload=payload)
    record_event(ticket, agent, "reply", text=text or summary)
    ticket.first_responded_at = ticket.first_responded_at or utcnow()
    if ticket.status == "pending":
        ticket.status = "open"
    commit_and_keep()  # the answer is the message just stored
    if conv.status != lifecycle.LIVE:  # the customer is not in the chat: tell them by email too
        from portal.tickets.mail import notify_customer_of_reply

        notify_customer_of_reply(ticket, text or summary)
    else:  # in a live chat, mailed only when the customer has left it
        mail_live_reply_if_away(ticket, conv, text or summary, agent.first_name)
    return message


def add_note(number: str, agent: User, text: str) -> TicketEvent:
    ticket = ticket_for(agent, number)
    note = record_event(ticket, agent, "note", internal=True, text=clean_text(text))
    if ticket.conversation_id:
        publish(ticket.conversation_id, "note", {"author": agent.first_name, "text": note.data["text"]},
                audience="staff")
    db.session.commit()
    return note


def resolve(number: str, agent: User) -> Ticket:
    ticket = ticket_for(agent, number)
    _require_owner(ticket, agent)
    old = ticket.status
    ticket.status, ticket.resolved_at = "resolved", utcnow()
    record_event(ticket, agent, "status", old=old, new="resolved")
    conv = ticket.conversation
    if conv is not None:
        lifecycle.resolve(conv, agent)
        db.session.commit()
        resume_bot(conv, ask_rating=True)
    db.session.commit()
    return ticket


def hand_back(number: str, agent: User) -> Ticket:
    ticket = ticket_for(agent, number)
    _require_owner(ticket, agent)
    conv = ticket.conversation
    if conv is None:
        raise AgentError("This ticket has no conversation.")
    old = ticket.status
    ticket.status, ticket.resolved_at, ticket.assignee_id = "resolved", utcnow(), None
    record_event(ticket, agent, "handed_back", old=old)
    lifecycle.hand_back(conv, agent)
    db.session.commit()
    resume_bot(conv, ask_rating=False)
    db.session.commit()
    return ticket


def transfer(number: str, agent: User, team: str | None = None, to_agent: int | None = None) -> Ticket:
    """To a team (back into its queue) or to a named agent; the whole history stays on the ticket."""
    ticket = ticket_for(agent, number)
    _require_owner(ticket, agent)
    conv = ticket.conversation
    was = {"was_team_id": ticket.team_id, "was_assignee_id": ticket.assignee_id}
    if to_agent is not None:
        target = db.session.get(User, to_agent) if is_id(to_agent) else None
        if target is None or not target.active or not can("take_tickets", user=target):
            raise AgentError("'agent' must be an active agent's id.")
        ticket.assignee_id = target.id
        record_event(ticket, agent, "transferred", to_agent=target.first_name, to_id=target.id)
        if conv is not None:
            lifecycle.pass_to(conv, target, agent)
    else:
        target_team = db.session.scalar(sa.select(Team).where(Team.slug == team)) if isinstance(team, str) else None
        if target_team is None:
            raise AgentError("'team' must be billing, technical or general.")
        ticket.team_id, ticket.assignee_id = target_team.id, None
        record_event(ticket, agent, "transferred", to_team=target_team.slug)
        if conv is not None:
            lifecycle.requeue(conv, f"{agent.first_name} has passed you to our {target_team.name.lower()} team. "
                              "The next person will see the whole conversation.")
    queue_changed(ticket, "transferred", **was)
    db.session.commit()
    return ticket
