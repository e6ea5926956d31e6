"""How the customer felt: the frustration of each conversation's first, peakiest and last
scored customer message (the detector's score from 0 to 1 and its level), and how far it
came down from the peak by the end.

One query: per conversation its first and last scored message ids, its peak score and peak
level (grouped over the messages, on ix_chat_messages_conversation_id_sender_id), then per
day the sums and level counts. Averages are those sums over the counts, so a total over the
range is exactly the sum of its days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from portal.conversations.models import Conversation, Message
from portal.extensions import db
from portal.insight.filters import Filters
from portal.insight.scope import LEVELS, conversation_scope, count_if
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


def mood_days(f: Filters, team: int | None) -> dict[date, MoodDay]:
    m = Message
    c = Conversation
    per = (sa.select(m.conversation_id.label("conversation_id"), sa.func.min(m.id).label("first_id"),
                     sa.func.max(m.id).label("last_id"), sa.func.max(m.frustration_score).label("peak"),
                     sa.func.max(_rank(m.frustration_level)).label("peak_rank"))
           .join(c, c.id == m.conversation_id)
           .where(m.sender == "customer", m.frustration_score.isnot(None), *conversation_scope(f, team))
           .group_by(m.conversation_id).subquery())
    first, last = aliased(Message), aliased(Message)
    day = day_of(c.created_at)
    columns = [day, sa.func.count(), sa.func.sum(first.frustration_score), sa.func.sum(per.c.peak),
               sa.func.sum(last.frustration_score), count_if(last.frustration_score < per.c.peak)]
    for rank, level in enumerate(LEVELS):
        columns += [count_if(first.frustration_level == level), count_if(per.c.peak_rank == rank),
                    count_if(last.frustration_level == level)]
    rows = db.session.execute(
        sa.select(*columns).select_from(per)
        .join(c, c.id == per.c.conversation_id)
        .join(first, first.id == per.c.first_id)
        .join(last, last.id == per.c.last_id)
        .group_by(day)
    ).all()
    days = {d: MoodDay() for d in f.days()}
    for d, n, start, peak, end, below, *levels in rows:
        mood = MoodDay(n, float(start or 0), float(peak or 0), float(end or 0), below)
        for i, level in enumerate(LEVELS):
            for j, moment in enumerate(MOMENTS):
                mood.levels[moment][level] = levels[3 * i + j]
        days[as_day(d)] = mood
    return days
