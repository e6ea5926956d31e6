"""What the filters select: conversations and tickets started in the range, of a team, by a channel.

A conversation belongs to a team through its tickets (routing decides the team): one the bot
handled alone has none, so it is counted only when every team is chosen. A ticket's channel
is its conversation's.

``Scope`` also carries the id ranges that hold every conversation and every ticket of the
date range (two index lookups). The big tables (messages, ticket events) are read only
within those ranges: ids grow with time, so a month is a short stretch of each index rather
than a scan of years. The ranges are only ever wider than what is counted; the exact
conditions still decide.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from portal.conversations.models import Conversation
from portal.extensions import db
from portal.insight.filters import Filters
from portal.tickets.models import Team, Ticket
from portal.tickets.services import HANDOFF_REASONS, LEVEL_RANK

# The bot passed a live chat to a person (not a message left for later, not a forum thread).
LIVE_HANDOFF_REASONS = tuple(r for r in HANDOFF_REASONS if r not in ("left_message", "forum_thread"))
LEVELS = tuple(LEVEL_RANK)  # calm, annoyed, frustrated, angry
FCR_DAYS = 7  # first-contact resolution: no reopening and no new ticket within this many days
NOTHING = (0, -1)  # an id range that holds nothing


@dataclass(frozen=True)
class Scope:
    f: Filters
    team: int | None  # the chosen team's id (-1 when its row is missing: nothing matches)
    conversation_ids: tuple[int, int]  # lowest and highest id of the conversations started in the range
    ticket_ids: tuple[int, int]  # ... of the tickets opened in the range
    ticket_conversation_ids: tuple[int, int]  # ... of those tickets' conversations (they may be older)


def scope_for(f: Filters) -> Scope:
    team = None
    if f.team is not None:
        found = db.session.scalar(sa.select(Team.id).where(Team.slug == f.team))
        team = -1 if found is None else found
    (conversations,) = _id_ranges(Conversation, f, Conversation.id)
    tickets, their_conversations = _id_ranges(Ticket, f, Ticket.id, Ticket.conversation_id)
    return Scope(f, team, conversations, tickets, their_conversations)


def _id_ranges(model, f: Filters, *columns) -> tuple[tuple[int, int], ...]:
    # "+ 0": read the range from the created_at index; a bare min(id) walks the primary key from
    # the oldest row, filtering by date, which is slow when the range is recent.
    row = db.session.execute(sa.select(*(g(c + 0) for c in columns for g in (sa.func.min, sa.func.max)))
                             .where(model.created_at >= f.start_at, model.created_at < f.end_before)).one()
    return tuple(NOTHING if row[i] is None else (row[i], row[i + 1]) for i in range(0, len(row), 2))


def conversation_scope(s: Scope, conv=Conversation) -> list:
    f = s.f
    where = [conv.created_at >= f.start_at, conv.created_at < f.end_before, conv.id.between(*s.conversation_ids)]
    if f.channel is not None:
        where.append(conv.channel == f.channel)
    if s.team is not None:
        where.append(conv.id.in_(sa.select(Ticket.conversation_id).where(
            Ticket.team_id == s.team, Ticket.conversation_id.between(*s.conversation_ids))))
    return where


def ticket_scope(s: Scope, ticket=Ticket) -> list:
    f = s.f
    where = [ticket.created_at >= f.start_at, ticket.created_at < f.end_before, ticket.id.between(*s.ticket_ids)]
    if s.team is not None:
        where.append(ticket.team_id == s.team)
    if f.channel is not None:
        where.append(ticket.conversation_id.in_(sa.select(Conversation.id).where(
            Conversation.channel == f.channel, Conversation.id.between(*s.ticket_conversation_ids))))
    return where


def has_ticket(s: Scope, conv=Conversation) -> sa.ColumnElement:
    """A person was asked at some point (the ticket may come after the range)."""
    return conv.id.in_(sa.select(Ticket.conversation_id).where(Ticket.conversation_id.between(*s.conversation_ids)))


def bot_alone(s: Scope, conv=Conversation) -> sa.ColumnElement:
    """The bot marked it solved and no person was ever asked."""
    return sa.and_(conv.resolution == "self_service", ~has_ticket(s, conv))


def count_if(condition) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)
