"""Forged cross-site posts: every state-changing route of ``app.url_map``, called by someone the
matrices allow (tests/security/matrix.py) but without their session's CSRF token (none, a made-up
one, another session's; as a form and as JSON), answers 400 and changes nothing in any table.
The same call with the session's own token is not refused for CSRF, so the token was the reason.

``EXEMPT`` lists the routes that take no CSRF token, each with why; they must refuse a session
that lacks what they check instead. A route exempted without being listed here fails.
"""

from __future__ import annotations

import pytest

from tests.security.matrix import SIGNS_OUT, body_for, caller_for, fill
from tests.security.routes import routes
from tests.security.world import Callers, changed_tables, path_for, snapshot

CSRF_REFUSAL = "expired or was not sent from this site"
BOT_TOKEN_ONLY = "the bot's action server: a bearer BOT_SERVICE_TOKEN on every call, never a cookie (portal/botapi)"
EXEMPT = {
    ("POST", "/api/bot/handoffs"): BOT_TOKEN_ONLY,
    ("POST", "/api/bot/satisfaction"): BOT_TOKEN_ONLY,
}
FORGERIES = ("missing", "made_up", "another_sessions")
MADE_UP = "IjVhYjg0ZTE2In0.ZzZzZw.not-a-real-signature"
STATE_CHANGING = [r for r in routes() if r.changes_state]


def filled(fields: dict | None, values) -> dict:
    return {k: fill(v, values) if isinstance(v, str) else v for k, v in (fields or {}).items()}


def forge(client, path: str, form: dict, body: dict, shape: str, token: str | None):
    if shape == "form":
        return client.post(path, data={**form, **({"csrf_token": token} if token else {})})
    return client.post(path, json=body, headers={"X-CSRFToken": token} if token else {})


def test_there_are_state_changing_routes_to_check():
    assert len(STATE_CHANGING) >= 50 and all(r.method == "POST" for r in STATE_CHANGING)
    assert set(EXEMPT) <= {(r.method, r.rule) for r in STATE_CHANGING}


@pytest.mark.parametrize("route", STATE_CHANGING, ids=str)
def test_a_forged_post_is_refused_and_changes_nothing(world, route):
    values = world.aim()
    path = path_for(route, values)
    form, body = body_for(route.method, route.rule)
    form, body = filled(form, values), filled(body, values)
    if (route.method, route.rule) in EXEMPT:  # a signed-in browser without the bot's token
        caller = world.callers["admin"]
        for shape in ("form", "json"):
            with world.app.app_context():
                before = snapshot()
            response = forge(caller.client, path, form, body, shape, caller.token)
            assert response.status_code == 401, f"{shape}: {response.status_code}"
            with world.app.app_context():
                assert changed_tables(before, snapshot()) == []
        return
    role = caller_for(route.method, route.rule)
    callers = Callers(world.app) if route.rule in SIGNS_OUT else world.callers
    caller = callers[role]
    other = Callers(world.app)["anonymous"].token
    assert other != caller.token
    for forgery in FORGERIES:
        token = {"missing": None, "made_up": MADE_UP, "another_sessions": other}[forgery]
        for shape in ("form", "json"):
            with world.app.app_context():
                before = snapshot()
            response = forge(caller.client, path, form, body, shape, token)
            text = response.get_data(as_text=True)
            assert (response.status_code, CSRF_REFUSAL in text) == (400, True), f"{role}, {forgery} token, {shape}"
            with world.app.app_context():
                assert changed_tables(before, snapshot()) == [], f"{role}, {forgery} token, {shape}"
    # With the session's own token the call is not refused for CSRF: the token was what was wrong.
    response = forge(caller.client, path, form, body, "json" if body else "form", caller.token)
    assert CSRF_REFUSAL not in response.get_data(as_text=True), f"{role} with the right token: {response.status_code}"
