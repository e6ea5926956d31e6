"""Open event streams at scale: one box (gunicorn, 2 workers) with N live chats, each followed
by its customer's open stream, N = 50, 200 and 1,000; the agent replies in every chat (paced at
REPLIES_PER_SECOND, through POST /api/agent/tickets/<n>/messages, the live chat's own path:
store, publish, commit, Redis or database wake-up) and each reply's delivery is timed from its
POST being sent to its event arriving on the customer's stream.

Two servers at each N: the gevent worker (the Procfile's: a stream is a greenlet, the cap is
three quarters of --worker-connections 2000) and, as the baseline, the gthread worker it
replaced (--threads 32: at most 24 streams a worker; past that the client is refused with 503
and polls every 2 s, as the widget does). The client holds every stream on one asyncio loop
(tests/streams_load.py), on the same 2 cores as the server.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from pathlib import Path

from tests.stack import running_portal
from tests.streams_load import Stream, StreamHolder, agent_headers, request, seed_live_chats

LEVELS = (50, 200, 1000)
REPLIES_PER_SECOND = 50  # the agents' replies across all chats: 1,000 chats take 20 s
POST_TIMEOUT = 30.0
SERVERS = {
    "gevent": {"worker_class": "gevent", "worker_connections": 2000},
    "gthread": {"worker_class": "gthread", "threads": 32},  # the Procfile's before issue 17
}


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    return round(total / 1024, 1)


async def _reply_everywhere(holder: StreamHolder, chats: list[dict], agent: dict) -> dict[str, tuple]:
    """One reply in every chat, paced; per ticket: (HTTP status or error, sent at, answered at)."""
    sends: dict[str, tuple] = {}

    async def reply(i: int, chat: dict):
        await asyncio.sleep(i / REPLIES_PER_SECOND)
        body = json.dumps({"text": f"Agent reply {chat['ticket']}"}).encode()
        t0 = time.perf_counter()
        try:
            status, _ = await asyncio.wait_for(request(holder.host, holder.port, "POST",
                                                       f"/api/agent/tickets/{chat['ticket']}/messages", agent, body),
                                               POST_TIMEOUT)
        except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError) as exc:
            status = exc.__class__.__name__
        sends[chat["ticket"]] = (status, t0, time.perf_counter())

    await asyncio.gather(*(reply(i, chat) for i, chat in enumerate(chats)))
    return sends


def run_level(n: int, server: str, latency_stats, log, database_url: str | None) -> dict:
    use_redis = bool(os.environ.get("REDIS_URL"))
    with running_portal(workers=2, use_redis=use_redis, database_url=database_url, SSE_STREAM_SECONDS=300,
                        CHAT_RATE_LIMIT="100000 per minute", **SERVERS[server]) as portal:
        started = time.perf_counter()
        chats = seed_live_chats(portal.env, n)
        seeded_s = time.perf_counter() - started
        streams = [Stream(f"/api/chat/conversations/{chat['conversation']}/events",
                          f"calmline_visitor={chat['visitor']}") for chat in chats]
        with StreamHolder(portal.url, streams) as holder:
            started = time.perf_counter()
            held = holder.wait_open(timeout=120)
            open_s = time.perf_counter() - started
            time.sleep(1.0)
            rss_before = _rss_mb(portal.worker_pids())
            log(f"streams: {server}, {n} chats, {held} streams held, {sum(s.polling for s in streams)} polling")
            sends = holder.run(_reply_everywhere(holder, chats, agent_headers(portal.url)), timeout=600)
            wanted = [(s, chat["ticket"]) for s, chat in zip(streams, chats, strict=True)
                      if sends[chat["ticket"]][0] == 201]
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not all(f"Agent reply {t}" in s.arrived for s, t in wanted):
                time.sleep(0.1)
            rss_after = _rss_mb(portal.worker_pids())
            held_at_end = sum(s.open for s in streams)
        delivery = [(s.arrived[f"Agent reply {t}"] - sends[t][1]) * 1000 for s, t in wanted
                    if f"Agent reply {t}" in s.arrived]
        posts = [(end - t0) * 1000 for status, t0, end in sends.values() if status == 201]
        failed = [str(status) for status, _, _ in sends.values() if status != 201]
        return {
            "server": server, "chats": n, "gunicorn": portal_command(server),
            "delivery_by": "redis pub/sub" if use_redis else "database polling",
            "database": "postgresql" if (database_url or "").startswith("postgres") else "sqlite",
            "seed_s": round(seeded_s, 1), "streams_open_s": round(open_s, 1),
            "streams_held": held, "streams_held_at_end": held_at_end,
            "streams_refused_polling": sum(s.polling for s in streams),
            "refusals": sum(status != 200 for s in streams for status in s.statuses),
            "stream_errors": sum(s.errors for s in streams),
            "replies_acknowledged": len(wanted), "reply_errors": len(failed),
            "reply_error_examples": sorted(set(failed))[:5],
            "replies_not_delivered": len(wanted) - len(delivery),
            "delivery": latency_stats(delivery) if delivery else None,
            "post_agent": latency_stats(posts) if posts else None,
            "workers_rss_mb_held": rss_before, "workers_rss_mb_after": rss_after,
        }


def portal_command(server: str) -> str:
    options = SERVERS[server]
    if server == "gevent":
        return f"2 workers, gevent, --worker-connections {options['worker_connections']}"
    return f"2 workers, gthread, --threads {options['threads']}"


def bench_streams(latency_stats, log, levels=LEVELS, database_url: str | None = None) -> dict:
    result: dict = {"levels": list(levels), "replies_per_second": REPLIES_PER_SECOND, "runs": []}
    for n in levels:
        for server in SERVERS:
            result["runs"].append(run_level(n, server, latency_stats, log, database_url))
    gevent = [r for r in result["runs"] if r["server"] == "gevent"]
    result["gevent_held_every_stream"] = all(r["streams_held"] == r["chats"] for r in gevent)
    result["most_streams_held_gevent"] = max((r["streams_held"] for r in gevent), default=0)
    return result


def summary_lines(s: dict) -> list[str]:
    if "error" in s:
        return [f"Open streams: ERROR {s['error'][:500]}"]
    lines = [f"Open streams: one box, N live chats each followed by its customer's stream; the agent replies "
             f"in each ({s['replies_per_second']}/s)"]
    for r in s["runs"]:
        d = r["delivery"] or {}
        lines.append(f"  {r['server']:<7} N={r['chats']:<5} held {r['streams_held']:>4} (polling "
                     f"{r['streams_refused_polling']:>4})  delivery p50 {d.get('p50_ms', 0):>7.0f} ms  p95 "
                     f"{d.get('p95_ms', 0):>7.0f} ms  not delivered {r['replies_not_delivered']}, reply errors "
                     f"{r['reply_errors']}, workers RSS {r['workers_rss_mb_after']:.0f} MB")
    return lines
