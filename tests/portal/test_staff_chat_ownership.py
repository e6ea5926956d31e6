"""Issue 15, finding 11: the staff ticket page let an agent take a colleague's live chat
(assign it to themselves, then reply), which the console refuses. A live chat is its owner's:
only they, or a supervisor, pass it on or end it, from the page as from the console."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.portal.ticket_builders import (
    as_user,
    base_people,
    make_ticket,
    page_token,
    person,
    ticket_by_number,
    ticket_state,
)


@pytest.fixture
def people(desk):
    with desk.app_context():
        return SimpleNamespace(**base_people(), bea=person("bea@example.com", ["agent"], "Bea Billing",
                                                           teams=["billing"]).id,
                               sue=person("sue@example.com", ["supervisor"], "Sue Super").id)


def state(app, number):
    with app.app_context():
        return ticket_state(number)


def post(client, number, action, data):
    return client.post(f"/staff/tickets/{number}/{action}", data={**data, "csrf_token": page_token(client)})


@pytest.mark.parametrize("action, data", [
    ("assign", {"assignee": "ann"}),  # to herself: the takeover of the finding
    ("assign", {"assignee": ""}),  # back to the queue
    ("assign", {"assignee": "sue"}),  # to a third person
    ("status", {"status": "resolved"}),
    ("status", {"status": "closed"}),
])
def test_an_agent_cannot_take_or_end_a_colleagues_live_chat_from_the_staff_page(desk, people, action, data):
    number = make_ticket(desk, customer=people.casey, category="billing", conv_status="live", assignee=people.bea)
    ann = as_user(desk, "ann@example.com")
    assert ann.get(f"/staff/tickets/{number}").status_code == 200  # her team's ticket: she sees it
    before = state(desk, number)
    if "assignee" in data and data["assignee"]:
        data = {"assignee": str(getattr(people, data["assignee"]))}
    refused = post(ann, number, action, data)
    assert refused.status_code == 403
    assert "Bea Billing is chatting with this customer now" in refused.get_data(as_text=True)
    assert state(desk, number) == before
    reply = post(ann, number, "reply", {"reply": "I'll take it from here."})
    assert reply.status_code == 403 and state(desk, number) == before


def test_the_owner_and_supervisors_still_pass_a_live_chat_on(desk, people):
    number = make_ticket(desk, customer=people.casey, category="billing", conv_status="live", assignee=people.bea)
    bea, sue = as_user(desk, "bea@example.com"), as_user(desk, "sue@example.com")
    assert post(bea, number, "assign", {"assignee": str(people.ann)}).status_code == 303  # Bea passes it to Ann
    with desk.app_context():
        ticket = ticket_by_number(number)
        assert (ticket.assignee_id, ticket.conversation.assignee_id) == (people.ann, people.ann)
    assert post(sue, number, "assign", {"assignee": str(people.bea)}).status_code == 303  # a supervisor may
    with desk.app_context():
        assert ticket_by_number(number).assignee_id == people.bea


def test_a_waiting_chat_or_a_ticket_without_a_live_chat_is_still_anyones_on_the_team(desk, people):
    waiting = make_ticket(desk, customer=people.casey, category="billing", conv_status="handoff")
    queued = make_ticket(desk, customer=people.casey, category="billing", conv_status="handoff", assignee=people.bea)
    ann = as_user(desk, "ann@example.com")
    assert post(ann, waiting, "assign", {"assignee": str(people.ann)}).status_code == 303
    assert post(ann, queued, "assign", {"assignee": ""}).status_code == 303
    assert post(ann, queued, "priority", {"priority": "urgent"}).status_code == 303
    with desk.app_context():
        assert ticket_by_number(waiting).assignee_id == people.ann and ticket_by_number(queued).assignee_id is None
