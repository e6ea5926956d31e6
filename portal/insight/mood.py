"""How the customer felt: the frustration of each conversation's first, peakiest and last
scored customer message (the detector's score from 0 to 1 and its level), and how far it
came down from the peak by the end.

One query. The scored customer messages of the range's conversation ids are read in order
from ix_chat_messages_scored (partial, covering on PostgreSQL), numbered within each
conversation by window functions, so the first and the last need no second lookup; per
conversation: start, peak and end (score and level); per day: their sums and level counts.
Averages are those sums over the counts, so a total over the range is exactly the sum of
its days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from portal.conversations.models import Conversation, Message
from portal.extensions import db
from portal.insight.scope import LEVELS, Scope, conversation_scope, count_if
from portal.insight.sql import as_day, day_of
from portal.tickets.services import LEVEL_RANK

MOMENTS = ("start", "peak", "end")


@dataclass
class MoodDay:
    conversations: int = 0
    start: float = 0.0  # sums of scores
    peak: float = 0.0
    end: float = 0.0
    ended_below_peak: int = 0
    levels: dict[str, dict[str, int]] = field(default_factory=lambda: {m: dict.fromkeys(LEVELS, 0)
                                                                        for m in MOMENTS})

    def add(self, other: MoodDay) -> None:
        self.conversations += other.conversations
        self.start, self.peak, self.end = self.start + other.start, self.peak + other.peak, self.end + other.end
        self.ended_below_peak += other.ended_below_peak
        for moment in MOMENTS:
            for level in LEVELS:
                self.levels[moment][level] += other.levels[moment][level]

    def mean(self, moment: str) -> float | None:
        return getattr(self, moment) / self.conversations if self.conversations else None


def _rank(level) -> sa.Case:
    return sa.case(*((level == name, rank) for name, rank in LEVEL_RANK.items()), else_=0)


def scored_customer_messages(m=Message) -> list:
    """The partial index's own condition, written as literals so both databases match it to the index."""
    return [m.sender == sa.literal_column("'customer'"), m.frustration_score.isnot(None)]


def mood_days(s: Scope) -> dict[date, MoodDay]:
    m, c = Message, Conversation
    # One window, in the index's order: nothing before a message makes it the first, nothing after the last.
    in_order = {"partition_by": m.conversation_id, "order_by": m.id}
    numbered = (sa.select(m.conversation_id.label("conversation_id"), m.frustration_score.label("score"),
                          _rank(m.frustration_level).label("rank"),
                          sa.func.lag(m.id).over(**in_order).label("before"),
                          sa.func.lead(m.id).over(**in_order).label("after"))
                .where(*scored_customer_messages(m), m.conversation_id.between(*s.conversation_ids)).subquery())
    first, last = numbered.c.before.is_(None), numbered.c.after.is_(None)
    per = (sa.select(numbered.c.conversation_id.label("conversation_id"),
                     sa.func.max(sa.case((first, numbered.c.score))).label("start"),
                     sa.func.max(numbered.c.score).label("peak"),
                     sa.func.max(sa.case((last, numbered.c.score))).label("end"),
                     sa.func.max(sa.case((first, numbered.c.rank))).label("start_rank"),
                     sa.func.max(numbered.c.rank).label("peak_rank"),
                     sa.func.max(sa.case((last, numbered.c.rank))).label("end_rank"))
           .group_by(numbered.c.conversation_id).subquery())
    day = day_of(c.created_at)
    columns = [day, sa.func.count(), sa.func.sum(per.c.start), sa.func.sum(per.c.peak), sa.func.sum(per.c.end),
               count_if(per.c.end < per.c.peak)]
    for rank in range(len(LEVELS)):
        columns += [count_if(per.c.start_rank == rank), count_if(per.c.peak_rank == rank),
                    count_if(per.c.end_rank == rank)]
    rows = db.session.execute(sa.select(*columns).select_from(per).join(c, c.id == per.c.conversation_id)
                              .where(*conversation_scope(s)).group_by(day)).all()
    days = {d: MoodDay() for d in s.f.days()}
    for d, n, start, peak, end, below, *levels in rows:
        mood = MoodDay(n, float(start or 0), float(peak or 0), float(end or 0), below)
        for i, level in enumerate(LEVELS):
            for j, moment in enumerate(MOMENTS):
                mood.levels[moment][level] = levels[3 * i + j]
        days[as_day(d)] = mood
    return days
