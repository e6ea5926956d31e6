"""Staff ticket pages: the filtered list, one ticket's timeline, the workflow forms, canned responses."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from portal.clock import utcnow
from portal.conversations.models import ChatEvent, Message
from portal.extensions import db
from portal.tickets.models import CannedResponse, Ticket
from tests.portal.ticket_builders import (
    as_user,
    base_people,
    events_of,
    listed_tickets,
    make_ticket,
    page_token,
    person,
    team,
    ticket_by_number,
    ticket_state,
)


@pytest.fixture
def people(desk):
    with desk.app_context():
        return SimpleNamespace(
            **base_people(),
            tom=person("tom@example.com", ["agent"], "Tom Tech", teams=["technical"]).id,
            sue=person("sue@example.com", ["supervisor"], "Sue Super").id,
            mo=person("mo@example.com", ["moderator"], "Mo Mod").id,
        )


rows = listed_tickets
make = make_ticket


def change(app, number, **values):
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.number == number))
        for key, value in values.items():
            setattr(ticket, key, value)
        db.session.commit()


def state(app, number):
    with app.app_context():
        return ticket_state(number)


# ---- the list --------------------------------------------------------------------------------

def test_agents_list_their_teams_tickets_and_their_own_supervisors_all(desk, people):
    billing = make(desk, customer=people.casey, category="billing")
    mine_elsewhere = make(desk, customer=people.robin, category="technical", assignee=people.ann)
    technical = make(desk, category="technical")
    general = make(desk, category="general")

    agent_page = as_user(desk, "ann@example.com").get("/staff/tickets")
    assert agent_page.status_code == 200
    assert sorted(rows(agent_page.get_data(as_text=True))) == sorted([billing, mine_elsewhere])

    every = rows(as_user(desk, "sue@example.com").get("/staff/tickets").get_data(as_text=True))
    assert sorted(every) == sorted([billing, mine_elsewhere, technical, general])
    html = as_user(desk, "sue@example.com").get("/staff/tickets").get_data(as_text=True)
    assert "Casey Doe" in html and "Visitor" in html and "Ann Agent" in html and "Unassigned" in html


def test_filters_by_status_priority_team_assignee_and_breach(desk, people):
    now = utcnow()
    urgent_open = make(desk, category="billing", reason="angry", assignee=people.sue)
    pending = make(desk, category="technical", status="pending", assignee=people.ann)
    low_general = make(desk, category="general", reason="left_message")
    change(desk, low_general, priority="low")
    late = make(desk, category="general")
    change(desk, late, sla_due_at=now - timedelta(hours=2))
    answered_late = make(desk, category="billing")
    change(desk, answered_late, sla_due_at=now - timedelta(hours=5), first_responded_at=now - timedelta(hours=1))
    answered_in_time = make(desk, category="billing")
    change(desk, answered_in_time, sla_due_at=now - timedelta(hours=5), first_responded_at=now - timedelta(hours=6))
    overdue_resolution = make(desk, category="technical", status="pending")
    change(desk, overdue_resolution, resolution_due_at=now - timedelta(minutes=1))

    sue = as_user(desk, "sue@example.com")

    def listed(query):
        response = sue.get(f"/staff/tickets?{query}")
        assert response.status_code == 200
        return sorted(rows(response.get_data(as_text=True)))

    assert listed("status=pending") == sorted([pending, overdue_resolution])
    assert listed("priority=urgent") == [urgent_open]
    assert listed("priority=low") == [low_general]
    assert listed("team=general") == sorted([low_general, late])
    assert listed("assignee=me") == [urgent_open]
    assert listed(f"assignee={people.ann}") == [pending]
    assert pending not in listed("assignee=none") and urgent_open not in listed("assignee=none")
    assert listed("breached=1") == sorted([late, answered_late, overdue_resolution])
    assert listed("breached=1&team=general") == [late]
    assert listed("") == sorted([urgent_open, pending, low_general, late, answered_late, answered_in_time,
                                 overdue_resolution])
    html = sue.get("/staff/tickets?breached=1").get_data(as_text=True)
    assert html.count('class="row-breached"') == 3 and "Breached" in html


@pytest.mark.parametrize("query", ["status=lost", "priority=whenever", "team=sales", "assignee=abc",
                                   "assignee=999999"])
def test_bad_filters_are_refused_with_a_message(desk, people, query):
    make(desk, category="billing")
    response = as_user(desk, "sue@example.com").get(f"/staff/tickets?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Not a valid choice" in html and rows(html) == []


def test_the_list_pages_by_25_and_keeps_the_filters(desk, people):
    numbers = {make(desk, category="billing") for _ in range(27)}
    make(desk, category="technical")
    sue = as_user(desk, "sue@example.com")
    first = sue.get("/staff/tickets?team=billing").get_data(as_text=True)
    assert len(rows(first)) == 25 and "Page 1 of 2" in first
    assert "/staff/tickets?page=2&amp;team=billing" in first
    second = sue.get("/staff/tickets?team=billing&page=2").get_data(as_text=True)
    assert len(rows(second)) == 2
    assert set(rows(first)) | set(rows(second)) == numbers
    assert rows(sue.get("/staff/tickets?team=billing&page=99").get_data(as_text=True)) == []


# ---- one ticket ------------------------------------------------------------------------------

def test_the_ticket_page_shows_briefing_sla_and_one_ordered_timeline(desk, people):
    number = make(desk, customer=people.casey, category="billing", assignee=people.ann)
    ann = as_user(desk, "ann@example.com")
    token = page_token(ann)
    assert ann.post(f"/staff/tickets/{number}/notes", data={"note": "Refund pending in Stripe.",
                                                              "csrf_token": token}).status_code == 303
    assert ann.post(f"/staff/tickets/{number}/reply", data={"reply": "I've found the double charge.",
                                                              "csrf_token": token}).status_code == 303
    assert ann.post(f"/staff/tickets/{number}/status", data={"status": "pending",
                                                               "csrf_token": token}).status_code == 303
    html = ann.get(f"/staff/tickets/{number}").get_data(as_text=True)

    assert "Briefing" in html and "I was charged twice for order BN-1048231" in html and "order number" in html
    assert 'data-sla="running"' in html or 'data-sla="met"' in html
    assert "First response" in html and "Resolution" in html
    order = [html.index(marker) for marker in (
        "I was charged twice for order BN-1048231</p>",  # the customer's message
        "Let me get you a person.",  # the bot
        "Ticket opened",  # the created event
        "Refund pending in Stripe.",  # the internal note
        "found the double charge.",  # the agent's reply (a conversation message)
        "Status changed from open to pending",
    )]
    assert order == sorted(order)
    assert 'data-kind="note" data-internal="1"' in html and "Internal, staff only" in html
    assert 'class="tag frustration-annoyed"' in html
    assert html.count("found the double charge.") == 1  # the reply event is not shown twice


def test_the_timeline_names_who_claimed_transferred_and_how_the_customer_rated(desk, people):
    from portal.agent import services as agent_svc
    from portal.auth.models import User
    from portal.chat.satisfaction import record_satisfaction

    number = make(desk, customer=people.casey, category="billing")
    with desk.app_context():
        ann = db.session.get(User, people.ann)
        agent_svc.claim(number, ann)
        agent_svc.transfer(number, ann, team="technical")
        record_satisfaction(ticket_by_number(number).conversation, 4, "Quick and kind", path="agent")
    html = as_user(desk, "sue@example.com").get(f"/staff/tickets/{number}").get_data(as_text=True)
    assert "<strong>Ann Agent</strong>: Claimed the conversation" in html
    assert "<strong>Ann Agent</strong>: Transferred to the technical team" in html
    assert "<strong>Customer</strong>: The customer rated the help 4 out of 5" in html
    assert "Quick and kind" in html and "Ann from support has joined the chat." in html


def test_unknown_numbers_and_other_teams_tickets_are_404(desk, people):
    technical = make(desk, category="technical")
    ann = as_user(desk, "ann@example.com")
    token = page_token(ann)
    assert ann.get("/staff/tickets/T-000000").status_code == 404
    assert ann.get(f"/staff/tickets/{technical}").status_code == 404
    before = state(desk, technical)
    for action, data in (("status", {"status": "closed"}), ("priority", {"priority": "low"}),
                         ("assign", {"assignee": str(people.ann)}), ("notes", {"note": "x"}),
                         ("reply", {"reply": "x"})):
        assert ann.post(f"/staff/tickets/{technical}/{action}", data={**data, "csrf_token": token}).status_code == 404
    assert state(desk, technical) == before
    assert as_user(desk, "tom@example.com").get(f"/staff/tickets/{technical}").status_code == 200


# ---- the workflow ----------------------------------------------------------------------------

def test_status_moves_follow_the_flow_and_are_audited(desk, people):
    number = make(desk, category="billing", conv_status="bot")
    ann = as_user(desk, "ann@example.com")
    token = page_token(ann)
    page = ann.get(f"/staff/tickets/{number}").get_data(as_text=True)
    assert '<option value="pending">' in page and '<option value="open">' not in page

    def move(status):
        return ann.post(f"/staff/tickets/{number}/status", data={"status": status, "csrf_token": token})

    assert move("resolved").status_code == 303
    with desk.app_context():
        assert ticket_by_number(number).resolved_at is not None
    assert move("open").status_code == 303
    with desk.app_context():
        assert ticket_by_number(number).resolved_at is None
    assert move("closed").status_code == 303
    with desk.app_context():
        closed = ticket_by_number(number)
        assert closed.status == "closed" and closed.resolved_at is not None
        audit = [(e.kind, e.actor_id, e.data["old"], e.data["new"]) for e in events_of(number, "status")]
    assert audit == [("status", people.ann, "open", "resolved"), ("status", people.ann, "resolved", "open"),
                     ("status", people.ann, "open", "closed")]

    before = state(desk, number)
    refused = move("pending")
    assert refused.status_code == 409
    assert "A closed ticket can&#39;t be set to pending; it can go to open." in refused.get_data(as_text=True)
    assert move("on-hold").status_code == 400
    assert state(desk, number) == before


def test_resolving_a_live_chat_from_the_page_returns_it_to_the_assistant(desk, people):
    number = make(desk, customer=people.casey, category="billing", conv_status="live", assignee=people.ann)
    ann = as_user(desk, "ann@example.com")
    assert ann.post(f"/staff/tickets/{number}/status",
                    data={"status": "resolved", "csrf_token": page_token(ann)}).status_code == 303
    with desk.app_context():
        ticket = ticket_by_number(number)
        assert ticket.conversation.status == "bot" and ticket.conversation.resolution == "agent"
        assert ticket.conversation.messages[-1].text == "Ann has marked this as resolved."
    assert [c[2] for c in desk.extensions["rasa"].calls if c[0] == "intent"] == ["EXTERNAL_agent_done"]


def test_priority_changes_only_the_priority(desk, people):
    number = make(desk, category="billing")
    with desk.app_context():
        due_before = (ticket_by_number(number).sla_due_at, ticket_by_number(number).resolution_due_at)
    ann = as_user(desk, "ann@example.com")
    token = page_token(ann)
    assert ann.post(f"/staff/tickets/{number}/priority", data={"priority": "urgent", "csrf_token": token}
                    ).status_code == 303
    with desk.app_context():
        ticket = ticket_by_number(number)
        assert ticket.priority == "urgent" and (ticket.sla_due_at, ticket.resolution_due_at) == due_before
        [event] = events_of(number, "priority")
        assert (event.actor_id, event.data) == (people.ann, {"old": "normal", "new": "urgent"})
    before = state(desk, number)
    assert ann.post(f"/staff/tickets/{number}/priority", data={"priority": "asap", "csrf_token": token}
                    ).status_code == 400
    assert ann.post(f"/staff/tickets/{number}/priority", data={"priority": "urgent", "csrf_token": token}
                    ).status_code == 303  # unchanged: no event
    assert state(desk, number)["events"] == before["events"]


def test_assigning_and_unassigning_is_audited_and_only_to_staff(desk, people):
    number = make(desk, category="billing")
    ann = as_user(desk, "ann@example.com")
    token = page_token(ann)
    page = ann.get(f"/staff/tickets/{number}").get_data(as_text=True)
    assert f'<option value="{people.tom}">Tom Tech</option>' in page
    assert f'<option value="{people.casey}">' not in page and f'<option value="{people.mo}">' not in page

    assert ann.post(f"/staff/tickets/{number}/assign", data={"assignee": str(people.tom), "csrf_token": token}
                    ).status_code == 303
    with desk.app_context():
        assert ticket_by_number(number).assignee_id == people.tom
    before = state(desk, number)
    for bad in (str(people.casey), "nobody", "999999"):
        response = ann.post(f"/staff/tickets/{number}/assign", data={"assignee": bad, "csrf_token": token})
        assert response.status_code == 400 and "Not a valid choice" in response.get_data(as_text=True)
    assert state(desk, number) == before

    assert ann.post(f"/staff/tickets/{number}/assign", data={"assignee": "", "csrf_token": token}).status_code == 303
    with desk.app_context():
        assert ticket_by_number(number).assignee_id is None
        audit = [(e.actor_id, e.data["to"], e.data["previous"]) for e in events_of(number, "assigned")]
    assert audit == [(people.ann, "Tom Tech", None), (people.ann, None, "Tom Tech")]
    # Tom (technical team) still sees the billing ticket while it was his; now it is not.
    assert as_user(desk, "tom@example.com").get(f"/staff/tickets/{number}").status_code == 404


def test_a_note_is_internal_audited_and_never_reaches_the_customer(desk, people):
    number = make(desk, customer=people.casey, category="billing")
    ann = as_user(desk, "ann@example.com")
    assert ann.post(f"/staff/tickets/{number}/notes", data={"note": "Customer sounds like a chargeback risk.",
                                                              "csrf_token": page_token(ann)}).status_code == 303
    with desk.app_context():
        [note] = events_of(number, "note")
        assert (note.actor_id, note.internal, note.data["text"]) == (
            people.ann, True, "Customer sounds like a chargeback risk.")
        public = db.session.scalars(sa.select(ChatEvent).where(ChatEvent.audience == "all")).all()
        assert not any("chargeback" in str(e.data) for e in public)
    casey = as_user(desk, "casey@example.com")
    assert "chargeback" not in casey.get(f"/tickets/{number}").get_data(as_text=True)
    assert "chargeback" not in casey.get("/tickets").get_data(as_text=True)


def test_a_reply_is_a_chat_message_an_event_a_live_event_and_an_email_when_away(desk, people, monkeypatch):
    sent = []
    monkeypatch.setattr("portal.tickets.mail.send_mail", lambda to, subject, body: sent.append((to, subject, body)))
    number = make(desk, customer=people.casey, category="billing", conv_status="handoff", assignee=people.ann)
    ann = as_user(desk, "ann@example.com")
    response = ann.post(f"/staff/tickets/{number}/reply", data={"reply": "Your refund is on its way.",
                                                                  "csrf_token": page_token(ann)})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/staff/tickets/{number}")
    with desk.app_context():
        ticket = ticket_by_number(number)
        last = ticket.conversation.messages[-1]
        assert (last.sender, last.author_id, last.text) == ("agent", people.ann, "Your refund is on its way.")
        [reply] = events_of(number, "reply")
        assert (reply.actor_id, reply.data["text"]) == (people.ann, "Your refund is on its way.")
        assert ticket.first_responded_at is not None
        live = db.session.scalars(sa.select(ChatEvent).where(ChatEvent.conversation_id == ticket.conversation_id,
                                                             ChatEvent.kind == "message")).all()
        assert live[-1].data["text"] == "Your refund is on its way." and live[-1].audience == "all"
    [(to, subject, body)] = sent
    assert to == "casey@example.com" and number in subject and "Your refund is on its way." in body


def test_a_live_customer_gets_no_email_and_only_the_owner_or_a_supervisor_replies(desk, people, monkeypatch):
    sent = []
    monkeypatch.setattr("portal.tickets.mail.send_mail", lambda *args: sent.append(args))
    number = make(desk, customer=people.casey, category="billing", conv_status="live", assignee=people.tom)
    with desk.app_context():  # the customer is following the chat (a customer who left is mailed)
        from portal.handoff.customer_presence import note_seen
        from portal.tickets.models import Ticket
        note_seen(db.session.scalar(sa.select(Ticket).where(Ticket.number == number)).conversation_id)
    ann = as_user(desk, "ann@example.com")
    before = state(desk, number)
    refused = ann.post(f"/staff/tickets/{number}/reply", data={"reply": "Hello", "csrf_token": page_token(ann)})
    assert refused.status_code == 403 and "Claim the conversation first." in refused.get_data(as_text=True)
    assert state(desk, number) == before
    sue = as_user(desk, "sue@example.com")
    assert sue.post(f"/staff/tickets/{number}/reply", data={"reply": "Sue here, I can help.",
                                                              "csrf_token": page_token(sue)}).status_code == 303
    assert sent == []


@pytest.mark.parametrize("action, data, message", [
    ("notes", {"note": "   "}, "Write the note first."),
    ("notes", {"note": "x" * 4001}, "Notes are limited to 4,000 characters."),
    ("reply", {"reply": ""}, "Write the reply first."),
    ("status", {"status": ""}, "Choose the new status."),
])
def test_bad_form_input_is_refused_and_changes_nothing(desk, people, action, data, message):
    number = make(desk, category="billing", assignee=people.ann)
    ann = as_user(desk, "ann@example.com")
    before = state(desk, number)
    response = ann.post(f"/staff/tickets/{number}/{action}", data={**data, "csrf_token": page_token(ann)})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert state(desk, number) == before


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_forms_without_a_valid_csrf_token_change_nothing(desk, people, token):
    number = make(desk, category="billing", assignee=people.ann)
    ann = as_user(desk, "ann@example.com")
    before = state(desk, number)
    extra = {"csrf_token": token} if token else {}
    for action, data in (("status", {"status": "closed"}), ("notes", {"note": "hi"}), ("reply", {"reply": "hi"}),
                         ("priority", {"priority": "low"}), ("assign", {"assignee": ""})):
        response = ann.post(f"/staff/tickets/{number}/{action}", data={**data, **extra})
        assert response.status_code == 400
        assert "Your form expired" in response.get_data(as_text=True)
    assert state(desk, number) == before


# ---- canned responses ------------------------------------------------------------------------

def canned_titles(app) -> list[str]:
    with app.app_context():
        return [c.title for c in db.session.scalars(sa.select(CannedResponse).order_by(CannedResponse.id))]


def test_supervisors_create_edit_and_delete_canned_responses(desk, people):
    sue = as_user(desk, "sue@example.com")
    token = page_token(sue)
    with desk.app_context():
        billing_id = team("billing").id
        db.session.commit()
    created = sue.post("/staff/canned", data={
        "title": "Refund sent", "team": str(billing_id), "csrf_token": token,
        "body": "Hi {customer_first_name}, the refund for {order_number} is sent. {agent_name}, ticket {ticket_number}."})
    assert created.status_code == 303
    with desk.app_context():
        row = db.session.scalar(sa.select(CannedResponse))
        canned_id = row.id
        assert (row.title, row.team_id) == ("Refund sent", billing_id)
    listing = sue.get("/staff/canned").get_data(as_text=True)
    assert "Refund sent" in listing and "Billing" in listing

    edit_page = sue.get(f"/staff/canned/{canned_id}/edit").get_data(as_text=True)
    assert 'value="Refund sent"' in edit_page
    assert sue.post(f"/staff/canned/{canned_id}/edit", data={
        "title": "Refund issued", "body": "Done, {customer_first_name}.", "team": "", "csrf_token": token,
    }).status_code == 303
    with desk.app_context():
        row = db.session.get(CannedResponse, canned_id)
        assert (row.title, row.body, row.team_id) == ("Refund issued", "Done, {customer_first_name}.", None)

    assert sue.post(f"/staff/canned/{canned_id}/delete", data={"csrf_token": token}).status_code == 303
    assert canned_titles(desk) == []
    assert sue.post(f"/staff/canned/{canned_id}/delete", data={"csrf_token": token}).status_code == 404
    assert sue.get(f"/staff/canned/{canned_id}/edit").status_code == 404


@pytest.mark.parametrize("data, message", [
    ({"title": "Hi", "body": "Hello {customer_name}, see {ticket}."},
     "Unknown placeholder {customer_name}, {ticket}. You can use {customer_first_name}"),
    ({"title": "Hi", "body": "Hello {}"}, "Unknown placeholder {}."),
    ({"title": "x" * 121, "body": "Hello"}, "Titles are limited to 120 characters."),
    ({"title": "Hi", "body": "x" * 4001}, "Responses are limited to 4,000 characters."),
    ({"title": "", "body": "Hello"}, "Give the response a title."),
    ({"title": "Hi", "body": "Hello", "team": "999999"}, "Not a valid choice"),
])
def test_bad_canned_responses_are_refused_with_a_clear_error(desk, people, data, message):
    sue = as_user(desk, "sue@example.com")
    response = sue.post("/staff/canned", data={"team": "", **data, "csrf_token": page_token(sue)})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert canned_titles(desk) == []


def test_editing_a_canned_response_checks_placeholders_too(desk, people):
    with desk.app_context():
        row = CannedResponse(title="Thanks", body="Thanks {customer_first_name}")
        db.session.add(row)
        db.session.commit()
        canned_id = row.id
    sue = as_user(desk, "sue@example.com")
    response = sue.post(f"/staff/canned/{canned_id}/edit", data={
        "title": "Thanks", "body": "Thanks {first_name}", "team": "", "csrf_token": page_token(sue)})
    assert response.status_code == 400 and "Unknown placeholder {first_name}." in response.get_data(as_text=True)
    with desk.app_context():
        assert db.session.get(CannedResponse, canned_id).body == "Thanks {customer_first_name}"


def test_agents_cannot_manage_canned_responses(desk, people):
    ann = as_user(desk, "ann@example.com")
    assert ann.get("/staff/canned").status_code == 403
    assert ann.post("/staff/canned", data={"title": "x", "body": "y", "team": "",
                                           "csrf_token": page_token(ann)}).status_code == 403
    assert canned_titles(desk) == []


def test_staff_see_a_tickets_link_customers_do_not(desk, people):
    assert 'href="/staff/tickets"' in as_user(desk, "ann@example.com").get("/").get_data(as_text=True)
    assert 'href="/staff/tickets"' not in as_user(desk, "casey@example.com").get("/").get_data(as_text=True)
    assert 'href="/staff/tickets"' not in as_user(desk, "mo@example.com").get("/").get_data(as_text=True)


def test_the_customer_column_uses_contact_email_for_visitors(desk, people):
    number = make(desk, category="billing")
    change(desk, number, contact_email="visitor@example.com")
    html = as_user(desk, "sue@example.com").get("/staff/tickets").get_data(as_text=True)
    assert "visitor@example.com" in html
    with desk.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 2
