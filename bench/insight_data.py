"""Half a year of help-desk history for the supervisor dashboard's bench, generated and bulk
loaded: COPY on PostgreSQL (psycopg), executemany on SQLite. Ids are assigned here, so no row
is read back; sequences are moved past them at the end.

Per conversation: 10 messages on average (4 to 16, in pairs that even out, so 100,000
conversations make exactly 1,000,000 messages), every other one the customer's with a
frustration score that wanders; 85% chat, 10% left a message, 5% from a forum thread; of
the chats 45% solved by the bot alone, 35% handed to a person, 20% left. A ticket has its
created, claimed, reply and status events as the portal writes them, some reopened; half the
resolved tickets and 30% of the bot's conversations are rated (on the conversation, with its path).
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

import sqlalchemy as sa

SPAN_DAYS = 180
LIVE_REASONS = ("requested_human", "angry", "frustrated_rising", "abuse", "bot_failing")
SLA_HOURS = {"urgent": 1.0, "high": 4.0, "normal": 24.0, "low": 72.0}
RESOLUTION_HOURS = {"urgent": 8.0, "high": 24.0, "normal": 72.0, "low": 168.0}
PRIORITY = {"angry": "urgent", "abuse": "urgent", "frustrated_rising": "high", "requested_human": "normal",
            "bot_failing": "normal", "left_message": "low", "forum_thread": "normal"}

COLUMNS = {
    "users": ("id", "email", "name", "password_hash", "active", "created_at"),
    "chat_conversations": ("id", "public_id", "user_id", "visitor_id", "status", "resolution", "channel",
                           "satisfaction_path", "satisfaction_rating", "created_at", "last_activity_at"),
    "chat_messages": ("id", "conversation_id", "sender", "text", "payload", "page", "entities", "frustration_score",
                      "frustration_level", "frustration_signals", "created_at"),
    "tickets": ("id", "number", "status", "priority", "reason", "category", "subject", "customer_id",
                "contact_email", "conversation_id", "briefing", "transcript", "sla_due_at", "team_id",
                "resolution_due_at", "first_responded_at", "resolved_at", "satisfaction_rating",
                "satisfaction_comment", "created_at", "updated_at"),
    "ticket_events": ("id", "ticket_id", "kind", "internal", "data", "created_at"),
}


def level(score: float) -> str:
    return "calm" if score < 0.25 else "annoyed" if score < 0.5 else "frustrated" if score < 0.75 else "angry"


class History:
    """Rows for every table, made in one pass over the conversations."""

    def __init__(self, conversations: int, now: datetime, teams: dict[str, int], seed: int = 14):
        self.rng = random.Random(seed)
        self.now, self.teams = now, teams
        self.customers = max(100, conversations // 20)
        self.rows: dict[str, list[tuple]] = {name: [] for name in COLUMNS}
        self.ids = {"message": 0, "ticket": 0, "event": 0}
        for i in range(1, self.customers + 1):
            self.rows["users"].append((i, f"customer{i}@bench.example", f"Customer {i}", "x", True, now))
        deltas = [self.rng.randint(0, 6) for _ in range((conversations + 1) // 2)]
        # Ids grow with time, as rows written in order get them.
        starts = sorted(now - timedelta(seconds=self.rng.uniform(3600, SPAN_DAYS * 86400))
                        for _ in range(conversations))
        for cid in range(1, conversations + 1):
            d = deltas[(cid - 1) // 2]
            self.conversation(cid, 10 + d if cid % 2 else 10 - d, starts[cid - 1])

    def conversation(self, cid: int, messages: int, created: datetime) -> None:
        rng = self.rng
        roll = rng.random()
        channel = "forum" if roll < 0.05 else "message" if roll < 0.15 else "chat"
        user = rng.randint(1, self.customers) if rng.random() < 0.7 or channel == "forum" else None
        path = channel if channel != "chat" else rng.choices(("bot", "person", "left"), (45, 35, 20))[0]
        score = rng.random() ** 2 * 0.6
        last = created
        for i in range(messages):
            self.ids["message"] += 1
            last = created + timedelta(seconds=30 * i)
            if i % 2 == 0:
                drift = 0.12 if path == "person" else -0.05
                score = min(1.0, max(0.0, score + rng.uniform(-0.15, 0.15) + drift * rng.random()))
                self.rows["chat_messages"].append((self.ids["message"], cid, "customer", "my order is late", "{}", "",
                                                   "[]", round(score, 4), level(score), "[]", last))
            else:
                self.rows["chat_messages"].append((self.ids["message"], cid, "bot", "Let me check that.", "{}", "",
                                                   "[]", None, None, "[]", last))
        resolution = {"bot": "self_service", "person": "agent"}.get(path, "")
        status = "resolved" if path == "bot" else "bot"
        rating = None
        if path in ("person", "message", "forum"):
            reason = {"message": "left_message", "forum": "forum_thread"}.get(path) or rng.choice(LIVE_REASONS)
            rating = self.ticket(cid, user, reason, last + timedelta(seconds=5))
        elif path == "bot" and rng.random() < 0.3:
            rating = rng.choices((1, 2, 3, 4, 5), (10, 8, 15, 30, 37))[0]
        rated = ("bot" if path == "bot" else "agent") if rating else None
        self.rows["chat_conversations"].append((cid, f"{cid:032x}", user, None if user else f"visitor-{cid}",
                                                status, resolution, channel, rated, rating, created, last))

    def ticket(self, cid: int, user: int | None, reason: str, created: datetime) -> int | None:
        """The ticket and its events; returns its rating (the conversation carries it too)."""
        rng, now = self.rng, self.now
        self.ids["ticket"] += 1
        tid = self.ids["ticket"]
        priority = PRIORITY[reason]
        team = rng.choice(tuple(self.teams))
        claimed = responded = resolved = None
        if rng.random() < 0.9:
            claimed = created + timedelta(seconds=rng.expovariate(1 / (6 * 3600 if reason == "left_message" else 600)))
            responded = claimed + timedelta(seconds=rng.uniform(5, 120))
            if rng.random() < 0.8:
                resolved = responded + timedelta(seconds=rng.expovariate(1 / (3 * 3600)))
        claimed, responded, resolved = (t if t is not None and t < now else None for t in (claimed, responded, resolved))
        reopened = resolved is not None and rng.random() < 0.08
        rating = rng.choices((1, 2, 3, 4, 5), (8, 7, 15, 30, 40))[0] if resolved and rng.random() < 0.5 else None
        self.rows["tickets"].append((
            tid, f"T-{tid:07d}", "resolved" if resolved else "open", priority, reason, team, "My order is late",
            user, "", cid, "{}", "[]", created + timedelta(hours=SLA_HOURS[priority]), self.teams[team],
            created + timedelta(hours=RESOLUTION_HOURS[priority]), responded, resolved, rating, "", created,
            resolved or created))
        events = [("created", created, {"reason": reason, "priority": priority, "team": team})]
        if claimed:
            events.append(("claimed", claimed, {"agent": "Alex"}))
        if responded:
            events.append(("reply", responded, {"text": "I'm on it."}))
        if reopened:
            back = resolved - timedelta(seconds=rng.uniform(60, 1800))
            events += [("status", back - timedelta(minutes=30), {"old": "open", "new": "resolved"}),
                       ("status", back, {"old": "resolved", "new": "open", "by": "customer_reply"})]
        if resolved:
            events.append(("status", resolved, {"old": "open", "new": "resolved"}))
        if rating:
            events.append(("rated", resolved + timedelta(seconds=30), {"rating": rating}))
        for kind, at, data in events:
            self.ids["event"] += 1
            self.rows["ticket_events"].append((self.ids["event"], tid, kind, False, json.dumps(data), at))
        return rating


def load(engine: sa.Engine, metadata: sa.MetaData, history: History) -> dict[str, int]:
    """Bulk-load every table; returns the rows written per table."""
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cur:
                for table, rows in history.rows.items():
                    with cur.copy(f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                for table in COLUMNS:
                    cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT max(id) FROM {table}))")
            raw.commit()
        finally:
            raw.close()
    else:
        meta = metadata
        with engine.begin() as conn:
            for table, rows in history.rows.items():
                columns = COLUMNS[table]
                json_columns = {c.name for c in meta.tables[table].columns if isinstance(c.type, sa.JSON)}
                for start in range(0, len(rows), 20000):
                    batch = [dict(zip(columns, row, strict=True)) for row in rows[start:start + 20000]]
                    for item in batch:
                        for name in json_columns & item.keys():
                            item[name] = json.loads(item[name])
                    conn.execute(meta.tables[table].insert(), batch)
    return {table: len(rows) for table, rows in history.rows.items()}
