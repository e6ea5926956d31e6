"""Whether it stayed solved: satisfaction by path, first-contact resolution, reopenings.

Two paths: the bot alone (it marked the conversation solved and no person was asked) and a
person (the conversation's tickets). First-contact resolution: resolved, never reopened, and
no new ticket from the same customer within FCR_DAYS of the resolution (a visitor who was
not signed in cannot be recognised later, so only the reopening counts for them).

Ratings: each path names where its ratings are stored (RATING_SOURCES). A person's are on the
ticket; a rating of a conversation the bot solved alone is read from
``Conversation.satisfaction_rating`` when that column exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from portal.conversations.models import Conversation
from portal.extensions import db
from portal.insight.scope import FCR_DAYS, Scope, bot_alone, conversation_scope, count_if, ticket_scope
from portal.insight.sql import seconds_between
from portal.tickets.models import Ticket, TicketEvent

PATHS = {"bot": "Bot alone", "agent": "With a person"}
RATINGS = (1, 2, 3, 4, 5)
FCR_SECONDS = FCR_DAYS * 86400


@dataclass
class Resolution:
    resolved: int = 0
    first_contact: int = 0
    reopened: int | None = 0  # None: this path has no reopening (a bot-solved chat has no ticket)


def _ticket_ratings(s: Scope) -> sa.Select | None:
    return sa.select(Ticket.satisfaction_rating.label("rating")).where(*ticket_scope(s))


def _bot_ratings(s: Scope) -> sa.Select | None:
    column = getattr(Conversation, "satisfaction_rating", None)
    if column is None:  # not stored yet: the path shows no ratings rather than borrowed ones
        return None
    return sa.select(column.label("rating")).where(*conversation_scope(s), bot_alone(s))


RATING_SOURCES: dict[str, Callable[[Scope], sa.Select | None]] = {
    "bot": _bot_ratings,
    "agent": _ticket_ratings,
}


def satisfaction(s: Scope) -> dict[str, dict[int, int]]:
    """{path: {rating: count}}, one grouped query per path."""
    out = {}
    for path, source in RATING_SOURCES.items():
        ratings = source(s)
        counts = dict.fromkeys(RATINGS, 0)
        if ratings is not None:
            rating = ratings.subquery().c.rating
            for value, n in db.session.execute(sa.select(rating, sa.func.count()).where(rating.in_(RATINGS))
                                               .group_by(rating)).all():
                counts[int(value)] = n
        out[path] = counts
    return out


def reopened(s: Scope, ticket=Ticket) -> sa.ColumnElement:
    """A resolved or closed ticket was set open again (by the customer's reply or by staff)."""
    e = TicketEvent
    return ticket.id.in_(sa.select(e.ticket_id).where(
        e.kind == "status", e.ticket_id.between(*s.ticket_ids), e.data["new"].as_string() == "open",
        e.data["old"].as_string().in_(("resolved", "closed"))))


def _new_ticket_within(customer_id, since, after) -> sa.Exists:
    later = sa.orm.aliased(Ticket)
    return sa.exists().where(later.customer_id == customer_id, later.created_at > after,
                             seconds_between(later.created_at, since) <= FCR_SECONDS)


def resolutions(s: Scope) -> dict[str, Resolution]:
    t = Ticket
    again = reopened(s, t)
    ever_resolved = sa.or_(t.resolved_at.isnot(None), again)
    first_contact = sa.and_(t.resolved_at.isnot(None), ~again,
                            ~_new_ticket_within(t.customer_id, t.resolved_at, t.created_at))
    agent = db.session.execute(sa.select(count_if(ever_resolved), count_if(first_contact), count_if(again))
                               .where(*ticket_scope(s))).one()
    c = Conversation
    bot = db.session.execute(sa.select(
        sa.func.count(), count_if(~_new_ticket_within(c.user_id, c.last_activity_at, c.created_at)),
    ).where(*conversation_scope(s), bot_alone(s, c))).one()
    return {"bot": Resolution(bot[0], bot[1], None), "agent": Resolution(*agent)}
