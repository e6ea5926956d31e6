"""Live chat delivery: customer -> agent and agent -> customer latency with many chats at once.

Each chat has a customer and an agent, each following their side by Server-Sent Events
(as the widget and the console do); every chat exchanges a message a second, alternating
customer and agent, which is a busy desk (people type far slower); the chats start spread
over the first second. A message's latency is from the POST being sent to its event arriving
on the other side's stream; the POST round trip is reported too. After the rounds, one burst:
every customer sends in the same instant, the worst case. The portal runs under gunicorn with 2
gthread workers (Redis pub/sub wakes the streams when REDIS_URL is set, database polling
otherwise). A message is lost if it was acknowledged (201) but never arrived.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time

import requests

from tests.stack import running_portal

AGENT = ("agent@example.com", "calm-agent-2026")
POLL_SECONDS = 2.0  # as the widget and the console poll when a stream is refused


def _csrf(html: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


class Reader(threading.Thread):
    """Follows one SSE stream, reconnecting with Last-Event-ID; records when each text arrived."""

    def __init__(self, session: requests.Session, url: str):
        super().__init__(daemon=True)
        self.session, self.url = session, url
        self.arrived: dict[str, float] = {}
        self.last_id = 0
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.polling = False

    def run(self):
        while not self.stop.is_set():
            if self.polling:
                self._poll()
                continue
            try:
                with self.session.get(self.url, stream=True, timeout=(5, 90),
                                      headers={"Accept": "text/event-stream", "Last-Event-ID": str(self.last_id)}) as r:
                    self.ready.set()
                    if r.status_code == 503:  # the worker's stream slots are taken: poll, as the widget does
                        self.polling = True
                        continue
                    for line in r.iter_lines(decode_unicode=True):
                        if self.stop.is_set():
                            return
                        if line.startswith("id: "):
                            self.last_id = int(line[4:])
                        elif line.startswith("data: "):
                            event = json.loads(line[6:])
                            text = (event.get("data") or {}).get("text")
                            if event.get("kind") == "message" and text and text not in self.arrived:
                                self.arrived[text] = time.perf_counter()
            except (requests.RequestException, ValueError):
                time.sleep(0.2)

    def _poll(self):
        try:
            events = self.session.get(self.url, params={"after": self.last_id}, timeout=30).json()["events"]
        except (requests.RequestException, ValueError, KeyError):
            events = []
        now = time.perf_counter()
        for event in events:
            self.last_id = event["id"]
            text = (event.get("data") or {}).get("text")
            if event.get("kind") == "message" and text and text not in self.arrived:
                self.arrived[text] = now
        self.stop.wait(POLL_SECONDS)


def _session_like(base: requests.Session) -> requests.Session:
    s = requests.Session()
    s.cookies.update(base.cookies)
    return s


def _open_chats(url: str, count: int) -> tuple[requests.Session, str, list[dict]]:
    agent = requests.Session()
    form = agent.get(f"{url}/auth/login", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    agent.post(f"{url}/auth/login", data={"email": AGENT[0], "password": AGENT[1], "csrf_token": token},
               allow_redirects=False, timeout=10)
    agent_csrf = _csrf(agent.get(f"{url}/chat", timeout=10).text)
    chats = []
    for i in range(count):
        customer = requests.Session()
        csrf = _csrf(customer.get(f"{url}/chat", timeout=10).text)
        headers = {"X-CSRFToken": csrf}
        conv = customer.post(f"{url}/api/chat/messages", json={"text": f"Chat {i}: my order is late"},
                             headers=headers, timeout=30).json()["conversation_id"]
        number = customer.post(f"{url}/api/chat/conversations/{conv}/leave-message", json={}, headers=headers,
                               timeout=30).json()["ticket_number"]
        claimed = agent.post(f"{url}/api/agent/tickets/{number}/claim", headers={"X-CSRFToken": agent_csrf},
                             timeout=30)
        if claimed.status_code != 200:
            raise RuntimeError(f"claim answered {claimed.status_code}: {claimed.text[:200]}")
        chats.append({"customer": customer, "csrf": csrf, "conv": conv, "number": number})
    return agent, agent_csrf, chats


PAUSE_SECONDS = 1.0  # between messages in one chat: each chat exchanges a message a second


def run_level(chats_wanted: int, rounds: int, latency_stats, log, database_url: str | None = None,
              burst_round: bool = False) -> dict:
    threads = chats_wanted + 24  # each worker holds about half the streams (one thread each), give or take 16
    use_redis = bool(os.environ.get("REDIS_URL"))
    with running_portal(workers=2, threads=threads, worker_class="gthread", use_redis=use_redis, database_url=database_url,
                        SSE_STREAM_SECONDS=60, SSE_MAX_STREAMS=chats_wanted + 16,  # 8 threads always free for POSTs
                        # one agent follows every chat here (a real console holds one stream)
                        SSE_MAX_STREAMS_PER_CLIENT=chats_wanted + 16,
                        CHAT_RATE_LIMIT="100000 per minute") as portal:
        url = portal.url
        agent, agent_csrf, chats = _open_chats(url, chats_wanted)
        readers = []
        for chat in chats:
            chat["agent_reader"] = Reader(_session_like(agent), f"{url}/api/agent/tickets/{chat['number']}/events")
            chat["customer_reader"] = Reader(_session_like(chat["customer"]),
                                             f"{url}/api/chat/conversations/{chat['conv']}/events")
            readers += [chat["agent_reader"], chat["customer_reader"]]
        for r in readers:
            r.start()
        for r in readers:
            r.ready.wait(30)
        time.sleep(1.0)  # let every stream catch up with the chat's history
        log(f"live: {chats_wanted} chats, {len(readers)} streams open; {rounds} rounds each way")
        sent: list[tuple[str, str, float, dict]] = []  # (direction, text, t0, chat)
        answered: dict[str, list[float]] = {"customer_to_agent": [], "agent_to_customer": []}  # POST round trips
        errors: list[str] = []
        lock = threading.Lock()

        def converse(i: int, chat: dict):
            agent_http = _session_like(agent)
            # Chats start spread over the first second, as real ones do: all of them posting in the same
            # millisecond would measure a burst that no desk sees, not delivery.
            time.sleep(i * PAUSE_SECONDS / len(chats))
            for r in range(rounds):
                for direction in ("customer_to_agent", "agent_to_customer"):
                    text = f"{direction} {i}-{r}"
                    t0 = time.perf_counter()
                    try:
                        if direction == "customer_to_agent":
                            resp = chat["customer"].post(f"{url}/api/chat/messages", timeout=30,
                                                         json={"text": text, "conversation_id": chat["conv"]},
                                                         headers={"X-CSRFToken": chat["csrf"]})
                        else:
                            resp = agent_http.post(f"{url}/api/agent/tickets/{chat['number']}/messages", timeout=30,
                                                   json={"text": text}, headers={"X-CSRFToken": agent_csrf})
                    except requests.RequestException as exc:
                        with lock:
                            errors.append(f"{direction}: {exc.__class__.__name__}")
                        continue
                    if resp.status_code != 201:
                        with lock:
                            errors.append(f"{direction}: HTTP {resp.status_code}")
                        continue
                    with lock:
                        sent.append((direction, text, t0, chat))
                        answered[direction].append((time.perf_counter() - t0) * 1000)
                    time.sleep(PAUSE_SECONDS)

        workers = [threading.Thread(target=converse, args=(i, c)) for i, c in enumerate(chats)]
        started = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        elapsed = time.perf_counter() - started
        burst = _burst(url, chats, errors, lock) if burst_round else []
        time.sleep(3.0)  # stragglers
        for r in readers:
            r.stop.set()
        latencies = {"customer_to_agent": [], "agent_to_customer": []}
        lost = 0
        for direction, text, t0, chat in sent:
            reader = chat["agent_reader"] if direction == "customer_to_agent" else chat["customer_reader"]
            t1 = reader.arrived.get(text)
            if t1 is None:
                lost += 1
            else:
                latencies[direction].append((t1 - t0) * 1000)
        burst_ms = []
        for _direction, text, t0, chat in burst:
            t1 = chat["agent_reader"].arrived.get(text)
            if t1 is None:
                lost += 1
            else:
                burst_ms.append((t1 - t0) * 1000)
        both = latencies["customer_to_agent"] + latencies["agent_to_customer"]
        return {
            "chats": chats_wanted,
            "streams": len(readers),
            "gunicorn": f"2 workers x {threads} gthread threads",
            "delivery": "redis pub/sub" if use_redis else "database polling",
            "database": "postgresql" if (database_url or "").startswith("postgres") else "sqlite",
            "messages_acknowledged": len(sent) + len(burst),
            "messages_lost": lost,
            "send_errors": len(errors),
            "send_error_examples": sorted(set(errors))[:5],
            "streams_polling": sum(r.polling for r in readers),  # refused a stream slot, followed by polling
            "messages_per_second": round(len(sent) / elapsed, 1),
            "latency_all": latency_stats(both) if both else None,
            "latency_customer_to_agent": latency_stats(latencies["customer_to_agent"]) if both else None,
            "latency_agent_to_customer": latency_stats(latencies["agent_to_customer"]) if both else None,
            "post_customer": latency_stats(answered["customer_to_agent"]) if answered["customer_to_agent"] else None,
            "post_agent": latency_stats(answered["agent_to_customer"]) if answered["agent_to_customer"] else None,
            "burst_customer_to_agent": latency_stats(burst_ms) if burst_ms else None,
        }


def _burst(url: str, chats: list[dict], errors: list, lock: threading.Lock) -> list:
    """Every customer sends in the same instant (a worst case, not a desk's normal day): what the last
    one waits is the queue of everyone's requests on the server's CPUs."""
    barrier = threading.Barrier(len(chats))
    burst: list[tuple[str, str, float, dict]] = []

    def send(i: int, chat: dict):
        text = f"burst {i}"
        barrier.wait()
        t0 = time.perf_counter()
        try:
            resp = chat["customer"].post(f"{url}/api/chat/messages", timeout=30,
                                         json={"text": text, "conversation_id": chat["conv"]},
                                         headers={"X-CSRFToken": chat["csrf"]})
        except requests.RequestException as exc:
            with lock:
                errors.append(f"burst: {exc.__class__.__name__}")
            return
        with lock:
            if resp.status_code == 201:
                burst.append(("customer_to_agent", text, t0, chat))
            else:
                errors.append(f"burst: HTTP {resp.status_code}")

    threads = [threading.Thread(target=send, args=(i, c)) for i, c in enumerate(chats)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return burst


def bench_live(latency_stats, log, chats: int = 50, rounds: int = 10, ramp=(100, 150, 200),
               database_url: str | None = None) -> dict:
    main = run_level(chats, rounds, latency_stats, log, database_url=database_url, burst_round=True)
    result = {"main": main, "target_p95_ms": 300,
              "meets_target": bool(main["latency_all"]) and main["latency_all"]["p95_ms"] <= 300
              and main["messages_lost"] == 0, "ramp": []}
    held = chats if main["messages_lost"] == 0 and main["send_errors"] == 0 else 0
    for level in ramp:
        r = run_level(level, 4, latency_stats, log, database_url=database_url)
        result["ramp"].append({k: r[k] for k in ("chats", "messages_acknowledged", "messages_lost", "send_errors", "streams_polling")}
                              | {"p95_ms": r["latency_all"]["p95_ms"] if r["latency_all"] else None})
        if r["messages_lost"] or r["send_errors"]:
            break
        held = level
    result["most_concurrent_chats_with_no_loss"] = held
    return result
