"""How the staff ticket list is ordered and searched.

Order: the desk's order, as the console's queue (agent.services.PRIORITY_RANK): urgent first,
then the soonest first-response due, then the newest. Search (`q`): a few words matched, each
anywhere, against the ticket number, the customer's name and email (or the contact email a
visitor left), the order number the bot noted, and the subject. Bounded by the form (MAX_QUERY).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from portal.agent.services import PRIORITY_RANK
from portal.auth.models import User
from portal.tickets.models import Ticket

MAX_QUERY = 100
MAX_WORDS = 5


def desk_order() -> tuple:
    rank = sa.case(PRIORITY_RANK, value=Ticket.priority, else_=len(PRIORITY_RANK))
    return rank.asc(), Ticket.sla_due_at.asc(), Ticket.id.desc()


def _like(text: str) -> str:
    escaped = text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"


def search(query, q: str):
    """Tickets where every word of `q` is in one of the searched fields (case-insensitive)."""
    words = q.split()[:MAX_WORDS]
    if not words:
        return query
    customer = aliased(User, name="searched_customer")
    order_number = sa.func.coalesce(Ticket.briefing["details"]["order_number"].as_string(), "")
    query = query.outerjoin(customer, customer.id == Ticket.customer_id)
    for word in words:
        pattern = _like(word)
        query = query.where(sa.or_(*(column.ilike(pattern, escape="!") for column in (
            Ticket.number, Ticket.subject, Ticket.contact_email, customer.name, customer.email, order_number))))
    return query
