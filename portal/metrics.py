"""Prometheus metrics (prometheus_client), defined here and counted where things happen (chat,
handoff, streams, search: this module imports nothing of the portal's, so any of them may use
it). Several gunicorn workers write their values to files in PROMETHEUS_MULTIPROC_DIR (set up
by gunicorn.conf.py before the workers start) and a scrape of any worker adds them up; without it (tests, `flask run`) they live in this process.

Labels stay few and bounded: the route rule, never the raw path; the method among the known
ones; the status class (2xx ... 5xx).
"""

from __future__ import annotations

import logging
import os
import time
from contextlib import contextmanager

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUEST_SECONDS = Histogram(
    "calmline_http_request_duration_seconds", "Time to answer a request, by route rule, method and status class.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
CHAT_TURNS = Counter("calmline_chat_turns", "Messages customers wrote in chat.")
HANDOFFS = Counter("calmline_handoffs", "Conversations handed off from the bot to people.")
RASA_FAILURES = Counter("calmline_rasa_failures", "Calls a Rasa server failed (unreachable, timeout, 5xx), by its "
                        "place in RASA_URL; the conversation's next server was asked.", ["server"])
OPEN_STREAMS = Gauge("calmline_event_streams_open", "Live event streams (SSE) open now.",
                     multiprocess_mode="livesum")
SEARCH_SECONDS = Histogram("calmline_search_duration_seconds", "Time the search engine took to answer a query.",
                           buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0))


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(route, method if method in METHODS else "other", f"{status // 100}xx").observe(seconds)


@contextmanager
def timed_search():
    started = time.perf_counter()
    try:
        yield
    finally:
        SEARCH_SECONDS.observe(time.perf_counter() - started)


class QueueCollector:
    """Tickets waiting for a person, counted in the database when Prometheus asks."""

    def __init__(self, count):
        self._count = count

    def collect(self):
        try:
            value = self._count()
        except Exception:  # the database is down: /readyz says so; the other metrics still answer
            log.warning("queue length not measured", exc_info=True)
            return
        yield GaugeMetricFamily("calmline_queue_waiting_tickets", "Handed-off tickets no agent has taken yet.",
                                value=value)


def exposition(count_waiting) -> tuple[bytes, str]:
    """Every worker's values (multiprocess mode) or this process's, and the queue measured now."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        from prometheus_client import REGISTRY

        body = generate_latest(REGISTRY)
    queue = CollectorRegistry()
    queue.register(QueueCollector(count_waiting))
    return body + generate_latest(queue), CONTENT_TYPE_LATEST
