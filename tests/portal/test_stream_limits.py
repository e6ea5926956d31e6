"""Issue 15, finding 7: one visitor could open every event-stream slot of a worker. Streams are
capped per client and per worker, and the per-worker cap is fitted to gunicorn's threads at start
(the real gunicorn is in tests/integration/test_stream_limits.py)."""

from __future__ import annotations

import contextvars
import os
import uuid

import pytest

from portal.chat.services import start_conversation
from portal.config import ConfigError, load_config
from portal.events.streams import fit_streams_to_worker
from portal.extensions import db
from portal.visitor import COOKIE

SSE = {"Accept": "text/event-stream"}


class Browser:
    """A visitor whose cookie owns one conversation. Each request runs in its own context
    variables, as in its own thread in the server: an open stream keeps its request context
    pushed, and in one shared context the next request would run inside it."""

    def __init__(self, app, name: str):
        visitor = f"{name}-visitor-cookie-0123456789"
        with app.app_context():
            conv = start_conversation(None, visitor)
            db.session.commit()
            self.url = f"/api/chat/conversations/{conv.public_id}/events"
        self.client = app.test_client()
        self.client.set_cookie(COOKIE, visitor)
        self.contexts = {}

    def get(self, query: str = "", **kwargs):
        return contextvars.Context().run(self.client.get, self.url + query, **kwargs)

    def open_stream(self):
        context = contextvars.Context()
        response = context.run(self.client.get, self.url, headers=SSE, buffered=False)
        if response.status_code == 200:
            assert context.run(next, response.response).startswith(b"retry:")  # open and streaming
        self.contexts[id(response)] = context
        return response

    def close(self, response) -> None:
        self.contexts.pop(id(response)).run(response.close)


def test_a_fourth_stream_from_one_visitor_is_refused_and_another_visitor_still_gets_one(make_app):
    app = make_app(SSE_STREAM_SECONDS=30, SSE_MAX_STREAMS=10)
    mallory, casey = Browser(app, "mallory"), Browser(app, "casey")

    held = [mallory.open_stream() for _ in range(3)]
    assert [r.status_code for r in held] == [200, 200, 200]
    fourth = mallory.get(headers=SSE)
    assert fourth.status_code == 429 and fourth.headers["Retry-After"] == "5"
    assert "polling" in fourth.get_json()["error"]["message"]
    assert mallory.get("?after=0").status_code == 200  # polling still answers

    theirs = casey.open_stream()
    assert theirs.status_code == 200
    casey.close(theirs)

    mallory.close(held.pop(0))  # one of Mallory's tabs went away: that slot is hers again
    held.append(mallory.open_stream())
    assert held[-1].status_code == 200
    for response in held:
        mallory.close(response)
    assert app.extensions["event_stream_slots"].open == 0


def test_the_per_client_limit_is_configurable(make_app):
    app = make_app(SSE_STREAM_SECONDS=30, SSE_MAX_STREAMS=10, SSE_MAX_STREAMS_PER_CLIENT=1)
    robin = Browser(app, "robin")
    first = robin.open_stream()
    assert robin.get(headers=SSE).status_code == 429
    robin.close(first)


@pytest.mark.parametrize("threads, streams", [(32, 24), (8, 6), (4, 2), (2, 0), (1, 0)])
def test_unset_the_worker_limit_is_fitted_to_the_threads(threads, streams, tmp_path):
    config = load_config(tmp_path, {"SECRET_KEY": "k" * 40})
    assert config["SSE_MAX_STREAMS"] is None and config["SSE_MAX_STREAMS_PER_CLIENT"] == 3
    assert fit_streams_to_worker(config, threads) == streams == config["SSE_MAX_STREAMS"]


def test_a_worker_limit_that_takes_every_thread_refuses_to_start(tmp_path):
    config = load_config(tmp_path, {"SECRET_KEY": "k" * 40, "SSE_MAX_STREAMS": "32"})
    with pytest.raises(ConfigError, match="SSE_MAX_STREAMS=32 .* all 32"):
        fit_streams_to_worker(config, 32)
    config = load_config(tmp_path, {"SECRET_KEY": "k" * 40, "SSE_MAX_STREAMS": "20"})
    assert fit_streams_to_worker(config, 32) == 20



@pytest.mark.parametrize("connections, streams", [(2000, 1500), (1000, 750), (4, 2)])
def test_under_gevent_the_worker_limit_is_fitted_to_its_connections_not_its_threads(connections, streams, tmp_path):
    config = load_config(tmp_path, {"SECRET_KEY": "k" * 40})
    assert fit_streams_to_worker(config, 1, connections) == streams == config["SSE_MAX_STREAMS"]
    config = load_config(tmp_path, {"SECRET_KEY": "k" * 40, "SSE_MAX_STREAMS": str(connections)})
    with pytest.raises(ConfigError, match=f"all {connections} of a worker's connections"):
        fit_streams_to_worker(config, 1, connections)

@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the Redis that .ci/run provides (REDIS_URL)")
def test_with_redis_one_visitor_is_capped_across_workers(make_app):
    """Two workers (two apps on one database and one Redis): three streams in all, wherever they land."""
    first = make_app(SSE_STREAM_SECONDS=30, SSE_MAX_STREAMS=10, REDIS_URL=os.environ["REDIS_URL"])
    second = make_app(SSE_STREAM_SECONDS=30, SSE_MAX_STREAMS=10, REDIS_URL=os.environ["REDIS_URL"])
    name = f"mallory-{uuid.uuid4().hex[:8]}"
    on_first = Browser(first, name)
    on_second = Browser(second, name)  # the same visitor cookie, another worker
    held = [(on_first, on_first.open_stream()), (on_first, on_first.open_stream()), (on_second, on_second.open_stream())]
    assert [r.status_code for _, r in held] == [200, 200, 200]
    assert on_second.get(headers=SSE).status_code == 429
    assert first.extensions["event_stream_slots"].open == 2  # each worker alone is under its share
    browser, response = held.pop(0)
    browser.close(response)  # a tab on the first worker closed: the second may stream again
    held.append((on_second, on_second.open_stream()))
    assert held[-1][1].status_code == 200
    for browser, response in held:
        browser.close(response)
