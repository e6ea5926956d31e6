"""Chat benchmarks: a full chat turn through the portal with the real bot, the frustration
detector's speed, and the memory the Rasa server and action server hold.

A chat turn is what the widget does: POST /api/chat/messages to the portal (gunicorn),
which stores the message, scores it, forwards it to Rasa's REST channel; Rasa runs NLU
(with the frustration component), calls the action server (slot mappings on every turn,
article search through the portal's /api/search on how-to questions), and the portal stores
and returns the replies. Messages are calm questions, so the bot answers rather than
pausing for a person; one conversation per customer, several turns each.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import requests

TURNS = [
    "Hi there",
    "Where is my order BN-1048231?",
    "How do I reset my password?",
    "thanks",
    "How do I return an item?",
    "Can I change my delivery address?",
    "How do I cancel my Plus membership?",
    "My payment keeps failing at checkout",
]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (from /proc)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return round(total / 1024, 1)


class Customer:
    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()
        page = self.http.get(f"{base}/chat", timeout=30)
        self.csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)
        self.conversation_id = None

    def say(self, text: str) -> float:
        body = {"text": text, "page": "/chat"}
        if self.conversation_id:
            body["conversation_id"] = self.conversation_id
        start = time.perf_counter()
        response = self.http.post(f"{self.base}/api/chat/messages", json=body, timeout=60,
                                  headers={"X-CSRFToken": self.csrf, "Referer": f"{self.base}/chat"})
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 201:
            raise RuntimeError(f"chat turn answered {response.status_code}: {response.text[:300]}")
        data = response.json()
        if not data["assistant_available"]:
            raise RuntimeError("the assistant was unavailable during the benchmark")
        self.conversation_id = data["conversation_id"]
        return elapsed


def bench_chat_turns(conversations: int, latency_stats, log) -> dict:
    from tests.stack import running_stack

    with running_stack(workers=4) as stack:
        memory_idle = {"rasa_mb": rss_mb(stack.processes["rasa"].pid),
                       "action_server_mb": rss_mb(stack.processes["actions"].pid)}
        warm = Customer(stack.portal_url)
        for text in TURNS[:3]:
            warm.say(text)  # untimed: first NLU and search calls load lazily
        log(f"chat: {conversations} conversations x {len(TURNS)} turns through the portal and Rasa")
        timings: list[float] = []
        by_turn: dict[str, list[float]] = {}
        for _ in range(conversations):
            customer = Customer(stack.portal_url)
            for text in TURNS:
                ms = customer.say(text)
                timings.append(ms)
                by_turn.setdefault(text, []).append(ms)
        memory_after = {"rasa_mb": rss_mb(stack.processes["rasa"].pid),
                        "action_server_mb": rss_mb(stack.processes["actions"].pid)}
    stats = latency_stats(timings)
    return {
        "turns": len(timings),
        "conversations": conversations,
        "latency": stats,
        "target_p95_ms": 250,
        "meets_target": stats["p95_ms"] <= 250,
        "by_message_p50_ms": {text: latency_stats(ms)["p50_ms"] for text, ms in by_turn.items()},
        "memory_idle": memory_idle,
        "memory_after": memory_after,
    }


def bench_detector(messages: int = 5000) -> dict:
    """Speed, and quality on every test part beside a VADER-only baseline (evaluate.py)."""
    from bot.frustration import datasets
    from bot.frustration.evaluate import evaluate, measure_throughput

    texts = datasets.goemotions("test").texts + datasets.tweeteval("test").texts
    sample = texts[:messages]
    rate = measure_throughput(sample)
    quality = evaluate(speed=False)
    return {"messages": len(sample), "messages_per_second": round(rate), "target_per_second": 1000,
            "meets_target": rate >= 1000, "note": "one core, best of 3 passes over GoEmotions + TweetEval test texts",
            "quality": quality}
