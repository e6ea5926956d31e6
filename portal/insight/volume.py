"""How much came in and where it went: conversations, handoffs, tickets, reasons, and what the
forum reports about itself. Each is one grouped query; days with nothing are filled in as 0."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app

from portal.conversations.models import Conversation
from portal.extensions import db
from portal.insight.filters import Filters
from portal.insight.scope import (
    LIVE_HANDOFF_REASONS,
    Scope,
    bot_alone,
    conversation_scope,
    count_if,
    has_ticket,
    ticket_scope,
)
from portal.insight.sql import as_day, day_of
from portal.tickets.models import Ticket


@dataclass
class ConversationDay:
    conversations: int = 0
    escalated: int = 0  # a person was asked: the conversation has a ticket
    bot_alone: int = 0  # the bot marked it solved and no person was asked


@dataclass
class TicketDay:
    tickets: int = 0
    handoffs: int = 0  # live chats the bot passed to a person


@dataclass
class ForumFigures:
    """What the forum registered source answers (None: not recorded for these filters)."""

    installed: bool = False
    threads: dict[date, int] = field(default_factory=dict)
    articles_opened: int | None = None
    threads_opened: int | None = None
    deflected: int | None = None
    posted_after: int | None = None
    pending: int | None = None
    note: str = ""


def conversation_days(s: Scope) -> dict[date, ConversationDay]:
    C = Conversation
    day = day_of(C.created_at)
    rows = db.session.execute(
        sa.select(day, sa.func.count(), count_if(has_ticket(s, C)), count_if(bot_alone(s, C)))
        .where(*conversation_scope(s)).group_by(day)
    ).all()
    days = {d: ConversationDay() for d in s.f.days()}
    for d, n, escalated, alone in rows:
        days[as_day(d)] = ConversationDay(n, escalated, alone)
    return days


def ticket_days(s: Scope) -> dict[date, TicketDay]:
    day = day_of(Ticket.created_at)
    rows = db.session.execute(
        sa.select(day, sa.func.count(), count_if(Ticket.reason.in_(LIVE_HANDOFF_REASONS)))
        .where(*ticket_scope(s)).group_by(day)
    ).all()
    days = {d: TicketDay() for d in s.f.days()}
    for d, n, handoffs in rows:
        days[as_day(d)] = TicketDay(n, handoffs)
    return days


def reasons(s: Scope) -> dict[str, int]:
    rows = db.session.execute(sa.select(Ticket.reason, sa.func.count()).where(*ticket_scope(s))
                              .group_by(Ticket.reason)).all()
    return dict(rows)


def forum_figures(f: Filters) -> ForumFigures:
    """The forum's own numbers, through what it registered (the portal never imports the forum).

    Its threads and suggestions belong to the forum channel: under another channel they are 0.
    """
    source = current_app.extensions.get("insight_sources", {}).get("forum")
    if source is None:
        return ForumFigures(note="The community forum is not installed.")
    if f.channel not in (None, "forum"):
        return ForumFigures(installed=True, threads={}, articles_opened=0, threads_opened=0, deflected=0,
                            posted_after=0, pending=0)
    got = source(start_at=f.start_at, end_before=f.end_before, team=f.team, now=f.now)
    figures = ForumFigures(installed=True, threads={as_day(d): n for d, n in got["threads_by_day"].items()})
    if got.get("suggestions") is None:
        figures.note = got.get("note", "")
    else:
        s = got["suggestions"]
        figures.articles_opened, figures.threads_opened = s["articles_opened"], s["threads_opened"]
        figures.deflected, figures.posted_after, figures.pending = s["deflected"], s["posted_after"], s["pending"]
    return figures
