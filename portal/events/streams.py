"""Answering a client that follows events: a Server-Sent Events stream, or one JSON batch."""

from functools import partial

from flask import Response, current_app, jsonify, request, stream_with_context
from flask_login import current_user

from portal.auth.permissions import sees_all, team_ids
from portal.config import ConfigError
from portal.errors import DomainError
from portal.events.feed import QueueScope, events_after, sse_stream
from portal.inputs import MAX_ID, parse_int
from portal.metrics import OPEN_STREAMS
from portal.visitor import current_owner

DEFAULT_MAX_STREAMS = 24  # outside gunicorn (flask run, tests), where threads are not counted


class StreamsBusy(DomainError):
    status = 503
    retry_after = 5


class TooManyStreams(DomainError):
    status = 429
    retry_after = 5


def last_event_id() -> int:
    """Where the client resumes: the EventSource's Last-Event-ID, or ?after= when polling."""
    raw = request.headers.get("Last-Event-ID") or request.args.get("after")
    return parse_int(raw, "after", 0, 0, MAX_ID)


def fit_streams_to_worker(config: dict, threads: int, connections: int | None = None) -> int:
    """At a gunicorn worker's start (gunicorn.conf.py). A gthread worker gives each stream one of
    its threads; a gevent worker (``connections``: its --worker-connections) a greenlet, so
    there the connections are what streams share with everything else (keep-alive clients,
    messages, pages, /healthz). Unset, SSE_MAX_STREAMS is those slots less a quarter (at least
    two): 24 of 32 threads, 1,500 of 2,000 connections; set to the slots or more, the worker
    refuses to start."""
    slots, what = (threads, "threads (gunicorn --threads)") if connections is None else \
        (connections, "connections (gunicorn --worker-connections)")
    wanted = config.get("SSE_MAX_STREAMS")
    if wanted is None:
        config["SSE_MAX_STREAMS"] = max(0, slots - max(2, slots // 4))
    elif wanted >= slots:
        raise ConfigError(f"SSE_MAX_STREAMS={wanted} would let event streams take all {slots} of a worker's "
                          f"{what}: set it below {slots}, or leave it unset.")
    return config["SSE_MAX_STREAMS"]


def stream_client() -> str:
    """Who a stream belongs to, for the per-client limit: the account, else the visitor cookie,
    else the address."""
    user_id, visitor = current_owner(create=False)
    if user_id is not None:
        return f"user:{user_id}"
    return f"visitor:{visitor}" if visitor else f"address:{request.remote_addr}"


def queue_scope(user) -> QueueScope | None:
    """Agents hear the queue events of their teams' tickets and their own; supervisors all."""
    return None if sees_all(user) else QueueScope(frozenset(team_ids(user)), user.id)


def event_response(conversation_ids: list, after: int, staff: bool, on_tick=None):
    """SSE when the client asks for text/event-stream; otherwise one JSON batch (polling).

    A stream holds one of the worker's threads (gthread) or one of its connections (gevent: a
    greenlet, no thread) for as long as it is open. One client keeps at most
    SSE_MAX_STREAMS_PER_CLIENT streams (429; on every worker and box together when Redis is
    set, else per worker) and the worker at most SSE_MAX_STREAMS (503): the widget and the
    console then follow by polling, and the threads or connections left keep answering messages. `on_tick` runs once for a poll and every few seconds while a
    stream is open."""
    scope = queue_scope(current_user) if staff else None
    if "text/event-stream" in request.headers.get("Accept", ""):
        config, slots, client = current_app.config, current_app.extensions["event_stream_slots"], stream_client()
        per_worker = config["SSE_MAX_STREAMS"]
        full, ticket = slots.take(client, DEFAULT_MAX_STREAMS if per_worker is None else per_worker,
                          config["SSE_MAX_STREAMS_PER_CLIENT"])
        if full == "client":
            raise TooManyStreams("You already follow as many live streams as one visitor may (one per open chat): "
                                 "follow this one by polling this address with ?after=<last event id>.")
        if full == "worker":
            raise StreamsBusy("Live streams are busy on this server: follow by polling "
                              "this address with ?after=<last event id>.")
        response = Response(stream_with_context(sse_stream(conversation_ids, after, staff, scope, on_tick)),
                            mimetype="text/event-stream",
                            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        response.call_on_close(partial(slots.give_back, client, ticket))  # every response is closed, finished or cut off
        OPEN_STREAMS.inc()
        response.call_on_close(OPEN_STREAMS.dec)
        return response
    if on_tick is not None:
        on_tick()
    batch = events_after(conversation_ids, after, staff, scope=scope)
    return jsonify({"events": batch.rows, "last_event_id": batch.cursor})
