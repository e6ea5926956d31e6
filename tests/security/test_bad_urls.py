"""Bad input in the URL, on every route of ``app.url_map``: huge ids in the path, huge page
numbers and cursors in the query (and ``Last-Event-ID``), and script tags in every text segment
and query value. Each gets a clear answer (404 for an id that is no row, a page, or 400),
never a server error; a refused post changes nothing; a page that repeats what was sent
holds nothing that runs.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.security.calling import marked, prepare, refused_cleanly
from tests.security.html_safety import inspect_page
from tests.security.routes import routes
from tests.security.world import path_for

HUGE = (2**31, 2**63, 10**20)  # past PostgreSQL's integer, past a 64-bit integer, past both
NUMBERED = ("number",)  # text arguments that carry a number: ticket numbers (T-123456)
SCRIPT = "<script>alert(1)</script>"
QUERY_KEYS = ("q", "page", "after", "sort", "status", "team", "channel", "from", "to", "type", "category", "action",
              "assignee", "next", "limit", "quote")
STREAMS = {"/api/agent/queue/events", "/api/agent/tickets/<number>/events",
           "/api/chat/conversations/<public_id>/events"}

WITH_IDS = [r for r in routes() if r.int_arguments or set(r.arguments) & set(NUMBERED)]
GETS = [r for r in routes() if r.method == "GET"]
WITH_TEXT = [r for r in GETS if set(r.arguments) - set(r.int_arguments)]


@pytest.mark.parametrize("route", marked(WITH_IDS))
def test_a_huge_id_is_no_row(world, route):
    call = prepare(world, route)
    problems = []
    for name in [*route.int_arguments, *(a for a in route.arguments if a in NUMBERED)]:
        for huge in HUGE:
            value = huge if name in route.int_arguments else f"T-{huge}"
            path = path_for(route, call.targets, **{name: value})
            response, changed = call.watched(path=path, **call.payload())
            if response.status_code not in (400, 404):
                problems.append(f"{name}={value}: {response.status_code}")
            problems += [f"{name}={value}: {p}" for p in refused_cleanly(response.status_code, changed)]
    assert problems == []


@pytest.mark.parametrize("route", marked(GETS))
def test_a_huge_page_number_or_cursor_is_answered(world, route):
    call = prepare(world, route)
    problems = []
    for huge in HUGE:
        response = call.send(path=f"{call.path}?page={huge}&after={huge}", headers={"Last-Event-ID": str(huge)})
        if response.status_code >= 500:
            problems.append(f"page/after/Last-Event-ID {huge}: {response.status_code}")
    assert problems == []


@pytest.mark.parametrize("route", marked(GETS))
def test_script_in_the_query_is_shown_as_text(world, route):
    call = prepare(world, route)
    query = "&".join(f"{key}={quote(SCRIPT)}" for key in QUERY_KEYS)
    response = call.send(path=f"{call.path}?{query}")
    assert response.status_code < 500
    if response.mimetype == "text/html":
        page = inspect_page(response.get_data(as_text=True))
        assert page.problems == []
        assert SCRIPT not in response.get_data(as_text=True)


@pytest.mark.parametrize("route", marked(WITH_TEXT))
def test_script_in_a_path_segment_is_not_found_and_not_run(world, route):
    call = prepare(world, route)
    for name in set(route.arguments) - set(route.int_arguments):
        response = call.send(path=path_for(route, call.targets, **{name: quote(SCRIPT, safe="")}))
        assert response.status_code in (400, 404), f"{name}: {response.status_code}"
        if response.mimetype == "text/html":
            assert inspect_page(response.get_data(as_text=True)).problems == []
            assert SCRIPT not in response.get_data(as_text=True)
