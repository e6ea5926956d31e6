"""Issue 15, finding 12: the queue's live events showed an agent without a team every team's
ticket numbers. An agent hears the queue events of their teams' tickets and their own (a
transfer reaches the old team and the new); supervisors hear all."""

from __future__ import annotations

import pytest

from tests.portal.ticket_builders import as_user, handoff, page_token, person, ticket_app


@pytest.fixture
def desk(make_app):
    app = ticket_app(make_app, SSE_STREAM_SECONDS=0.2)
    with app.app_context():
        people = {
            "casey": person("casey@example.com", name="Casey Doe"),
            "ann": person("ann@example.com", ["agent"], "Ann Agent", teams=["billing"]),
            "tom": person("tom@example.com", ["agent"], "Tom Tech", teams=["technical"]),
            "nora": person("nora@example.com", ["agent"], "Nora Newstart"),  # no team yet
            "sue": person("sue@example.com", ["supervisor"], "Sue Super"),
        }
        app.ids = {name: user.id for name, user in people.items()}
        app.billing = handoff(customer=people["casey"], category="billing").number
    return app


def heard(client, after: int = 0) -> tuple[list[str], int]:
    """The ticket numbers in the queue events a client hears by polling, and the cursor."""
    answer = client.get(f"/api/agent/queue/events?after={after}").get_json()
    return [e["data"]["ticket"] for e in answer["events"] if e["kind"] == "queue"], answer["last_event_id"]


def test_an_agent_hears_only_their_teams_queue_events(desk):
    ann, tom, nora, sue = (as_user(desk, f"{n}@example.com") for n in ("ann", "tom", "nora", "sue"))
    assert heard(ann)[0] == [desk.billing] and heard(sue)[0] == [desk.billing]
    assert heard(tom)[0] == [] and heard(nora)[0] == []
    # Nothing was for Nora, yet her cursor moves past it: she does not read it again.
    assert heard(nora)[1] == heard(sue)[1] > 0


def test_events_name_no_teams_or_people_and_streams_skip_the_rest(desk):
    nora, sue = as_user(desk, "nora@example.com"), as_user(desk, "sue@example.com")
    [event] = sue.get("/api/agent/queue/events?after=0").get_json()["events"]
    assert set(event["data"]) == {"ticket", "change", "priority"}
    stream = nora.get("/api/agent/queue/events", headers={"Accept": "text/event-stream"}).get_data(as_text=True)
    assert desk.billing not in stream
    assert f"id: {heard(sue)[1]}\n\n" in stream  # the cursor, so a reconnect resumes past it


def test_a_transfer_reaches_the_old_team_and_the_new_and_an_assignment_its_person(desk):
    ann, tom, nora, sue = (as_user(desk, f"{n}@example.com") for n in ("ann", "tom", "nora", "sue"))
    cursor = heard(sue)[1]
    with desk.app_context():
        from portal.agent.services import ticket_for, transfer
        from portal.auth.models import User
        from portal.extensions import db

        sue_user = db.session.get(User, desk.ids["sue"])
        ticket_for(sue_user, desk.billing).assignee_id = desk.ids["sue"]
        db.session.commit()
        transfer(desk.billing, sue_user, team="technical")
    assert heard(ann, cursor)[0] == [desk.billing] == heard(tom, cursor)[0]  # it left Ann's queue, reached Tom's
    assert heard(nora, cursor)[0] == []

    cursor = heard(sue)[1]
    assigned = sue.post(f"/staff/tickets/{desk.billing}/assign",
                        data={"assignee": str(desk.ids["nora"]), "csrf_token": page_token(sue)})
    assert assigned.status_code == 303
    assert heard(nora, cursor)[0] == [desk.billing] and heard(ann, cursor)[0] == []
