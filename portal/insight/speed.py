"""How fast people answered: the wait in the queue (handoff to first claim, from the ticket's
audit trail), the first response and the resolution, and both against the SLA.

A ticket opens at the handoff; its first ``claimed`` TicketEvent is when a person took it.
A timer still running is judged at ``Filters.now``: past its due time it is breached already.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from portal.extensions import db
from portal.insight.scope import Scope, count_if, ticket_scope
from portal.insight.sql import percentiles, seconds_between
from portal.tickets.models import Ticket, TicketEvent

PS = (0.5, 0.9)
MEASURES = ("queue_wait", "first_response", "resolution")


@dataclass
class Timer:
    met: int = 0
    breached: int = 0
    running: int = 0


def first_claims(s: Scope) -> sa.Subquery:
    """Each ticket's first claim, read from its audit trail within the range's ticket ids."""
    e = TicketEvent
    return (sa.select(e.ticket_id.label("ticket_id"), sa.func.min(e.created_at).label("at"))
            .where(e.kind == "claimed", e.ticket_id.between(*s.ticket_ids)).group_by(e.ticket_id).subquery())


def durations(s: Scope) -> dict[str, dict]:
    """{measure: {"n": tickets measured, 0.5: seconds, 0.9: seconds}}."""
    claims = first_claims(s)
    per_ticket = (sa.select(
        seconds_between(claims.c.at, Ticket.created_at).label("queue_wait"),
        seconds_between(Ticket.first_responded_at, Ticket.created_at).label("first_response"),
        seconds_between(Ticket.resolved_at, Ticket.created_at).label("resolution"),
    ).select_from(Ticket).outerjoin(claims, claims.c.ticket_id == Ticket.id).where(*ticket_scope(s)))
    return percentiles(per_ticket, PS)


def sla(s: Scope) -> dict[str, Timer]:
    t, now = Ticket, s.f.now
    responded, resolved, due = t.first_responded_at, t.resolved_at, t.resolution_due_at
    row = db.session.execute(sa.select(
        count_if(responded <= t.sla_due_at),
        count_if(sa.or_(responded > t.sla_due_at, sa.and_(responded.is_(None), t.sla_due_at < now))),
        count_if(sa.and_(responded.is_(None), t.sla_due_at >= now)),
        count_if(resolved <= due),
        count_if(sa.or_(resolved > due, sa.and_(resolved.is_(None), due < now))),
        count_if(sa.and_(resolved.is_(None), due >= now)),
    ).where(*ticket_scope(s))).one()
    return {"first_response": Timer(*row[:3]), "resolution": Timer(*row[3:])}
