"""Issue 15, findings 5 and 6: numbers and JSON from a request never reach the database or the
parser out of range. Every route is found from the app's url_map, so a new route is covered
the day it is added."""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import IntegerConverter

from portal.inputs import MAX_ID, MAX_JSON_DEPTH, IdConverter, json_depth
from tests.portal.ticket_builders import handoff, page_token, person, sign_in, ticket_app

HUGE = 10**25  # past SQLite's 2**63 and PostgreSQL's 2**31
SERVICE = "input-guard-service-token"
ALL_ROLES = ["agent", "moderator", "editor", "supervisor", "admin"]


@pytest.fixture
def world(make_app):
    """An app and a client signed in with every staff role, so no permission check answers first."""
    app = ticket_app(make_app, BOT_SERVICE_TOKEN=SERVICE)
    with app.app_context():
        boss = person("root@example.com", ALL_ROLES, "Rita Root", teams=["billing"])
        ticket = handoff(customer=boss, category="billing", conv_status="live", assignee=boss)
        values = {"number": ticket.number, "public_id": ticket.conversation.public_id}
    client = sign_in(app.test_client(), "root@example.com")
    return app, client, page_token(client), values


def fill(rule, values: dict, number: int | str) -> str:
    """The rule's path with every int argument set to `number` and the others to something real."""
    path = rule.rule
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            value = str(number)
        elif name in values:
            value = values[name]
        elif "any" in type(converter).__name__.lower():
            value = re.search(rf"<any\((\w+)[^>]*:{name}>", path).group(1)
        else:
            value = "x"
        path = re.sub(rf"<[^>]*:?{name}>", value, path)
    return path


def id_rules(app):
    return [r for r in app.url_map.iter_rules()
            if any(isinstance(c, IntegerConverter) for c in r._converters.values())]


def test_every_int_converter_is_the_bounded_one(world):
    app = world[0]
    rules = id_rules(app)
    assert len(rules) >= 30  # forum, moderation, drafts, canned responses, coaching, training ...
    converters = [c for r in rules for c in r._converters.values() if isinstance(c, IntegerConverter)]
    assert all(isinstance(c, IdConverter) and c.max <= MAX_ID for c in converters)


@pytest.mark.parametrize("number", [HUGE, MAX_ID + 1, "9" * 5000], ids=["1e25", "max+1", "5000 digits"])
def test_a_huge_id_in_any_url_is_a_404(world, number):
    app, client, token, values = world
    answers = {}
    for rule in id_rules(app):
        path = fill(rule, values, number)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method, data={"csrf_token": token}, headers={"X-CSRFToken": token})
            answers[f"{method} {rule.rule}"] = response.status_code
    assert {k: v for k, v in answers.items() if v != 404} == {}


def test_the_largest_id_is_looked_up_and_not_found(world):
    app, client, _, values = world
    for rule in id_rules(app):
        if "GET" in rule.methods:
            assert client.get(fill(rule, values, MAX_ID)).status_code == 404, rule.rule


LISTS = ["/forum", "/forum/c/{category}", "/notifications", "/staff/tickets", "/moderation", "/moderation/log",
         "/kb/category/{kb_category}", "/search?q=refund", "/api/search?q=refund"]


@pytest.mark.parametrize("name", ["page", "pending_page"])
def test_a_huge_page_number_is_a_400_and_a_bad_one_is_page_one(world, name):
    app, client, _, _ = world
    with app.app_context():
        from forum.models import ForumCategory
        from portal.extensions import db
        from portal.kb.models import Category

        db.session.add_all([ForumCategory(slug="orders", name="Orders", description="Orders."),
                            Category(slug="billing", name="Billing")])
        db.session.commit()
    for template in LISTS:
        path = template.format(category="orders", kb_category="billing")
        glue = "&" if "?" in path else "?"
        if name == "pending_page" and path != "/moderation":
            continue
        for huge in (str(HUGE), "9" * 5000, str(MAX_ID + 1)):
            response = client.get(f"{path}{glue}{name}={huge}")
            assert response.status_code == 400, (path, huge)
            assert "page number from 1 to" in response.get_data(as_text=True) or path.startswith("/api/"), path
        if not path.startswith("/api/"):
            assert client.get(f"{path}{glue}{name}=abc").status_code == 200, path  # as before: page 1


@pytest.mark.parametrize("where", ["query", "header"])
def test_a_huge_event_cursor_is_a_400(world, where):
    _, client, _, values = world
    for path in ("/api/agent/queue/events", f"/api/agent/tickets/{values['number']}/events",
                 f"/api/chat/conversations/{values['public_id']}/events"):
        for value in (str(HUGE), "9" * 5000, "-1"):
            response = (client.get(f"{path}?after={value}") if where == "query"
                        else client.get(path, headers={"Last-Event-ID": value}))
            assert response.status_code == 400, (path, value)
            assert "'after' must be a whole number" in response.get_json()["error"]["message"]


def test_ids_in_query_strings_and_json_bodies_are_refused_out_of_range(world):
    app, client, token, values = world
    transfer = client.post(f"/api/agent/tickets/{values['number']}/transfer", json={"agent": 10**30},
                           headers={"X-CSRFToken": token})
    assert transfer.status_code == 400 and "'agent' must be an active agent's id." in transfer.get_data(as_text=True)
    for limit in (str(HUGE), "9" * 5000):
        assert client.get(f"/api/search/suggest?q=refund&limit={limit}").status_code == 400
        assert client.get(f"/api/forum/suggest?q=refund&limit={limit}").status_code == 400
    rated = client.post("/api/bot/satisfaction", json={"conversation_id": values["public_id"], "rating": "9" * 5000},
                        headers={"Authorization": f"Bearer {SERVICE}"})
    assert rated.status_code == 400
    with app.app_context():
        from forum.models import ForumCategory, Thread
        from portal.extensions import db

        cat = ForumCategory(slug="orders", name="Orders", description="Orders.")
        db.session.add(cat)
        db.session.flush()
        thread = Thread(category_id=cat.id, title="A thread", slug="a-thread")
        db.session.add(thread)
        db.session.commit()
        thread_id = thread.id
    assert client.get(f"/forum/t/{thread_id}/reply?quote={HUGE}").status_code == 400


# ---- JSON depth ------------------------------------------------------------------------------

def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_depth_counts_brackets_outside_strings():
    assert json_depth(b'{"a": [1, {"b": []}]}') == 4
    assert json_depth(b'{"text": "[[[[[[ not nesting ]]", "x": "say \\"[[[\\""}') == 1
    assert json_depth(nested(MAX_JSON_DEPTH).encode()) == MAX_JSON_DEPTH
    assert json_depth(nested(100_000).encode()) == MAX_JSON_DEPTH + 1  # it stops counting past the limit
    assert json_depth(b"") == 0


def json_post_rules(app):
    return [r for r in app.url_map.iter_rules() if "POST" in r.methods and r.rule.startswith("/api/")]


@pytest.mark.parametrize("depth", [100_000, MAX_JSON_DEPTH + 1])
def test_deep_json_is_a_400_on_every_json_post_route(world, depth):
    """Every POST under /api/ takes JSON. Those that read a body refuse a deep one with 400 before
    parsing it; those that read none answer as usual; none answers 500."""
    app, client, token, values = world
    body = '{"text": ' + nested(depth) + "}"
    answers, refused = {}, set()
    headers = {"X-CSRFToken": token, "Authorization": f"Bearer {SERVICE}"}
    for rule in json_post_rules(app):
        response = client.post(fill(rule, values, 1), data=body, content_type="application/json", headers=headers)
        answers[rule.rule] = response.status_code
        if response.status_code == 400 and "nested more than" in response.get_json()["error"]["message"]:
            refused.add(rule.rule)
    assert {rule: status for rule, status in answers.items() if status >= 500} == {}
    readers = {"/api/chat/messages", "/api/chat/conversations/<public_id>/leave-message",
               "/api/agent/tickets/<number>/messages", "/api/agent/tickets/<number>/notes",
               "/api/agent/tickets/<number>/transfer", "/api/bot/handoffs", "/api/bot/satisfaction",
               "/api/forum/deflections", "/api/agent/availability"}
    assert readers <= refused


def test_json_within_the_depth_limit_is_read_as_before(world):
    _, client, token, values = world
    note = client.post(f"/api/agent/tickets/{values['number']}/notes", json={"text": "Fine.", "x": [[[[[[1]]]]]]},
                       headers={"X-CSRFToken": token})
    assert note.status_code == 201


def test_a_json_body_fills_a_form_only_with_text_and_whole_numbers():
    from portal.forms import form_fields_from_json

    fields = form_fields_from_json({"reason": "spam", "thread": 12, "note": [1], "x": {"a": 1}, "y": None,
                                    "flag": True, "ratio": 1.5})
    assert fields.to_dict() == {"reason": "spam", "thread": "12"}
    assert form_fields_from_json([1]) is None and form_fields_from_json("text") is None
