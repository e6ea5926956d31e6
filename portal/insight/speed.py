"""How fast people answered: the wait in the queue (handoff to first claim, from the ticket's
audit trail), the first response and the resolution, and both against the SLA.

A ticket opens at the handoff; its first ``claimed`` TicketEvent is when a person took it.
A timer still running is judged at ``Filters.now``: past its due time it is breached already.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from portal.extensions import db
from portal.insight.filters import Filters
from portal.insight.scope import count_if, ticket_scope
from portal.insight.sql import percentiles, seconds_between
from portal.tickets.models import Ticket, TicketEvent

PS = (0.5, 0.9)
MEASURES = ("queue_wait", "first_response", "resolution")


@dataclass
class Timer:
    met: int = 0
    breached: int = 0
    running: int = 0


def first_claim_at() -> sa.ScalarSelect:
    return (sa.select(sa.func.min(TicketEvent.created_at))
            .where(TicketEvent.ticket_id == Ticket.id, TicketEvent.kind == "claimed").scalar_subquery())


def durations(f: Filters, team: int | None) -> dict[str, dict]:
    """{measure: {"n": tickets measured, 0.5: seconds, 0.9: seconds}}."""
    per_ticket = sa.select(
        seconds_between(first_claim_at(), Ticket.created_at).label("queue_wait"),
        seconds_between(Ticket.first_responded_at, Ticket.created_at).label("first_response"),
        seconds_between(Ticket.resolved_at, Ticket.created_at).label("resolution"),
    ).where(*ticket_scope(f, team)).cte("per_ticket")
    values = sa.union_all(*(sa.select(per_ticket.c[m].label("seconds"), sa.literal(m).label("measure"))
                            for m in MEASURES))
    found = percentiles(sa.select(values.subquery()), PS, group=True)
    return {m: found.get(m, {"n": 0, **{p: None for p in PS}}) for m in MEASURES}


def sla(f: Filters, team: int | None) -> dict[str, Timer]:
    t, now = Ticket, f.now
    responded, resolved, due = t.first_responded_at, t.resolved_at, t.resolution_due_at
    row = db.session.execute(sa.select(
        count_if(responded <= t.sla_due_at),
        count_if(sa.or_(responded > t.sla_due_at, sa.and_(responded.is_(None), t.sla_due_at < now))),
        count_if(sa.and_(responded.is_(None), t.sla_due_at >= now)),
        count_if(resolved <= due),
        count_if(sa.or_(resolved > due, sa.and_(resolved.is_(None), due < now))),
        count_if(sa.and_(resolved.is_(None), due >= now)),
    ).where(*ticket_scope(f, team))).one()
    return {"first_response": Timer(*row[:3]), "resolution": Timer(*row[3:])}
