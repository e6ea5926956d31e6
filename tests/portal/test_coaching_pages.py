"""The coaching pages: who may open which, what they show, and how bad input is answered."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from portal.auth.models import User
from portal.extensions import db
from tests.portal.coaching_builders import march_team
from tests.portal.ticket_builders import person, sign_in

MARCH = "from=2026-03-01&to=2026-03-31"
ROLES = {"customer": "casey@example.com", "agent": "ann@example.com", "moderator": "mo@example.com",
         "editor": "ed@example.com", "supervisor": "sue@example.com", "admin": "ada@example.com"}


@pytest.fixture
def site(make_app):
    app = make_app()
    with app.app_context():
        march_team()  # Ann, Bo, Cy, Di, Eve (agents), Mo (moderator), Sue (supervisor)
        person("casey@example.com", name="Casey Doe")
        person("ed@example.com", ["editor"], "Ed Editor")
        person("ada@example.com", ["admin"], "Ada Admin")
        ids = {u.email.split("@")[0]: u.id for u in db.session.scalars(sa.select(User))}
    return app, ids


def client_for(app, role: str):
    client = app.test_client()
    return sign_in(client, ROLES[role]) if role != "anonymous" else client


def status_of(response) -> int | str:
    if response.status_code == 302 and "/auth/login" in response.headers["Location"]:
        return "login"
    return response.status_code


# Who gets what: a supervisor or admin sees everyone; an agent only their own page.
EXPECTED = {
    "/coaching": {"anonymous": "login", "customer": 403, "agent": 200, "moderator": 403, "editor": 403,
                  "supervisor": 200, "admin": 200},
    "/supervisor/agents": {"anonymous": "login", "customer": 403, "agent": 403, "moderator": 403, "editor": 403,
                           "supervisor": 200, "admin": 200},
    "/supervisor/agents/{ann}": {"anonymous": "login", "customer": 403, "agent": 403, "moderator": 403,
                                 "editor": 403, "supervisor": 200, "admin": 200},
    "/supervisor/agents/{bo}": {"anonymous": "login", "customer": 403, "agent": 403, "moderator": 403,
                                "editor": 403, "supervisor": 200, "admin": 200},
}


@pytest.mark.parametrize("path", EXPECTED)
def test_every_role_against_every_coaching_page(site, path):
    app, ids = site
    url = path.format(**ids)
    got = {role: status_of(client_for(app, role).get(url)) for role in EXPECTED[path]}
    assert got == EXPECTED[path]


def test_an_anonymous_json_client_gets_401(site):
    app, _ = site
    response = app.test_client().get("/supervisor/agents", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["error"]["status"] == 401


def test_an_agent_sees_their_own_figures_and_no_one_elses(site):
    app, ids = site
    ann = client_for(app, "agent")
    html = ann.get(f"/coaching?{MARCH}").get_data(as_text=True)
    assert "Your de-escalation" in html and "Conversations: 20" in html
    assert re.search(r'data-figure="mood_change".*?\+0\.40.*?95% CI \+0\.30 to \+0\.50, n = 20', html, re.S)
    assert re.search(r'data-figure="reopened".*?10%.*?95% CI 3% to 30%, n = 20', html, re.S)
    assert re.search(r'data-figure="first_reply".*?60 s.*?n = 20', html, re.S)
    assert re.search(r'data-move="apologise".*?75%.*?95% CI 53% to 89%, n = 20', html, re.S)
    assert html.count("data-example") == 5 and "told them to calm down" in html
    assert 'data-testid="not-enough"' not in html and 'data-testid="rank"' not in html  # no ranks for agents
    for other in ("bo", "cy"):  # another agent's page, and the table, are refused
        assert ann.get(f"/supervisor/agents/{ids[other]}?{MARCH}").status_code == 403
    assert ann.get(f"/supervisor/agents?{MARCH}").status_code == 403


def test_an_agent_below_the_minimum_is_told_so(site):
    app, ids = site
    client = app.test_client()
    sign_in(client, "cy@example.com")
    html = client.get(f"/coaching?{MARCH}").get_data(as_text=True)
    assert "Not enough conversations yet: 5 of the 20" in html


def test_the_team_table_ranks_only_above_the_minimum(site):
    app, ids = site
    html = client_for(app, "supervisor").get(f"/supervisor/agents?{MARCH}").get_data(as_text=True)
    rows = re.findall(r'<tr data-agent="(\d+)">\s*<td data-rank>(.*?)</td>', html, re.S)
    by_id = {int(agent): re.sub(r"<[^>]+>", "", rank).strip() for agent, rank in rows}
    assert [int(a) for a, _ in rows] == [ids[k] for k in ("ann", "bo", "cy", "di", "eve")]
    assert by_id == {ids["ann"]: "1", ids["bo"]: "2", ids["cy"]: "not enough conversations yet",
                     ids["di"]: "not enough conversations yet", ids["eve"]: "not enough conversations yet"}
    assert f'href="/supervisor/agents/{ids["cy"]}?from=2026-03-01&amp;to=2026-03-31"' in html
    assert str(ids["mo"]) not in by_id and str(ids["sue"]) not in by_id


def test_a_supervisor_sees_an_agents_rank_or_why_there_is_none(site):
    app, ids = site
    sue = client_for(app, "supervisor")
    bo = sue.get(f"/supervisor/agents/{ids['bo']}?{MARCH}").get_data(as_text=True)
    assert "Coaching: Bo Agent" in bo and "Rank 2 of 2 ranked agents" in bo
    di = sue.get(f"/supervisor/agents/{ids['di']}?{MARCH}").get_data(as_text=True)
    assert "Not enough conversations yet: 19 of the 20" in di and "Di Agent is not ranked" in di
    assert "Rank " not in di


@pytest.mark.parametrize("who", ["casey", "mo", "ed", "nobody", "zero", "huge", "huger"])
def test_an_id_that_is_not_an_agent_is_404(site, who):
    app, ids = site
    odd = {"nobody": 999_999, "zero": 0, "huge": 2 ** 31, "huger": 10 ** 30}
    agent_id = odd[who] if who in odd else ids[who]
    assert client_for(app, "supervisor").get(f"/supervisor/agents/{agent_id}").status_code == 404
    assert client_for(app, "supervisor").get("/supervisor/agents/-1").status_code == 404
    assert client_for(app, "supervisor").get("/supervisor/agents/abc").status_code == 404


@pytest.mark.parametrize("query", ["from=2026-02-30", "to=31/03/2026", "from=2026-03-31&to=2026-03-01",
                                   "from=2000-01-01&to=2026-01-01", "from=0001-01-01", "to=99999-01-01"])
def test_bad_dates_are_400_with_the_reason(site, query):
    app, ids = site
    for path in ("/coaching", "/supervisor/agents", f"/supervisor/agents/{ids['ann']}"):
        response = client_for(app, "admin").get(f"{path}?{query}")
        assert response.status_code == 400, path
        assert re.search(r"YYYY-MM-DD|swap|at most|between", response.get_data(as_text=True))


def test_the_nav_links_each_role_to_its_coaching_page(site):
    app, _ = site
    links = {role: re.findall(r'<a href="([^"]+)">Coaching</a>', client_for(app, role).get("/").get_data(as_text=True))
             for role in ("anonymous", "customer", "agent", "moderator", "editor", "supervisor", "admin")}
    assert links == {"anonymous": [], "customer": [], "agent": ["/coaching"], "moderator": [], "editor": [],
                     "supervisor": ["/supervisor/agents"], "admin": ["/supervisor/agents"]}
