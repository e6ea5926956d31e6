"""Every route has a rule of who may reach it, and the rules hold.

``test_every_route_has_a_rule`` reads ``app.url_map``: a route that is in none of the three
matrices (tests/security/matrix.py says which) fails the build until someone writes down who may
call it. The routes the live-agent and forum matrices leave out are tried here by every role:
the answer must be the rule's, and a refused call, whatever its method, changes nothing.
"""

from __future__ import annotations

import pytest

from tests.security.matrix import ENDPOINTS, KINDS, SIGNS_OUT, expected, fill, rules, sample_path
from tests.security.routes import routes, rule_of
from tests.security.world import LOGIN, ROLES, SERVICE_TOKEN, Callers, changed_tables, snapshot

BOT_HEADERS = {"no_token": {}, "wrong_token": {"Authorization": "Bearer not-the-token"},
               "right_token": {"Authorization": f"Bearer {SERVICE_TOKEN}"}}


def test_every_route_has_a_rule():
    served = {(r.method, r.rule) for r in routes()}
    missing = sorted(f"{m} {r}" for m, r in served - set(rules()))
    assert missing == [], "no rule says who may call these routes: add them to a matrix (tests/security/matrix.py)"
    stale = sorted(f"{m} {r}" for m, r in set(rules()) - served)
    assert stale == [], "these matrix rows are for routes that no longer exist"


def test_every_row_names_its_rule_and_kind():
    assert {e.kind for e in ENDPOINTS} <= set(KINDS)
    assert [str(e) for e in ENDPOINTS if rule_of(e.method, sample_path(e.path)) != e.rule] == []


def prepare(endpoint, values, target: str) -> dict:
    """The request, with its targets made (before the database is read for comparison)."""
    request = {"path": fill(endpoint.path, values),
               "headers": dict(BOT_HEADERS[target]) if endpoint.kind == "bot" else {}}
    if endpoint.form is not None:
        request["data"] = {key: fill(value, values) for key, value in endpoint.form.items()}
    elif endpoint.method != "GET":
        request["json"] = {key: fill(value, values) if isinstance(value, str) else value
                           for key, value in (endpoint.body or {}).items()}
    return request


def send(caller, method: str, request: dict):
    if method == "GET":
        return caller.client.get(request["path"], headers=request["headers"])
    if "data" in request:
        return caller.client.post(request["path"], data={**request["data"], "csrf_token": caller.token},
                                  headers=request["headers"])
    return caller.client.post(request["path"], json=request["json"],
                              headers={"X-CSRFToken": caller.token, **request["headers"]})


def outcome(response) -> int | str:
    if response.status_code == 302 and "/auth/login" in response.headers.get("Location", ""):
        return LOGIN
    return response.status_code


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_every_role_against_the_other_routes(world, endpoint):
    callers = Callers(world.app) if endpoint.path in SIGNS_OUT else world.callers
    outcomes, wanted = {}, {}
    for role in ROLES:
        for target in endpoint.targets:
            request = prepare(endpoint, world.aim(), target)
            caller = callers[role]
            with world.app.app_context():
                before = snapshot()
            got = outcome(send(caller, endpoint.method, request))
            want = expected(endpoint, role, target)
            outcomes[role, target], wanted[role, target] = got, want
            with world.app.app_context():
                after = snapshot()
            if want != endpoint.ok:
                changed = changed_tables(before, after)
                assert changed == [], f"{role} on {target}: a refused call ({got}) changed {changed}"
            elif endpoint.changes:
                assert after != before, f"{role} on {target}: the allowed call changed nothing"
    assert outcomes == wanted
