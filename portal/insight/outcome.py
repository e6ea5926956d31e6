"""Whether it stayed solved: satisfaction by path, first-contact resolution, reopenings.

Two paths: the bot alone (it marked the conversation solved and no person was asked) and a
person (the conversation's tickets). First-contact resolution: resolved, never reopened, and
no new ticket from the same customer within FCR_DAYS of the resolution (a visitor who was
not signed in cannot be recognised later, so only the reopening counts for them).

Ratings are the conversation's, with the path the customer was asked about
(``Conversation.satisfaction_path``, owned by portal/chat/satisfaction.py): one grouped query
compares the bot with people.
"""

from __future__ import annotations

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


def satisfaction(s: Scope) -> dict[str, dict[int, int]]:
    """{path: {rating: count}} for the conversations started in the range."""
    c = Conversation
    out = {path: dict.fromkeys(RATINGS, 0) for path in PATHS}
    rows = db.session.execute(sa.select(c.satisfaction_path, c.satisfaction_rating, sa.func.count())
                              .where(*conversation_scope(s), c.satisfaction_path.in_(tuple(PATHS)),
                                     c.satisfaction_rating.in_(RATINGS))
                              .group_by(c.satisfaction_path, c.satisfaction_rating)).all()
    for path, rating, n in rows:
        out[path][int(rating)] = n
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
