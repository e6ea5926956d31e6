"""Bad input in the body, on every state-changing route of ``app.url_map``: JSON nested
100,000 deep, bodies that are not a JSON object or not JSON at all, fields of the wrong type
or holding huge numbers, fields far too long, a body over the size limit; and watched-word
regexes that backtrack for ever. Each is sent by someone the matrices allow, with a valid
token: the answer is a clear 4xx (or the route ignores what it does not read), never a server
error, and a refusal changes nothing.
"""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from forum.models import WatchedWord
from portal.extensions import db
from tests.security.calling import marked, prepare, refused_cleanly
from tests.security.matrix import body_for
from tests.security.routes import routes
from tests.security.world import snapshot

STATE_CHANGING = [r for r in routes() if r.changes_state]
WITH_FIELDS = [r for r in STATE_CHANGING if any(body_for(r.method, r.rule))]
DEEP = {"list": "[" * 100_000 + "]" * 100_000, "object": '{"a":' * 100_000 + "1" + "}" * 100_000}
NOT_AN_OBJECT = ("[1]", '"text"', "5", "{", b"\xff\xfe{}")
WRONG_TYPES = ([1], {"a": 1}, None, True, 1.5)
HUGE_NUMBER = 10**30
LONG = 200_000  # characters: under the 1 MiB body limit, far over any field's


def _problems(call, label: str, **request) -> list[str]:
    response, changed = call.watched(**request)
    return [f"{label}: {p}" for p in refused_cleanly(response.status_code, changed)]


@pytest.mark.parametrize("route", marked(STATE_CHANGING))
def test_deeply_nested_json_is_refused(world, route):
    call = prepare(world, route)
    problems = []
    for shape, raw in DEEP.items():
        problems += _problems(call, f"{shape} nested 100,000 deep", data=raw, content_type="application/json")
    assert problems == []


@pytest.mark.parametrize("route", marked(STATE_CHANGING))
def test_a_body_that_is_not_a_json_object_is_refused(world, route):
    call = prepare(world, route)
    problems = []
    for raw in NOT_AN_OBJECT:
        problems += _problems(call, repr(raw), data=raw, content_type="application/json")
    assert problems == []


@pytest.mark.parametrize("route", marked(WITH_FIELDS))
def test_fields_of_the_wrong_type_are_refused(world, route):
    call = prepare(world, route)
    fields = call.body or call.form
    problems = []
    for name in fields:
        for wrong in WRONG_TYPES:
            problems += _problems(call, f"{name}={wrong!r}", json={**fields, name: wrong})
    assert problems == []


@pytest.mark.parametrize("route", marked(WITH_FIELDS))
def test_huge_numbers_in_fields_are_refused(world, route):
    call = prepare(world, route)
    problems = []
    for name in call.body or call.form:
        if call.body:
            problems += _problems(call, f"{name}={HUGE_NUMBER}", json={**call.body, name: HUGE_NUMBER})
        else:
            problems += _problems(call, f"{name}={HUGE_NUMBER}", data={**call.form, name: str(HUGE_NUMBER)})
    assert problems == []


@pytest.mark.parametrize("route", marked(WITH_FIELDS))
def test_oversized_fields_are_refused_and_never_stored(world, route):
    call = prepare(world, route)
    problems = []
    for name in call.body or call.form:
        long = {**(call.body or call.form), name: "x" * LONG}
        sent = {"json": long} if call.body else {"data": long}
        problems += _problems(call, f"{name} of {LONG:,} characters", **sent)
    with world.app.app_context():
        stored = [table for table, rows in snapshot().items() if any("x" * 10_000 in row for row in rows)]
    assert (problems, stored) == ([], [])


@pytest.mark.parametrize("route", marked(STATE_CHANGING))
def test_a_body_over_the_limit_is_refused(world, route):
    call = prepare(world, route)
    too_big = b"x" * (world.app.config["MAX_CONTENT_LENGTH"] + 1)
    for content_type in ("application/x-www-form-urlencoded", "application/json"):
        response, changed = call.watched(data=too_big, content_type=content_type)
        assert (content_type, 400 <= response.status_code < 500, changed) == (content_type, True, [])


# ---------------------------------------------------------------------- watched words
# pattern -> how many a's before a "!" make Python's backtracking engine take 12 s or more to
# give up (each a about doubles it); a linear-time engine takes microseconds, and a refusal is as good. The
# bound leaves a loaded CI box room for a stall of a few seconds and still catches backtracking.
HOSTILE = {r"(a+)+$": 27, r"(a|a)+$": 26, r"(\w+)+$": 27, r"(.*a){12}$": 29}
PLAIN = "The parcel came late, but it came."
SLOWER_BY_AT_MOST = 5.0  # seconds


@pytest.mark.parametrize("pattern", HOSTILE)
def test_a_hostile_watched_regex_is_refused_or_cannot_stall_a_post(world, pattern):
    moderator, customer = world.callers["moderator"], world.callers["customer"]
    with world.app.app_context():
        before = snapshot()
    added = moderator.client.post("/moderation/words", data={"pattern": pattern, "is_regex": "y", "action": "hold",
                                                             "csrf_token": moderator.token})
    if 400 <= added.status_code < 500:  # refused: that is a fix too
        with world.app.app_context():
            assert snapshot() == before
        return
    assert added.status_code == 303
    thread = world.aim()["thread_id"]

    def reply_taking(text: str) -> float:
        started = time.perf_counter()
        response = customer.client.post(f"/forum/t/{thread}/reply", data={"body": text, "csrf_token": customer.token})
        assert response.status_code in (303, 422), response.status_code
        return time.perf_counter() - started

    try:
        plain, bait = reply_taking(PLAIN), reply_taking("a" * HOSTILE[pattern] + "!")
    finally:
        with world.app.app_context():
            db.session.execute(sa.delete(WatchedWord).where(WatchedWord.pattern == pattern))
            db.session.commit()
    assert bait - plain < SLOWER_BY_AT_MOST, f"the bait took {bait:.2f} s, plain text {plain:.2f} s"
