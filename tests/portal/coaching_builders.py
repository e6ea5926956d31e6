"""Builders for the coaching tests: conversations an agent handled, with known scores, replies,
ratings and reopens, written straight into the tables at chosen times; and the March 2026 team
whose figures the tests work out by hand."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from portal.auth.models import User
from portal.conversations.models import Conversation, Message
from portal.extensions import db
from portal.tickets.models import Ticket, TicketEvent
from tests.portal.ticket_builders import person

T0 = datetime(2026, 3, 2, 9, 0)
KIND = "I'm so sorry about that. Would you prefer a refund or a replacement?"  # apologise, options, question
HARSH = "Calm down, as I said it is our policy."  # calm down, blame, policy first
_numbers = itertools.count(1)


def handled(agent: User, at: datetime, start: float | None = 0.8, end: float | None = 0.3, *, reply: str = KIND,
            reply_after: float = 60, rating: int | None = None, ended: str | None = "resolved",
            reopened_after: timedelta | None = None, take: str = "claimed", actor: User | None = None) -> Ticket:
    """One conversation an agent took at `at`: the customer's scored message a minute before, the
    greeting, the agent's reply `reply_after` seconds later, the customer's answer two minutes in,
    and the handling's end ten minutes in (resolved, transferred, or still running)."""
    conv = Conversation(status="bot")
    ticket = Ticket(number=f"T-C{next(_numbers):05d}", reason="angry", sla_due_at=at, conversation=conv,
                    created_at=at - timedelta(minutes=2), status="open", satisfaction_rating=rating)
    db.session.add_all([conv, ticket])
    if start is not None:
        db.session.add(Message(conversation=conv, sender="customer", text="This is the third time I ask!",
                               frustration_score=start, frustration_level="angry", created_at=at - timedelta(minutes=1)))
    if take == "claimed":
        db.session.add(TicketEvent(ticket=ticket, actor_id=agent.id, kind="claimed", created_at=at))
    else:  # a supervisor gave it to the agent
        db.session.add(TicketEvent(ticket=ticket, actor_id=(actor or agent).id, kind=take, created_at=at,
                                   data={"to_id": agent.id, "to": agent.name}))
    db.session.add(Message(conversation=conv, sender="agent", author_id=agent.id, text="Hi, I'm sorry, looking now.",
                           payload={"automatic": "greeting"}, created_at=at))
    db.session.add(Message(conversation=conv, sender="agent", author_id=agent.id, text=reply,
                           created_at=at + timedelta(seconds=reply_after)))
    if end is not None:
        db.session.add(Message(conversation=conv, sender="customer", text="ok, a refund then",
                               frustration_score=end, frustration_level="annoyed", created_at=at + timedelta(minutes=2)))
    done = at + timedelta(minutes=10)
    if ended == "resolved":
        ticket.status = "resolved"
        db.session.add(TicketEvent(ticket=ticket, actor_id=agent.id, kind="status", created_at=done,
                                   data={"old": "open", "new": "resolved"}))
    elif ended == "transferred":
        db.session.add(TicketEvent(ticket=ticket, actor_id=agent.id, kind="transferred", created_at=done,
                                   data={"to_team": "technical"}))
    if reopened_after is not None:
        db.session.add(TicketEvent(ticket=ticket, kind="status", created_at=done + reopened_after,
                                   data={"old": "resolved", "new": "open", "by": "customer_reply"}))
    db.session.flush()  # the caller commits
    return ticket


def march_team() -> None:
    """Ann: 20 conversations, ranked first. Bo: 21, ranked second. Cy: 5, the best mood change but
    too few to rank. Di: 20 conversations of which only 19 have a mood at the end: not ranked.
    Eve: an agent with nothing in March. Mo, a moderator, and Sue, a supervisor, take none."""
    ann = person("ann@example.com", ["agent"], "Ann Agent")
    bo = person("bo@example.com", ["agent"], "Bo Agent")
    cy = person("cy@example.com", ["agent"], "Cy Agent")
    di = person("di@example.com", ["agent"], "Di Agent")
    person("eve@example.com", ["agent"], "Eve Agent")
    person("mo@example.com", ["moderator"], "Mo Mod")
    person("sue@example.com", ["supervisor"], "Sue Super")
    ratings = [5, 5, 5, 5, 4, 4, 4, 3, 2, 1] + [None] * 10
    for i in range(20):
        reopen = {0: timedelta(days=3), 1: timedelta(days=6), 2: timedelta(days=8)}.get(i)
        handled(ann, T0 + timedelta(hours=i), *((0.8, 0.2) if i % 2 == 0 else (0.6, 0.4)),
                reply=KIND if i < 15 else HARSH, reply_after=30 if i % 2 == 0 else 90, rating=ratings[i],
                reopened_after=reopen)
    for i in range(21):
        handled(bo, T0 + timedelta(hours=i), 0.5, 0.4, rating=4)
    for i in range(5):
        handled(cy, T0 + timedelta(hours=i), 0.9, 0.2)
    for i in range(20):
        handled(di, T0 + timedelta(hours=i), 0.9, None if i == 0 else 0.1)
    # Outside March: taken the day before and the day after; never counted.
    handled(ann, datetime(2026, 2, 28, 23, 0), 0.1, 0.9)
    handled(ann, datetime(2026, 4, 1, 0, 0), 0.1, 0.9)
    db.session.commit()
