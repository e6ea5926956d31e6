"""Operations: request ids and log lines, /metrics and who may read it, /readyz against /healthz."""

from __future__ import annotations

import json
import logging
import os

import pytest
from prometheus_client.parser import text_string_to_metric_families

from portal import create_app
from portal.chat.rasa_client import RasaClient
from portal.observability.requestlog import JSONFormatter, request_id_from
from tests.conftest import test_config
from tests.fake_rasa import FakeRasa
from tests.portal.test_chat import send

HANDOFF_REPLIES = [
    {"recipient_id": "x", "text": "I'm passing you to a person now."},
    {"recipient_id": "x", "custom": {"handoff": {"reason": "angry", "category": "billing", "ticket_number": None}}},
]


def samples(client, **kwargs) -> dict:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


# ---- request ids and the log line ----

@pytest.mark.parametrize("given", ["abc-123", "f" * 128, "req.42:edge_7"])
def test_a_sane_request_id_is_kept(given):
    assert request_id_from(given) == given


@pytest.mark.parametrize("hostile", [None, "", "a" * 129, "<script>alert(1)</script>", "id\nFAKE LOG LINE",
                                     "id with spaces", "-leading-dash", "ünïcode", "x\"}, {\"level\": \"ERROR"])
def test_a_missing_or_hostile_request_id_is_replaced(hostile):
    generated = request_id_from(hostile)
    assert generated != hostile and len(generated) == 32 and generated.isalnum()


def test_the_request_id_is_returned_and_on_the_log_line(client, caplog):
    caplog.set_level(logging.INFO, logger="calmline.request")
    given = client.get("/healthz", headers={"X-Request-ID": "edge-4711"})
    assert given.headers["X-Request-ID"] == "edge-4711"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id <x>"})
    assert generated.headers["X-Request-ID"] not in ("bad id <x>", "edge-4711")
    assert len(generated.headers["X-Request-ID"]) == 32
    ids = [r.request_id for r in caplog.records if r.name == "calmline.request"]
    assert ids == ["edge-4711", generated.headers["X-Request-ID"]]


def test_other_log_lines_of_the_request_carry_its_id(app, caplog):
    @app.route("/_test_logs")
    def noisy():
        logging.getLogger("portal.somewhere").warning("something happened")
        return "ok"

    caplog.set_level(logging.INFO)
    app.test_client().get("/_test_logs", headers={"X-Request-ID": "trace-99"})
    [record] = [r for r in caplog.records if r.name == "portal.somewhere"]
    assert JSONFormatter().format(record) and json.loads(JSONFormatter().format(record))["request_id"] == "trace-99"


def test_the_log_line_is_one_json_object_without_query_values_or_link_tokens(client, caplog):
    caplog.set_level(logging.INFO, logger="calmline.request")
    client.get("/search?q=my+password+is+hunter2&page=1", headers={"X-Request-ID": "search-1"})
    client.get("/tickets/link/SECRET-LINK-TOKEN-123")
    first, second = (JSONFormatter().format(r) for r in caplog.records if r.name == "calmline.request")
    assert "\n" not in first
    line = json.loads(first)
    assert {"time", "level", "message", "request_id", "method", "path", "route", "status", "duration_ms",
            "user_id", "remote_addr", "query_keys"} <= set(line)
    assert (line["request_id"], line["method"], line["path"], line["status"]) == ("search-1", "GET", "/search", 200)
    assert line["query_keys"] == ["page", "q"] and line["remote_addr"] == "127.0.0.1" and line["user_id"] is None
    assert isinstance(line["duration_ms"], float) and line["time"].endswith("+00:00")
    assert "hunter2" not in first
    assert "SECRET-LINK-TOKEN" not in second and json.loads(second)["path"] == "/tickets/link/<token>"


def test_the_log_line_names_the_signed_in_user(app, client, login, caplog):
    from tests.factories import PASSWORD, make_user

    with app.app_context():
        user_id = make_user(email="ops@example.com").id
    login("ops@example.com", PASSWORD)
    caplog.set_level(logging.INFO, logger="calmline.request")
    caplog.clear()
    client.get("/tickets")
    [record] = [r for r in caplog.records if r.name == "calmline.request"]
    assert record.user_id == user_id


def test_log_format_is_json_in_production_and_chosen_by_log_format(tmp_path):
    from portal.config import ConfigError, load_config

    production = {"CALMLINE_ENV": "production", "SECRET_KEY": "k" * 40, "PUBLIC_URL": "https://help.example.com"}
    assert load_config(tmp_path, production)["LOG_FORMAT"] == "json"
    assert load_config(tmp_path, {})["LOG_FORMAT"] == "text"
    assert load_config(tmp_path, {"LOG_FORMAT": "JSON"})["LOG_FORMAT"] == "json"
    with pytest.raises(ConfigError):
        load_config(tmp_path, {"LOG_FORMAT": "xml"})


# ---- who may read /metrics ----

def test_metrics_answer_loopback_when_no_token_is_set(client):
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


@pytest.mark.parametrize("environ, headers", [
    ({"REMOTE_ADDR": "203.0.113.9"}, {}),
    ({"REMOTE_ADDR": "10.0.0.5"}, {}),
    ({}, {"X-Forwarded-For": "203.0.113.9"}),  # a reverse proxy on this box connects from loopback
])
def test_metrics_are_hidden_from_other_addresses_without_a_token(client, environ, headers):
    response = client.get("/metrics", environ_base=environ, headers=headers)
    assert response.status_code == 404 and b"calmline_" not in response.data


def test_with_a_token_metrics_need_it_from_anywhere(make_app):
    client = make_app(METRICS_TOKEN="s3cret-metrics-token-for-tests").test_client()
    good = {"Authorization": "Bearer s3cret-metrics-token-for-tests"}
    assert client.get("/metrics", headers=good, environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 200
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret-metrics-token-for-tests"},
                    {"Authorization": "Bearer s3cret-metrics-token-for-tests-and-more"}):
        assert client.get("/metrics", headers=headers).status_code == 404  # loopback too
    assert client.post("/metrics", headers=good).status_code in (404, 405)


# ---- the values move ----

def test_a_chat_turn_a_handoff_and_a_search_move_the_metrics(make_app):
    fake = FakeRasa(replies=HANDOFF_REPLIES)
    try:
        app = make_app(CHAT_RATE_LIMIT="1000 per minute")
        app.extensions["rasa"] = RasaClient(fake.url, timeout=2)
        client = app.test_client()
        before = samples(client)
        assert value(before, "calmline_queue_waiting_tickets") == 0
        assert send(client, "I WANT A PERSON NOW").get_json()["status"] == "handoff"
        assert client.get("/api/search?q=refund").status_code == 200
        after = samples(client)
    finally:
        fake.close()
    assert value(after, "calmline_chat_turns_total") == value(before, "calmline_chat_turns_total") + 1
    assert value(after, "calmline_handoffs_total") == value(before, "calmline_handoffs_total") + 1
    assert value(after, "calmline_queue_waiting_tickets") == 1
    assert value(after, "calmline_search_duration_seconds_count") == value(
        before, "calmline_search_duration_seconds_count") + 1
    route = {"route": "/api/search", "method": "GET", "status": "2xx"}
    assert value(after, "calmline_http_request_duration_seconds_count", **route) == value(
        before, "calmline_http_request_duration_seconds_count", **route) + 1
    assert all(dict(labels).get("route") != "/api/search?q=refund" for _, labels in after)


def test_an_unknown_path_is_counted_under_one_label(client):
    client.get("/no/such/page/12345")
    found = samples(client)
    assert value(found, "calmline_http_request_duration_seconds_count",
                 route="<unmatched>", method="GET", status="4xx") >= 1
    assert not any("12345" in str(labels) for _, labels in found)


# ---- liveness and readiness ----

def test_healthz_is_liveness_and_readyz_checks_the_dependencies(make_app):
    client = make_app(REDIS_URL=None).test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    response = client.get("/readyz")
    data = response.get_json()
    assert response.status_code == 200 and data["status"] == "ready"
    assert data["database"] == {"ok": True} and data["search"]["ok"] is True
    assert "redis" not in data  # not configured
    assert data["rasa"]["required"] is False  # nothing listens for it in these tests: still ready


def test_readyz_fails_on_a_broken_search_index(app, client):
    class Broken:
        def status(self):
            raise OSError("disk /secret/path gone")

    real, app.extensions["search"] = app.extensions["search"], Broken()
    try:
        response = client.get("/readyz")
    finally:
        app.extensions["search"] = real
    assert response.status_code == 503
    assert response.get_json()["search"] == {"ok": False, "error": "OSError"}
    assert b"/secret/path" not in response.data


def test_readyz_names_an_unreachable_database_and_redis_without_their_addresses(database_url, tmp_path):
    down = create_app(test_config(
        database_url, tmp_path,
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://calmline:pw-never-shown@127.0.0.1:9/calmline?connect_timeout=2",
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        REDIS_URL="redis://:redis-pw-never-shown@127.0.0.1:9/0"))
    client = down.test_client()
    assert client.get("/healthz").status_code == 200  # alive: nothing to restart
    response = client.get("/readyz")
    assert response.status_code == 503
    data = response.get_json()
    assert data["status"] == "unready" and data["failed"] == ["database", "redis"]
    assert data["database"]["ok"] is False and data["redis"]["ok"] is False
    assert data["search"]["ok"] is True
    for secret in (b"pw-never-shown", b"127.0.0.1:9", b"calmline@", b"redis://"):
        assert secret not in response.data
    assert client.get("/metrics").status_code == 200  # the queue gauge is left out, the rest still answers
    down.extensions["search"].close()



def test_open_event_streams_are_counted_while_open(make_app):
    from tests.portal.test_stream_limits import Browser

    app = make_app(SSE_STREAM_SECONDS=30, SSE_MAX_STREAMS=10, SSE_MAX_STREAMS_PER_CLIENT=2)
    casey = Browser(app, "casey")
    scraper = app.test_client()
    before = value(samples(scraper), "calmline_event_streams_open")
    streams = [casey.open_stream() for _ in range(2)]
    assert [r.status_code for r in streams] == [200, 200]
    assert value(samples(scraper), "calmline_event_streams_open") == before + 2
    assert casey.get(headers={"Accept": "text/event-stream"}).status_code == 429  # refused: not counted
    assert value(samples(scraper), "calmline_event_streams_open") == before + 2
    for response in streams:
        casey.close(response)
    assert value(samples(scraper), "calmline_event_streams_open") == before


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the Redis that .ci/run provides (REDIS_URL)")
def test_readyz_checks_a_configured_redis_that_answers(make_app):
    data = make_app(REDIS_URL=os.environ["REDIS_URL"]).test_client().get("/readyz").get_json()
    assert data["status"] == "ready" and data["redis"] == {"ok": True}
