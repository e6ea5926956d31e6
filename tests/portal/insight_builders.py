"""A week of help-desk history with every time written out, so the dashboard's figures can be
worked out by hand (tests/portal/test_insight.py has the arithmetic beside each assertion).

Range 2026-03-01 .. 2026-03-07, judged at NOW (2026-03-10 00:00 UTC).

conv  day    channel  who     path                    ticket (team, reason)
C1    03-01  chat     casey   bot alone, rated 4      -
C2    03-01  chat     visitor bot alone, rated 5      -
C3    03-02  chat     casey   person, rated 5         T3 billing angry, resolved; casey's T5 follows in 7 days
C4    03-02  chat     robin   person, rated 2         T4 technical requested_human, resolved, reopened, resolved
C7    03-04  chat     visitor person, rated 4         T7 billing bot_failing, resolved (first contact)
C5    03-05  message  casey   left a message          T5 general left_message, claimed, never resolved
C6    03-06  forum    robin   forum thread            T6 technical forum_thread, never answered
C8    03-07  chat     casey   nothing scored          -
and outside the range: C0 on 02-28 (bot alone, rated 1) and T9 on 03-08.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from forum.models import ForumCategory, ForumDeflection, Thread
from portal.conversations.models import Conversation, Message
from portal.extensions import db
from portal.insight.filters import Filters
from portal.tickets.models import Ticket, TicketEvent
from tests.portal.ticket_builders import person, team

NOW = datetime(2026, 3, 10)
START, END = datetime(2026, 3, 1).date(), datetime(2026, 3, 7).date()
RANGE = {"from": "2026-03-01", "to": "2026-03-07"}


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute)


def filters(team: str | None = None, channel: str | None = None, now: datetime = NOW) -> Filters:
    return Filters(start=START, end=END, team=team, channel=channel, now=now)


def conversation(created: datetime, user=None, visitor: str | None = None, channel: str = "chat",
                 resolution: str = "", scores=(), last_activity: datetime | None = None,
                 rated: tuple[str, int] | None = None) -> Conversation:
    """A conversation and its customer messages, one a minute, with (score, level) each;
    ``rated``: the path the customer rated and the rating."""
    path, rating = rated or (None, None)
    conv = Conversation(user_id=user.id if user else None, visitor_id=visitor, channel=channel,
                        resolution=resolution, status="resolved" if resolution == "self_service" else "bot",
                        created_at=created, last_activity_at=last_activity or created + timedelta(minutes=5),
                        satisfaction_path=path, satisfaction_rating=rating)
    db.session.add(conv)
    for i, (score, level) in enumerate(scores):
        db.session.add(Message(conversation=conv, sender="customer", text=f"message {i}", created_at=created
                               + timedelta(minutes=i), frustration_score=score, frustration_level=level))
        db.session.add(Message(conversation=conv, sender="bot", text="reply", created_at=created
                               + timedelta(minutes=i, seconds=30)))
    db.session.flush()
    return conv


def ticket(number: str, conv: Conversation | None, created: datetime, reason: str, team_slug: str, customer=None,
           sla_due: datetime | None = None, resolution_due: datetime | None = None, claimed: datetime | None = None,
           responded: datetime | None = None, resolved: datetime | None = None, rating: int | None = None,
           reopened: datetime | None = None, status: str | None = None) -> Ticket:
    row = Ticket(number=number, reason=reason, category=team_slug, conversation_id=conv.id if conv else None,
                 customer_id=customer.id if customer else None, team_id=team(team_slug).id, created_at=created,
                 sla_due_at=sla_due or created + timedelta(hours=4), resolution_due_at=resolution_due,
                 first_responded_at=responded, resolved_at=resolved, satisfaction_rating=rating,
                 status=status or ("resolved" if resolved else "open"))
    db.session.add(row)
    db.session.flush()
    events = [("created", created, {"reason": reason})]
    if claimed:
        events.append(("claimed", claimed, {"agent": "Ann"}))
    if reopened:
        events += [("status", reopened - timedelta(hours=15), {"old": "open", "new": "resolved"}),
                   ("status", reopened, {"old": "resolved", "new": "open", "by": "customer_reply"}),
                   ("status", resolved, {"old": "open", "new": "resolved"})]
    elif resolved:
        events.append(("status", resolved, {"old": "open", "new": "resolved"}))
    for kind, when, data in events:
        db.session.add(TicketEvent(ticket_id=row.id, kind=kind, created_at=when, data=data))
    return row


def history() -> dict:
    casey = person("casey@example.com", name="Casey Doe")
    robin = person("robin@example.com", name="Robin Roe")
    calm, annoyed, frustrated, angry = "calm", "annoyed", "frustrated", "angry"

    conversation(at(28, 23, 59, month=2), user=robin, resolution="self_service", scores=[(0.9, angry)],
                 rated=("bot", 1))  # C0
    conversation(at(1, 10), user=casey, resolution="self_service", scores=[(0.20, calm), (0.10, calm)],
                 rated=("bot", 4))  # C1
    conversation(at(1, 12), visitor="v1", resolution="self_service", scores=[(0.05, calm)], rated=("bot", 5))  # C2
    c3 = conversation(at(2, 9), user=casey, scores=[(0.50, annoyed), (0.90, angry), (0.40, annoyed)],
                      rated=("agent", 5))
    c4 = conversation(at(2, 15), user=robin, scores=[(0.30, annoyed), (0.35, annoyed)], rated=("agent", 2))
    c7 = conversation(at(4, 10), visitor="v2", scores=[(0.70, frustrated), (0.20, calm)], rated=("agent", 4))
    c5 = conversation(at(5, 20), user=casey, channel="message", scores=[(0.60, frustrated)])
    c6 = conversation(at(6, 11), user=robin, channel="forum", scores=[(0.20, calm)])
    conversation(at(7, 23, 30), user=casey)  # C8: the bot only, nothing the customer said was scored
    c9 = conversation(at(8, 0), user=robin, scores=[(0.5, annoyed)])

    ticket("T-3", c3, at(2, 9, 5), "angry", "billing", casey, sla_due=at(2, 9, 35), resolution_due=at(2, 13, 5),
           claimed=at(2, 9, 15), responded=at(2, 9, 15), resolved=at(2, 10, 5), rating=5)
    ticket("T-4", c4, at(2, 15), "requested_human", "technical", robin, sla_due=at(2, 19),
           resolution_due=at(3, 15), claimed=at(2, 15, 30), responded=at(2, 15, 30), resolved=at(3, 9),
           reopened=at(3, 8), rating=2)
    ticket("T-7", c7, at(4, 10), "bot_failing", "billing", None, sla_due=at(4, 14), resolution_due=at(5, 10),
           claimed=at(4, 10, 20), responded=at(4, 10, 20), resolved=at(4, 11), rating=4)
    ticket("T-5", c5, at(5, 20, 10), "left_message", "general", casey, sla_due=at(6, 20, 10),
           resolution_due=at(8, 20, 10), claimed=at(6, 8, 10), responded=at(6, 8, 40))
    ticket("T-6", c6, at(6, 11), "forum_thread", "technical", robin, sla_due=at(6, 15), resolution_due=at(12, 11))
    ticket("T-9", c9, at(8, 0), "angry", "billing", robin, sla_due=at(8, 1), resolution_due=at(8, 8))

    billing = ForumCategory(slug="billing", name="Billing")
    setup = ForumCategory(slug="products-setup", name="Products & setup")
    db.session.add_all([billing, setup])
    db.session.flush()
    for when, category in ((at(3, 12), billing), (at(6, 9), setup), (at(8, 9), billing)):
        db.session.add(Thread(category_id=category.id, author_id=robin.id, title="A question", created_at=when,
                              last_post_at=when, updated_at=when))
    db.session.add_all([
        ForumDeflection(user_id=robin.id, query="refund", doc_url="/kb/refunds", doc_type="article",
                        opened_at=at(3, 11)),  # deflected: the window closed with no thread
        ForumDeflection(user_id=robin.id, query="setup", doc_url="/forum/t/1-setup", doc_type="thread",
                        opened_at=at(6, 8, 50), posted_after=True),  # posted anyway
        ForumDeflection(user_id=casey.id, query="charge", doc_url="/kb/charged-twice", doc_type="article",
                        opened_at=at(7, 23, 50)),  # deflected at NOW; still in its window at 03-08 00:00
        ForumDeflection(user_id=casey.id, query="late", doc_url="/kb/late", doc_type="article",
                        opened_at=at(9, 23, 50)),  # outside the range
    ])
    db.session.commit()
    return {"casey": casey.id, "robin": robin.id}
