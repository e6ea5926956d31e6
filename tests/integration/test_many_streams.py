"""Issue 17, part 4, under the real gunicorn with the gevent worker (as the Procfile runs it):
an open event stream costs a greenlet, not a thread, so one worker holds 300 of them while
/healthz and a chat message still answer at once, an agent's replies reach every stream, and
the streams hold no database connection while they wait."""

from __future__ import annotations

import asyncio
import json
import os
import re
import time

import pytest
import requests

from tests.stack import running_portal
from tests.streams_load import Stream, StreamHolder, agent_headers, request, seed_live_chats

pytestmark = pytest.mark.integration
CHATS, TABS = 100, 3  # 300 streams: each visitor follows their chat in three tabs (the per-client limit)
POOL = 4  # DATABASE_POOL_SIZE and DATABASE_MAX_OVERFLOW: 8 connections at most for 300 streams


def _database() -> str | None:
    """A PostgreSQL database of this test's own beside TEST_DATABASE_URL's, or None for SQLite."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return None
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    base, _, name = conninfo.rpartition("/")
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}_streams" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}_streams"')
    return f"{base}/{name}_streams"


def _pinned_transactions(url: str) -> int:
    """Connections sitting in an open transaction for over a second (a stream holding one)."""
    import psycopg

    name = url.rpartition("/")[2]
    with psycopg.connect(url.rpartition("/")[0] + "/postgres", autocommit=True, connect_timeout=10) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state = 'idle in transaction'"
                            " AND state_change < now() - interval '1 second'", (name,)).fetchone()[0]


def test_one_gevent_worker_holds_300_streams_and_still_answers():
    database = _database()
    use_redis = bool(os.environ.get("REDIS_URL"))
    with running_portal(workers=1, use_redis=use_redis, database_url=database, worker_class="gevent", SSE_STREAM_SECONDS=120,
                        DATABASE_POOL_SIZE=POOL, DATABASE_MAX_OVERFLOW=POOL) as portal:
        assert "event streams: at most 750 of 1000 connections" in (portal.tmp / "portal.log").read_text()
        chats = seed_live_chats(portal.env, CHATS)
        streams = [Stream(f"/api/chat/conversations/{chat['conversation']}/events",
                          f"calmline_visitor={chat['visitor']}", poll_when_refused=False)
                   for chat in chats for _ in range(TABS)]
        with StreamHolder(portal.url, streams) as holder:
            assert holder.wait_open(timeout=30) == CHATS * TABS, \
                f"statuses: {sorted({s for st in streams for s in st.statuses})}"

            started = time.monotonic()
            assert requests.get(f"{portal.url}/healthz", timeout=10).status_code == 200
            assert time.monotonic() - started < 8.0  # (a worker whose threads streams held: no answer in 10 s)
            http = requests.Session()
            page = http.get(f"{portal.url}/chat", timeout=10).text
            csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
            started = time.monotonic()
            sent = http.post(f"{portal.url}/api/chat/messages", json={"text": "Where is my parcel?"},
                             headers={"X-CSRFToken": csrf}, timeout=30)
            assert sent.status_code == 201, sent.text[:300]
            assert time.monotonic() - started < 15.0
            if database:  # 300 streams wait on no connection of their own, and pin no transaction
                assert _pinned_transactions(database) == 0

            agent = agent_headers(portal.url)

            async def reply_to_all():
                async def reply(chat):
                    body = json.dumps({"text": f"Agent here for {chat['ticket']}"}).encode()
                    return (await request(holder.host, holder.port, "POST",
                                          f"/api/agent/tickets/{chat['ticket']}/messages", agent, body))[0]
                return await asyncio.gather(*(reply(chat) for chat in chats))

            sent_at = time.perf_counter()
            assert holder.run(reply_to_all(), timeout=60) == [201] * CHATS
            expected = [(s, f"Agent here for {chat['ticket']}") for chat in chats
                        for s in streams if s.path.endswith(f"/{chat['conversation']}/events")]
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not all(text in s.arrived for s, text in expected):
                time.sleep(0.1)
            waited = [s.arrived.get(text) for s, text in expected]
            assert len(waited) == CHATS * TABS
            assert all(t is not None for t in waited), f"{sum(t is None for t in waited)} streams missed the reply"
            assert max(waited) - sent_at < 14.0
            assert all(s.statuses == [200] and s.errors == 0 for s in streams)  # nobody was cut off or refused
