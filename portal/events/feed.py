"""Writing and reading events (see portal/events/__init__.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event as sa_event

from portal.conversations.models import ChatEvent, customer_view
from portal.events.wakeups import channel_for
from portal.extensions import db

MAX_BATCH = 200


def publish(conversation_id: int | None, kind: str, data: dict, audience: str = "all") -> ChatEvent:
    """Add an event to the current transaction; streams are woken after it commits."""
    row = ChatEvent(conversation_id=conversation_id, kind=kind, data=data, audience=audience)
    db.session.add(row)
    db.session.info.setdefault("live_wake", set()).add(channel_for(conversation_id))
    return row


_hook_installed = False


def install_commit_hook() -> None:
    """Once per process: after any commit, wake the channels its events were published on."""
    global _hook_installed
    if _hook_installed:
        return
    _hook_installed = True

    @sa_event.listens_for(sa.orm.Session, "after_commit")
    def _wake(session):
        channels = session.info.pop("live_wake", None)
        if not channels or not has_app_context():
            return
        notifier = current_app.extensions.get("event_wakeups")
        if notifier is not None:
            for channel in channels:
                notifier.wake(channel)

    @sa_event.listens_for(sa.orm.Session, "after_rollback")
    def _forget(session):
        session.info.pop("live_wake", None)


@dataclass(frozen=True)
class QueueScope:
    """The queue events one agent hears: those naming one of their teams or them (see
    tickets.services.queue_changed). Supervisors have none: they hear every queue event."""

    team_ids: frozenset[int]
    user_id: int

    def hears(self, data: dict) -> bool:
        return bool(self.team_ids.intersection(data.get("teams") or ())) or self.user_id in (data.get("people") or ())


SCOPE_KEYS = ("teams", "people")  # whom a queue event is for: read here, never sent


def _for_reader(row: ChatEvent, staff: bool) -> dict:
    """What the reader is sent: no queue event's scope to anyone, and no message's scoring
    (frustration, intent) to the customer."""
    out = row.to_dict()
    if row.conversation_id is None:
        out["data"] = {k: v for k, v in out["data"].items() if k not in SCOPE_KEYS}
    elif not staff and row.kind == "message":
        out["data"] = customer_view(out["data"])
    return out


class Batch(NamedTuple):
    rows: list[dict]  # the events this reader may see
    cursor: int  # the last event id read, seen or not: a reader moves past queue events not for them
    full: bool  # the limit was reached: more may be waiting


def events_after(conversation_ids: list[int | None], after: int, staff: bool, limit: int = MAX_BATCH,
                 scope: QueueScope | None = None) -> Batch:
    """The events after `after` that this reader may see, as dicts, with the cursor.

    The rows are read out before the commit: touching a row after it would reopen a
    transaction (its attributes are expired), and a stream would then sit "idle in
    transaction" on a pooled connection while it waits."""
    conditions = []
    ids = [c for c in conversation_ids if c is not None]
    if ids:
        conditions.append(ChatEvent.conversation_id.in_(ids))
    if None in conversation_ids:
        conditions.append(ChatEvent.conversation_id.is_(None))
    query = sa.select(ChatEvent).where(ChatEvent.id > after, sa.or_(*conditions)).order_by(ChatEvent.id).limit(limit)
    if not staff:
        query = query.where(ChatEvent.audience == "all")
    read = list(db.session.scalars(query))
    cursor = read[-1].id if read else after
    rows = [_for_reader(row, staff) for row in read
            if scope is None or row.conversation_id is not None or scope.hears(row.data or {})]
    db.session.commit()  # end the read transaction: a long stream must not pin a snapshot or a connection
    return Batch(rows, cursor, len(read) == limit)


def latest_event_id() -> int:
    value = db.session.scalar(sa.select(sa.func.max(ChatEvent.id))) or 0
    db.session.commit()
    return value


def sse_stream(conversation_ids: list[int | None], after: int, staff: bool,
               scope: QueueScope | None = None, on_tick: Callable[[], None] | None = None) -> Iterator[str]:
    """Server-Sent Events for these channels from `after`, for SSE_STREAM_SECONDS; the
    browser's EventSource reconnects with Last-Event-ID and we resume from there. `on_tick`
    runs every few seconds while the stream is open (the customer is still following)."""
    notifier = current_app.extensions["event_wakeups"]
    channels = [channel_for(c) for c in conversation_ids]
    deadline = time.monotonic() + current_app.config["SSE_STREAM_SECONDS"]
    last_ping = time.monotonic()
    yield "retry: 1000\n\n"
    while True:
        seen = {c: notifier.version(c) for c in channels}
        batch = events_after(conversation_ids, after, staff, scope=scope)
        for row in batch.rows:
            yield f"id: {row['id']}\nevent: {row['kind']}\ndata: {json.dumps(row, separators=(',', ':'))}\n\n"
        if batch.cursor != (batch.rows[-1]["id"] if batch.rows else after):
            yield f"id: {batch.cursor}\n\n"  # past events not for this reader: a reconnect resumes after them
        after = batch.cursor
        if on_tick is not None:
            on_tick()
        if batch.full:
            continue  # more are waiting; otherwise `seen` tells wait() whether anything came since the query
        now = time.monotonic()
        if now >= deadline:
            return
        if now - last_ping > 10:
            last_ping = now
            yield ": ping\n\n"
        notifier.wait(channels, seen, timeout=min(5.0, deadline - now))
