"""How an agent's replies use the de-escalation moves: moves.read_reply over each reply, with
the customer's message before it.

Reading is Python over rows, so it is capped: the MAX_REPLIES_READ most recent replies per
agent in the period (one SQL statement for the whole team, a window per agent). Readings are
cached per worker by what was read (the reply and the customer's message before it: a
message never changes, and a canned reply sent a hundred times is read once), so a team
table that read 20,000 replies in 0.65 s reads them again from memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from portal.coaching.moves import HELPFUL, INFLAMING, LABELS, read_reply
from portal.coaching.stats import Figure, wilson
from portal.conversations.models import Message
from portal.extensions import db

MAX_REPLIES_READ = 500
EXAMPLES = 5
CACHED_READINGS = 20_000  # at most a few MB per worker

_read = lru_cache(maxsize=CACHED_READINGS)(read_reply)


def by_hand(message) -> sa.ColumnElement[bool]:
    """Not the greeting the console posts for the agent on claim."""
    return sa.func.coalesce(message.payload["automatic"].as_string(), "") != "greeting"


@dataclass(frozen=True)
class MoveUse:
    name: str
    label: str
    helpful: bool
    share: Figure  # of the replies read, those with this move


@dataclass(frozen=True)
class Example:
    at: datetime
    text: str
    customer_text: str
    helpful: tuple[str, ...]
    inflaming: tuple[str, ...]

    @property
    def labels(self) -> list[tuple[str, bool]]:
        return [(LABELS[m], True) for m in self.helpful] + [(LABELS[m], False) for m in self.inflaming]


@dataclass
class ReplyReading:
    read: int = 0
    any_helpful: Figure = Figure(None, 0)
    any_inflaming: Figure = Figure(None, 0)
    moves: list[MoveUse] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)


def _recent_replies(start: datetime, end: datetime, agent_ids: list[int]):
    ranked = (sa.select(Message.id, sa.func.row_number().over(partition_by=Message.author_id,
                                                              order_by=Message.id.desc()).label("nth"))
              .where(Message.sender == "agent", Message.author_id.in_(agent_ids), Message.created_at >= start,
                     Message.created_at < end, by_hand(Message))).subquery("ranked")
    said = aliased(Message, name="said")
    before = (sa.select(said.text).where(said.conversation_id == Message.conversation_id, said.sender == "customer",
                                         said.id < Message.id)
              .order_by(said.id.desc()).limit(1).correlate(Message).scalar_subquery())
    query = (sa.select(Message.author_id, Message.created_at, Message.text, before.label("customer_text"))
             .join(ranked, ranked.c.id == Message.id).where(ranked.c.nth <= MAX_REPLIES_READ)
             .order_by(Message.author_id, Message.id.desc()))
    return db.session.execute(query)


def read_replies(start: datetime, end: datetime, agent_ids: list[int]) -> dict[int, ReplyReading]:
    """Per agent: the share of replies with each move, with any helpful and with any inflaming
    move, and the most recent few replies as examples."""
    if not agent_ids:
        return {}
    counts: dict[int, dict[str, int]] = {}
    readings: dict[int, ReplyReading] = {}
    for row in _recent_replies(start, end, agent_ids):
        reading = _read(row.text, row.customer_text or "")
        seen = readings.setdefault(row.author_id, ReplyReading())
        tally = counts.setdefault(row.author_id, dict.fromkeys((*HELPFUL, *INFLAMING, "_helpful", "_inflaming"), 0))
        seen.read += 1
        for move in reading.moves:
            tally[move] += 1
        tally["_helpful"] += bool(reading.helpful)
        tally["_inflaming"] += bool(reading.inflaming)
        if len(seen.examples) < EXAMPLES:
            seen.examples.append(Example(row.created_at, row.text, row.customer_text or "", reading.helpful,
                                         reading.inflaming))
    for author_id, seen in readings.items():
        tally = counts[author_id]
        seen.any_helpful = wilson(tally["_helpful"], seen.read)
        seen.any_inflaming = wilson(tally["_inflaming"], seen.read)
        seen.moves = [MoveUse(m, LABELS[m], m in HELPFUL, wilson(tally[m], seen.read)) for m in (*HELPFUL, *INFLAMING)]
    return readings
