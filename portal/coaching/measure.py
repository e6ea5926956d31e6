"""Each agent's de-escalation measure over a period, from the ticket audit trail and the chat.

The unit is a *handling*: one agent taking one conversation, from the event that gave it to
them (claimed, or assigned or transferred to them) to the first event that ends their part
(resolved, closed, handed back to the bot, or passed to someone else or a queue). Per handling:

- mood at claim: the customer's last scored message at or before the agent took it;
- mood at the end: the customer's last scored message after that and before the handling
  ended (handlings still running, or where the customer never wrote again, have none);
- satisfaction: the ticket's rating, counted for the handling that resolved it last;
- reopened: a resolved handling whose ticket went from resolved or closed back to open
  within REOPEN_DAYS;
- first reply: seconds from taking it to the agent's first message written by hand (the
  greeting posted on claim is instant for everyone and does not count).

Everything is one SQL statement grouped by agent; the means come back as n, Σx and Σx²,
so the intervals (stats.py) never need the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from portal.auth.models import Role, User
from portal.auth.permissions import SUPPORT_STAFF, holds
from portal.coaching.replies import MoveUse, ReplyReading, by_hand, read_replies
from portal.coaching.stats import Figure, mean_interval, wilson
from portal.conversations.models import Message
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.tickets.models import Ticket, TicketEvent

MIN_CONVERSATIONS = 20  # below this many measured conversations an agent is not ranked
REOPEN_DAYS = 7
DEFAULT_DAYS = 30
MAX_DAYS = 731
TAKES = ("claimed", "assigned", "transferred")  # events that give an agent a conversation
LARGEST_ID = 2 ** 31 - 1


class BadPeriod(DomainError):
    status = 400


class UnknownAgent(NotFound):
    """Not someone who takes conversations (or no one at all): the same answer for both."""


@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive: the day after the last day shown
    first_day: date
    last_day: date


def period_from(first: str | None, last: str | None, today: date) -> Period:
    """The days from `first` to `last` (YYYY-MM-DD, both included); the last DEFAULT_DAYS when not given."""
    try:
        last_day = date.fromisoformat(last) if last else today
        first_day = date.fromisoformat(first) if first else last_day - timedelta(days=DEFAULT_DAYS - 1)
    except (TypeError, ValueError):
        raise BadPeriod("Dates are written YYYY-MM-DD, for example 2026-03-31.") from None
    if not (2000 <= first_day.year <= 9000 and 2000 <= last_day.year <= 9000):
        raise BadPeriod("Choose dates between the years 2000 and 9000.")
    if first_day > last_day:
        raise BadPeriod("The first day comes after the last day; swap them.")
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise BadPeriod(f"Choose at most {MAX_DAYS} days at a time.")
    return Period(datetime.combine(first_day, datetime.min.time()),
                  datetime.combine(last_day + timedelta(days=1), datetime.min.time()), first_day, last_day)


class SecondsBetween(FunctionElement):
    """Seconds from the first timestamp to the second, in either database's own arithmetic."""

    type = sa.Float()
    inherit_cache = True


@compiles(SecondsBetween)
def _seconds_sqlite(element, compiler, **kw):
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({b}) - julianday({a})) * 86400.0)"


@compiles(SecondsBetween, "postgresql")
def _seconds_postgresql(element, compiler, **kw):
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({b} - {a})) AS DOUBLE PRECISION)"


@dataclass
class AgentMeasure:
    agent_id: int
    name: str
    conversations: int = 0
    mood_at_claim: Figure = Figure(None, 0)
    mood_at_end: Figure = Figure(None, 0)
    mood_change: Figure = Figure(None, 0)  # at claim minus at the end: above 0 is brought down
    satisfaction: Figure = Figure(None, 0)  # mean rating, 1..5
    satisfied: Figure = Figure(None, 0)  # share rated 4 or 5
    reopened: Figure = Figure(None, 0)
    first_reply_seconds: Figure = Figure(None, 0)
    replies: ReplyReading = field(default_factory=ReplyReading)
    rank: int | None = None

    @property
    def enough(self) -> bool:
        return self.mood_change.n >= MIN_CONVERSATIONS

    @property
    def moves(self) -> list[MoveUse]:
        return self.replies.moves


def _handlings(period: Period, agent_id: int | None):
    """One row per handling that started in the period, with what ended it (if anything)."""
    take = aliased(TicketEvent, name="take")
    nxt = aliased(TicketEvent, name="nxt")
    agent = sa.case((take.kind == "claimed", take.actor_id), else_=take.data["to_id"].as_integer())
    ends = sa.or_(nxt.kind.in_(TAKES + ("handed_back",)),
                  sa.and_(nxt.kind == "status", nxt.data["new"].as_string().in_(("resolved", "closed"))))
    end_id = (sa.select(sa.func.min(nxt.id)).where(nxt.ticket_id == take.ticket_id, nxt.id > take.id, ends)
              .correlate(take).scalar_subquery())
    query = (sa.select(take.id.label("take_id"), take.ticket_id, take.created_at.label("started_at"),
                       agent.label("agent_id"), Ticket.conversation_id, Ticket.satisfaction_rating.label("rating"),
                       end_id.label("end_id"))
             .join(Ticket, Ticket.id == take.ticket_id)
             .where(take.kind.in_(TAKES), take.created_at >= period.start, take.created_at < period.end,
                    Ticket.conversation_id.is_not(None)))
    query = query.where(agent == agent_id) if agent_id is not None else query.where(agent.is_not(None))
    return query.subquery("handling")


def _customer_mood(h, fin, after, until):
    """The score of the customer's last scored message in (after, until]."""
    m = aliased(Message, name="said")
    query = sa.select(m.frustration_score).where(m.conversation_id == h.c.conversation_id, m.sender == "customer",
                                                 m.frustration_score.is_not(None), m.created_at <= until)
    if after is not None:
        query = query.where(m.created_at > after)
    return query.order_by(m.created_at.desc(), m.id.desc()).limit(1).correlate(h, fin).scalar_subquery()


def _per_handling(period: Period, agent_id: int | None):
    h = _handlings(period, agent_id)
    fin = aliased(TicketEvent, name="fin")
    later = aliased(TicketEvent, name="later")
    resolved = sa.and_(fin.id.is_not(None), fin.kind.in_(("status", "handed_back")))
    taken_again = sa.exists().where(later.ticket_id == h.c.ticket_id, later.id > fin.id, later.kind.in_(TAKES))
    reopen = sa.exists().where(later.ticket_id == h.c.ticket_id, later.id > fin.id, later.kind == "status",
                               later.data["new"].as_string() == "open",
                               later.data["old"].as_string().in_(("resolved", "closed")),
                               SecondsBetween(fin.created_at, later.created_at) <= REOPEN_DAYS * 86400)
    reply = aliased(Message, name="reply")
    first_reply = (sa.select(sa.func.min(reply.created_at))
                   .where(reply.conversation_id == h.c.conversation_id, reply.sender == "agent",
                          reply.author_id == h.c.agent_id, reply.created_at >= h.c.started_at,
                          sa.or_(fin.id.is_(None), reply.created_at <= fin.created_at), by_hand(reply))
                   .correlate(h, fin).scalar_subquery())
    start_mood = _customer_mood(h, fin, None, h.c.started_at)
    end_mood = _customer_mood(h, fin, h.c.started_at, fin.created_at)
    return (sa.select(h.c.agent_id, start_mood.label("mood_start"), end_mood.label("mood_end"),
                      sa.case((resolved, 1), else_=0).label("resolved"),
                      sa.case((sa.and_(resolved, reopen), 1), else_=0).label("reopened"),
                      sa.case((sa.and_(resolved, ~taken_again), h.c.rating)).label("rating"),
                      SecondsBetween(h.c.started_at, first_reply).label("first_reply"))
            .select_from(h).outerjoin(fin, fin.id == h.c.end_id)
            # Computed once per handling: PostgreSQL would otherwise inline it into the aggregate and run
            # each correlated subquery again for every sum that uses its column (10 s instead of 0.3 s
            # at 20,000 handlings).
            .cte("per_handling").prefix_with("MATERIALIZED", dialect="postgresql"))


def _aggregates(period: Period, agent_id: int | None) -> dict[int, dict]:
    p = _per_handling(period, agent_id)
    paired = sa.and_(p.c.mood_start.is_not(None), p.c.mood_end.is_not(None))
    change = p.c.mood_start - p.c.mood_end

    def when_paired(x):
        return sa.case((paired, x))

    columns = {
        "conversations": sa.func.count(),
        "mood_n": sa.func.count(when_paired(1)),
        "start_sum": sa.func.sum(when_paired(p.c.mood_start)),
        "start_sq": sa.func.sum(when_paired(p.c.mood_start * p.c.mood_start)),
        "end_sum": sa.func.sum(when_paired(p.c.mood_end)),
        "end_sq": sa.func.sum(when_paired(p.c.mood_end * p.c.mood_end)),
        "change_sum": sa.func.sum(when_paired(change)),
        "change_sq": sa.func.sum(when_paired(change * change)),
        "resolved": sa.func.sum(p.c.resolved),
        "reopened": sa.func.sum(p.c.reopened),
        "rated": sa.func.count(p.c.rating),
        "rating_sum": sa.func.sum(p.c.rating),
        "rating_sq": sa.func.sum(p.c.rating * p.c.rating),
        "satisfied": sa.func.sum(sa.case((p.c.rating >= 4, 1), else_=0)),
        "reply_n": sa.func.count(p.c.first_reply),
        "reply_sum": sa.func.sum(p.c.first_reply),
        "reply_sq": sa.func.sum(p.c.first_reply * p.c.first_reply),
    }
    query = sa.select(p.c.agent_id, *(c.label(k) for k, c in columns.items())).group_by(p.c.agent_id)
    if db.session.get_bind().dialect.name == "postgresql":
        # The correlated subqueries make the planner's estimate huge, so PostgreSQL compiles the
        # query with JIT: 1.1 s of compiling for 0.8 s of work at 20,000 handlings. This transaction only.
        db.session.execute(sa.text("SET LOCAL jit = off"))
    return {row.agent_id: row._asdict() for row in db.session.execute(query)}


def _fill(measure: AgentMeasure, row: dict | None) -> AgentMeasure:
    if not row:
        return measure
    val = {k: (v or 0) for k, v in row.items()}
    measure.conversations = val["conversations"]
    measure.mood_at_claim = mean_interval(val["mood_n"], float(val["start_sum"]), float(val["start_sq"]))
    measure.mood_at_end = mean_interval(val["mood_n"], float(val["end_sum"]), float(val["end_sq"]))
    measure.mood_change = mean_interval(val["mood_n"], float(val["change_sum"]), float(val["change_sq"]))
    measure.satisfaction = mean_interval(val["rated"], float(val["rating_sum"]), float(val["rating_sq"]))
    measure.satisfied = wilson(int(val["satisfied"]), val["rated"])
    measure.reopened = wilson(int(val["reopened"]), int(val["resolved"]))
    measure.first_reply_seconds = mean_interval(val["reply_n"], float(val["reply_sum"]), float(val["reply_sq"]))
    return measure


def display_name(user: User) -> str:
    return user.name or user.email


def coached_agent(agent_id: int) -> User:
    """Someone who can take conversations, or UnknownAgent (404) for anyone else or any other number."""
    user = db.session.get(User, agent_id) if 0 < agent_id <= LARGEST_ID else None
    if user is None or not holds(user, SUPPORT_STAFF):
        raise UnknownAgent("We could not find that agent.")
    return user


def agent_measure(user: User, period: Period) -> AgentMeasure:
    measure = _fill(AgentMeasure(user.id, display_name(user)), _aggregates(period, user.id).get(user.id))
    measure.replies = read_replies(period.start, period.end, [user.id]).get(user.id, ReplyReading())
    return measure


def team_measures(period: Period) -> list[AgentMeasure]:
    """Every agent (and anyone else who took a conversation in the period), ranked by how far they
    brought the mood down; only those with MIN_CONVERSATIONS measured conversations get a rank."""
    rows = _aggregates(period, None)
    people = db.session.scalars(sa.select(User).where(sa.or_(
        User.id.in_(list(rows) or [-1]),
        sa.and_(User.active.is_(True), User.roles.any(Role.name == "agent"))))).all()
    readings = read_replies(period.start, period.end, [u.id for u in people])
    measures = []
    for user in people:
        measure = _fill(AgentMeasure(user.id, display_name(user)), rows.get(user.id))
        measure.replies = readings.get(user.id, ReplyReading())
        measures.append(measure)
    return rank(measures)


def standing(user: User, period: Period) -> tuple[int | None, int]:
    """The agent's rank in the team (None below the minimum) and how many agents are ranked:
    the same ranking as the team's table, from the aggregates alone."""
    measures = rank([_fill(AgentMeasure(agent_id, ""), row) for agent_id, row in _aggregates(period, None).items()])
    ranked = [m for m in measures if m.rank is not None]
    return next((m.rank for m in ranked if m.agent_id == user.id), None), len(ranked)


def rank(measures: list[AgentMeasure]) -> list[AgentMeasure]:
    """Competition ranking (1, 2, 2, 4) by mood brought down, for those with enough conversations;
    the rest follow, unranked, by name."""
    ranked = sorted((m for m in measures if m.enough), key=lambda m: -m.mood_change.value)
    for i, m in enumerate(ranked):
        m.rank = ranked[i - 1].rank if i and m.mood_change.value == ranked[i - 1].mood_change.value else i + 1
    rest = sorted((m for m in measures if not m.enough), key=lambda m: m.name.lower())
    for m in rest:
        m.rank = None
    return ranked + rest
