"""Staff ticket work outside the live console: the filtered list, one timeline, and the
changes staff make (status, priority, assignment, canned responses).

Every change to a ticket writes a TicketEvent with its actor (the audit record) and the
queue's live event in the same transaction. Visibility is the console's (agent.services).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import selectinload

from portal.agent import services as agent_svc
from portal.auth.models import Role, User
from portal.auth.permissions import TICKET_ASSIGNEES, can
from portal.chat.bot_resume import resume_bot
from portal.clock import utcnow
from portal.errors import Conflict, Forbidden
from portal.extensions import db
from portal.handoff import lifecycle
from portal.handoff.tickets import record_event
from portal.support import ticket_search
from portal.tickets.models import PRIORITIES, STATUS_FLOW, TICKET_STATUSES, CannedResponse, Team, Ticket, TicketEvent
from portal.tickets.services import TicketError, queue_changed

PER_PAGE = 25


class WorkflowError(TicketError):
    status = 400


class TransitionRefused(WorkflowError, Conflict):
    status = 409


class NotYourChat(WorkflowError, Forbidden):
    status = 403


# ---- the list ------------------------------------------------------------------------------

@dataclass
class TicketFilters:
    status: str = ""
    priority: str = ""
    team: str = ""  # a team's slug
    assignee: str = ""  # a user id, "me" or "none"
    breached: bool = False
    q: str = ""  # search: ticket number, customer, email, order number (ticket_search)

    def as_args(self) -> dict:
        """For links that keep the filters (pagination)."""
        args = {"status": self.status, "priority": self.priority, "team": self.team, "assignee": self.assignee,
                "breached": "1" if self.breached else "", "q": self.q}
        return {k: v for k, v in args.items() if v}


def breached_clause(now: datetime):
    """SQL for Ticket.sla_breached: first response or resolution later than due (or overdue now)."""
    first = sa.or_(sa.and_(Ticket.first_responded_at.is_(None), Ticket.sla_due_at < now),
                   Ticket.first_responded_at > Ticket.sla_due_at)
    resolution = sa.and_(Ticket.resolution_due_at.is_not(None), sa.or_(
        sa.and_(Ticket.resolved_at.is_(None), Ticket.resolution_due_at < now),
        Ticket.resolved_at > Ticket.resolution_due_at))
    return sa.or_(first, resolution)


def last_activity_subquery(public_only: bool = False):
    """When the ticket last changed: its newest event (every change writes one)."""
    query = sa.select(sa.func.max(TicketEvent.created_at)).where(TicketEvent.ticket_id == Ticket.id)
    if public_only:
        query = query.where(TicketEvent.internal.is_(False))
    return query.correlate(Ticket).scalar_subquery()


def ticket_page(user: User, filters: TicketFilters, page: int = 1) -> Pagination:
    query = agent_svc.visible_tickets(sa.select(Ticket).options(selectinload(Ticket.customer)), user)
    if filters.status:
        query = query.where(Ticket.status == filters.status)
    if filters.priority:
        query = query.where(Ticket.priority == filters.priority)
    if filters.team:
        query = query.where(Ticket.team_id == sa.select(Team.id).where(Team.slug == filters.team).scalar_subquery())
    if filters.assignee == "me":
        query = query.where(Ticket.assignee_id == user.id)
    elif filters.assignee == "none":
        query = query.where(Ticket.assignee_id.is_(None))
    elif filters.assignee:
        if not filters.assignee.isdigit():
            raise WorkflowError("'assignee' must be a person's id, 'me' or 'none'.")
        query = query.where(Ticket.assignee_id == int(filters.assignee))
    if filters.breached:
        query = query.where(breached_clause(utcnow()))
    if filters.q:
        query = ticket_search.search(query, filters.q)
    query = query.order_by(*ticket_search.desk_order())
    return db.paginate(query, page=max(1, page), per_page=PER_PAGE, error_out=False)


def last_activity(tickets: list[Ticket], public_only: bool = False) -> dict[int, datetime]:
    ids = [t.id for t in tickets]
    if not ids:
        return {}
    query = (sa.select(TicketEvent.ticket_id, sa.func.max(TicketEvent.created_at))
             .where(TicketEvent.ticket_id.in_(ids)).group_by(TicketEvent.ticket_id))
    if public_only:
        query = query.where(TicketEvent.internal.is_(False))
    found = dict(db.session.execute(query).all())
    return {t.id: found.get(t.id) or t.updated_at for t in tickets}


def teams() -> list[Team]:
    return list(db.session.scalars(sa.select(Team).order_by(Team.name)))


def staff_members(active_only: bool = True) -> list[User]:
    """People a ticket can be assigned to: agents and supervisors."""
    query = (sa.select(User).join(User.roles).where(Role.name.in_(TICKET_ASSIGNEES))
             .order_by(User.name, User.email).distinct())
    if active_only:
        query = query.where(User.active.is_(True))
    return list(db.session.scalars(query))


def display_name(user: User | None) -> str:
    return (user.name or user.email) if user is not None else ""


# ---- one ticket's timeline ------------------------------------------------------------------

@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # "message", or the TicketEvent's kind
    sender: str = ""  # messages: customer, bot, agent, system
    who: str = ""
    text: str = ""
    detail: str = ""  # events: what happened, in words
    internal: bool = False
    frustration: dict | None = None
    articles: list = field(default_factory=list)


def _parse_time(value) -> datetime:
    try:
        return datetime.fromisoformat(str(value).removesuffix("Z"))
    except ValueError:
        return datetime.min


def describe(event: TicketEvent) -> str:
    data = event.data or {}
    kind = event.kind
    if kind == "created":
        team = f", {data['team']} team" if data.get("team") else ""
        return f"Ticket opened ({str(data.get('reason', '')).replace('_', ' ')}, {data.get('priority')} priority{team})"
    if kind == "claimed":
        return "Claimed the conversation"
    if kind == "assigned":
        return f"Assigned to {data['to']}" if data.get("to") else "Unassigned"
    if kind == "transferred":
        return f"Transferred to {data['to_agent']}" if data.get("to_agent") else \
            f"Transferred to the {data.get('to_team')} team"
    if kind in ("status", "priority"):
        return f"{kind.title()} changed from {data.get('old')} to {data.get('new')}"
    if kind == "note":
        return "Internal note"
    if kind == "reply":
        return "Replied to the customer"
    if kind == "customer_reply":
        return "The customer replied"
    if kind == "rated":
        return f"The customer rated the help {data['rating']} out of 5" if "rating" in data else \
            "The customer commented on the help"
    if kind == "handed_back":
        return "Handed the customer back to the assistant"
    return kind.replace("_", " ").capitalize()


def timeline(ticket: Ticket) -> list[TimelineEntry]:
    """The conversation's messages and the ticket's events, in the order they happened.

    Replies in both directions are conversation messages; their events are shown only
    when the ticket has no conversation left to show them.
    """
    entries = []
    conv = ticket.conversation
    if conv is not None:
        for m in conv.messages:
            frustration = ({"level": m.frustration_level, "score": m.frustration_score}
                           if m.sender == "customer" and m.frustration_level else None)
            entries.append(TimelineEntry(at=m.created_at, kind="message", sender=m.sender, text=m.text,
                                         who=m.author.first_name if m.author is not None else "",
                                         frustration=frustration, articles=(m.payload or {}).get("articles") or []))
    else:
        for item in ticket.transcript or []:
            entries.append(TimelineEntry(at=_parse_time(item.get("created_at")), kind="message",
                                         sender=item.get("sender", ""), text=item.get("text", ""),
                                         who=item.get("author", ""), frustration=item.get("frustration"),
                                         articles=item.get("articles") or []))
    for event in ticket.events:
        if conv is not None and event.kind in ("reply", "customer_reply"):
            continue
        data = event.data or {}
        who = display_name(event.actor) or ("Customer" if event.kind in ("customer_reply", "rated") else "System")
        entries.append(TimelineEntry(at=event.created_at, kind=event.kind, who=who, detail=describe(event),
                                     text=data.get("text") or data.get("comment") or "", internal=event.internal))
    entries.sort(key=lambda e: e.at)  # stable: same-instant entries keep their stored order
    return entries


def sla_summary(ticket: Ticket) -> list[dict]:
    """The two SLA timers as the page shows them: due, done, and met/breached/running."""
    def timer(label: str, due: datetime | None, done: datetime | None, breached: bool) -> dict:
        if due is None:
            state = "none"
        elif breached:
            state = "breached"
        else:
            state = "met" if done else "running"
        return {"label": label, "due": due, "done": done, "state": state}

    return [
        timer("First response", ticket.sla_due_at, ticket.first_responded_at, ticket.first_response_breached),
        timer("Resolution", ticket.resolution_due_at, ticket.resolved_at, ticket.resolution_breached),
    ]


# ---- changes --------------------------------------------------------------------------------

def _require_chat_owner(ticket: Ticket, actor: User, doing: str) -> None:
    """A chat someone has live is theirs: only they, or a supervisor, pass it on or end it (as in
    the console, agent.services). Colleagues who see the ticket still note, and change its priority."""
    conv = ticket.conversation
    if conv is not None and conv.status == lifecycle.LIVE and not can("own_chat", ticket, user=actor):
        holder = display_name(ticket.assignee) or "Someone"
        raise NotYourChat(f"{holder} is chatting with this customer now. Ask them, or a supervisor, to {doing}.")


def change_status(ticket: Ticket, actor: User, new: str) -> Ticket:
    """Only the moves STATUS_FLOW allows. Resolving (or closing) stops the resolution clock;
    reopening restarts it. A chat a person still holds goes back to the assistant."""
    if new not in TICKET_STATUSES:
        raise WorkflowError(f"Choose a status: {', '.join(TICKET_STATUSES)}.")
    if new in ("resolved", "closed"):
        _require_chat_owner(ticket, actor, "end it")
    old = ticket.status
    allowed = STATUS_FLOW.get(old, ())
    if new not in allowed:
        raise TransitionRefused(f"A {old} ticket can't be set to {new}; it can go to {' or '.join(allowed)}.")
    ticket.status = new
    if new in ("resolved", "closed"):
        ticket.resolved_at = utcnow() if new == "resolved" else ticket.resolved_at or utcnow()
    elif new == "open":
        ticket.resolved_at = None
    record_event(ticket, actor, "status", old=old, new=new)
    queue_changed(ticket, "status")
    conv = ticket.conversation
    if new in ("resolved", "closed") and conv is not None and lifecycle.with_a_person(conv):
        if new == "resolved":
            lifecycle.resolve(conv, actor)
        else:
            lifecycle.close(conv, actor)
        db.session.commit()
        resume_bot(conv, ask_rating=new == "resolved")
    db.session.commit()
    return ticket


def change_priority(ticket: Ticket, actor: User, new: str) -> bool:
    """Priority only: the SLA due times stay as they were promised. False when unchanged."""
    if new not in PRIORITIES:
        raise WorkflowError(f"Choose a priority: {', '.join(PRIORITIES)}.")
    old = ticket.priority
    if new == old:
        return False
    ticket.priority = new
    record_event(ticket, actor, "priority", old=old, new=new)
    queue_changed(ticket, "priority")
    db.session.commit()
    return True


def assign(ticket: Ticket, actor: User, assignee_id: int | None) -> bool:
    """Give the ticket to an active agent or supervisor, or to nobody. False when unchanged."""
    _require_chat_owner(ticket, actor, "pass it on")
    conv = ticket.conversation
    target = None
    if assignee_id is not None:
        target = db.session.get(User, assignee_id)
        if target is None or not target.active or not can("take_tickets", user=target):
            raise WorkflowError("Choose an active agent or supervisor.")
    if ticket.assignee_id == (target.id if target else None):
        return False
    previous = ticket.assignee
    ticket.assignee_id = target.id if target else None
    record_event(ticket, actor, "assigned", to=display_name(target) or None, to_id=target.id if target else None,
                 previous=display_name(previous) or None)
    if conv is not None and conv.status == lifecycle.LIVE:  # the customer is chatting: tell them who has it now
        if target is not None:
            lifecycle.pass_to(conv, target, actor)
        else:
            lifecycle.requeue(conv, "You're back in the queue. The next person will see the whole conversation.")
    queue_changed(ticket, "assigned", was_assignee_id=previous.id if previous else None)
    db.session.commit()
    return True


# ---- canned responses -----------------------------------------------------------------------

def canned_responses() -> list[CannedResponse]:
    return list(db.session.scalars(sa.select(CannedResponse).order_by(CannedResponse.title, CannedResponse.id)))


def team_names() -> dict[int, str]:
    return {t.id: t.name for t in teams()}


def save_canned(row: CannedResponse | None, title: str, body: str, team_id: int | None) -> CannedResponse:
    """Create (row None) or update a canned response; the form has checked lengths and placeholders."""
    if team_id is not None and db.session.get(Team, team_id) is None:
        raise WorkflowError("Choose a team from the list.")
    if row is None:
        row = CannedResponse(title="", body="")
        db.session.add(row)
    row.title, row.body, row.team_id = title.strip(), body.strip(), team_id
    db.session.commit()
    return row


def delete_canned(row: CannedResponse) -> None:
    db.session.delete(row)
    db.session.commit()
