"""What the filters select: conversations and tickets started in the range, of a team, by a channel.

A conversation belongs to a team through its tickets (routing decides the team): one the bot
handled alone has none, so it is counted only when every team is chosen. A ticket's channel
is its conversation's.
"""

from __future__ import annotations

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


def team_id(f: Filters) -> int | None:
    """The chosen team's id; -1 when its row is missing, so nothing matches."""
    if f.team is None:
        return None
    found = db.session.scalar(sa.select(Team.id).where(Team.slug == f.team))
    return -1 if found is None else found


def conversation_scope(f: Filters, team: int | None, conv=Conversation) -> list:
    where = [conv.created_at >= f.start_at, conv.created_at < f.end_before]
    if f.channel is not None:
        where.append(conv.channel == f.channel)
    if team is not None:
        where.append(sa.exists().where(Ticket.conversation_id == conv.id, Ticket.team_id == team))
    return where


def ticket_scope(f: Filters, team: int | None, ticket=Ticket) -> list:
    where = [ticket.created_at >= f.start_at, ticket.created_at < f.end_before]
    if team is not None:
        where.append(ticket.team_id == team)
    if f.channel is not None:
        where.append(sa.exists().where(Conversation.id == ticket.conversation_id, Conversation.channel == f.channel))
    return where


def has_ticket(conv=Conversation) -> sa.Exists:
    return sa.exists().where(Ticket.conversation_id == conv.id)


def bot_alone(conv=Conversation) -> sa.ColumnElement:
    """The bot marked it solved and no person was ever asked."""
    return sa.and_(conv.resolution == "self_service", ~has_ticket(conv))


def count_if(condition) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)
