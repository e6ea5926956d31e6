"""Agent availability (issue 16): available, away, offline, chosen in the console and stored
per agent. Only available agents with an open console count for what a customer is told at
handoff; supervisors and admins count only with the agent role and after choosing available."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.auth.models import User
from portal.clock import utcnow
from portal.extensions import db
from portal.handoff.availability import agents_available
from portal.tickets.models import AgentPresence, Ticket
from tests.factories import make_user
from tests.portal.test_chat import send
from tests.portal.test_live_agents import desk_with_agents, signed_in, stand_in_rasa

NOBODY = "nobody can pick this up straight away"


@pytest.fixture
def rasa():
    fake = stand_in_rasa()
    yield fake
    fake.close()


@pytest.fixture
def desk(make_app, rasa):
    app = desk_with_agents(make_app, rasa)
    with app.app_context():
        make_user("ada@example.com", roles=["agent", "supervisor"], name="Ada Both")
        make_user("root@example.com", roles=["admin"], name="Root Admin")
        db.session.commit()
    return app


def told(app) -> str:
    """What a visitor handed off (angry, billing) is told by the system."""
    data = send(app.test_client(), "This is RIDICULOUS!!! I was charged twice. Fix it NOW").get_json()
    assert data["status"] == "handoff"
    return " ".join(r["text"] for r in data["replies"] if r["sender"] == "system")


def available(app, team: str | None = "billing") -> int:
    with app.app_context():
        team_id = db.session.scalar(sa.text("select id from teams where slug = :s"), {"s": team}) if team else None
        return agents_available(team_id)


def choose(client, status):
    return client.post("/api/agent/availability", json={"status": status}, headers=client.csrf)


def test_an_agent_with_the_console_open_is_available_until_they_choose_away_or_offline(desk):
    assert NOBODY in told(desk)  # nobody's console is open
    alex = signed_in(desk, "alex@example.com")
    queue = alex.get("/api/agent/queue").get_json()  # the console checks in
    assert queue["availability"] == "available" and queue["agents_available"] == 1
    assert available(desk) == 1 and NOBODY not in told(desk)

    answer = choose(alex, "away")
    assert answer.status_code == 200 and answer.get_json() == {"availability": "away", "agents_available": 0}
    assert available(desk) == 0 and NOBODY in told(desk)
    assert alex.get("/api/agent/queue").get_json()["availability"] == "away"  # stored, not reset by the console

    choose(alex, "offline")
    assert available(desk) == 0 and NOBODY in told(desk)
    assert choose(alex, "available").get_json()["agents_available"] == 1
    assert NOBODY not in told(desk)


def test_a_closed_console_is_offline_whatever_was_chosen(desk):
    alex = signed_in(desk, "alex@example.com")
    choose(alex, "available")
    with desk.app_context():
        row = db.session.get(AgentPresence, db.session.scalar(sa.select(User.id).where(User.email == "alex@example.com")))
        row.last_seen_at = utcnow() - timedelta(minutes=10)
        db.session.commit()
    assert available(desk) == 0 and NOBODY in told(desk)
    blair = signed_in(desk, "blair@example.com")
    people = {p["name"]: p["availability"] for p in blair.get("/api/agent/people").get_json()["people"]}
    assert people["Alex Agent"] == "offline"


def test_supervisors_and_admins_count_only_with_the_agent_role_and_when_they_choose_available(desk):
    sam, root, ada = (signed_in(desk, e) for e in ("sam@example.com", "root@example.com", "ada@example.com"))
    for client in (sam, root, ada):
        assert client.get("/api/agent/queue").get_json()["availability"] == "offline"  # the default for them
    assert available(desk) == 0
    assert choose(sam, "available").status_code == 200 and choose(root, "available").status_code == 200
    assert available(desk) == 0  # no agent role: never promised to a customer
    assert choose(ada, "available").get_json()["agents_available"] == 1  # agent and supervisor, and said so
    assert available(desk) == 1 and NOBODY not in told(desk)


def test_an_available_agent_of_another_team_is_not_promised(desk):
    toni = signed_in(desk, "toni@example.com")  # technical
    toni.get("/api/agent/queue")
    assert available(desk, "technical") == 1 and available(desk, "billing") == 0
    assert available(desk, None) == 1
    assert NOBODY in told(desk)  # the handoff is billing's


@pytest.mark.parametrize("body", [{"status": "busy"}, {"status": 1}, {"status": None}, {}, ["available"],
                                  {"status": "available" * 100}])
def test_a_bad_status_is_a_clear_400_and_changes_nothing(desk, body):
    alex = signed_in(desk, "alex@example.com")
    choose(alex, "away")
    answer = alex.post("/api/agent/availability", json=body, headers=alex.csrf)
    assert answer.status_code == 400
    assert "available, away or offline" in answer.get_data(as_text=True) or "JSON object" in answer.get_data(as_text=True)
    assert alex.get("/api/agent/queue").get_json()["availability"] == "away"


def test_customers_cannot_set_or_read_availability(desk):
    with desk.app_context():
        make_user("casey@example.com", name="Casey Customer")
        db.session.commit()
    casey = signed_in(desk, "casey@example.com")
    assert choose(casey, "available").status_code == 403
    assert casey.get("/api/agent/people").status_code == 403
    anonymous = desk.test_client()
    assert anonymous.post("/api/agent/availability", json={"status": "away"}).status_code in (400, 401, 403)


def test_the_people_to_transfer_to_have_names_and_availability_available_first(desk):
    alex, blair = signed_in(desk, "alex@example.com"), signed_in(desk, "blair@example.com")
    blair.get("/api/agent/queue")
    choose(alex, "away")
    people = blair.get("/api/agent/people").get_json()["people"]
    names = [p["name"] for p in people]
    assert "Root Admin" not in names and "Casey" not in " ".join(names)  # admins alone take no tickets
    by_name = {p["name"]: p for p in people}
    assert by_name["Blair Agent"]["me"] is True and by_name["Blair Agent"]["availability"] == "available"
    assert by_name["Alex Agent"]["availability"] == "away" and by_name["Toni Tech"]["availability"] == "offline"
    assert by_name["Alex Agent"]["teams"] == ["billing"]
    order = [p["availability"] for p in people]
    assert order == sorted(order, key=["available", "away", "offline"].index)


def test_transfer_to_a_person_is_still_checked_by_the_server(desk):
    send(desk.test_client(), "This is RIDICULOUS!!! I was charged twice. Fix it NOW")
    with desk.app_context():
        number = db.session.scalar(sa.select(Ticket.number))
        toni_id = db.session.scalar(sa.select(User.id).where(User.email == "toni@example.com"))
        root_id = db.session.scalar(sa.select(User.id).where(User.email == "root@example.com"))
    alex = signed_in(desk, "alex@example.com")
    assert alex.post(f"/api/agent/tickets/{number}/claim", headers=alex.csrf).status_code == 200
    for bad in (root_id, 10**9, "Toni Tech", True):
        refused = alex.post(f"/api/agent/tickets/{number}/transfer", json={"agent": bad}, headers=alex.csrf)
        assert refused.status_code == 400, bad
    moved = alex.post(f"/api/agent/tickets/{number}/transfer", json={"agent": toni_id}, headers=alex.csrf)
    assert moved.status_code == 200 and moved.get_json()["assignee"] == "Toni"
