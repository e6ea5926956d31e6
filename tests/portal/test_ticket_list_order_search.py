"""/staff/tickets: the desk's order (urgent first, then the soonest first response due) and the
search box (`q`: ticket number, customer name or email, order number), with the filters."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.tickets.models import Ticket
from tests.portal.ticket_builders import as_user, base_people, listed_tickets, make_ticket, person

rows = listed_tickets


@pytest.fixture
def people(desk):
    with desk.app_context():
        return SimpleNamespace(**base_people(), sue=person("sue@example.com", ["supervisor"], "Sue Super").id)


def set_ticket(app, number, **values):
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.number == number))
        for key, value in values.items():
            setattr(ticket, key, value)
        db.session.commit()
        return ticket.sla_due_at


def test_urgent_comes_first_then_the_soonest_due_whatever_was_newest(desk, people):
    low = make_ticket(desk, category="billing")
    normal_later = make_ticket(desk, category="billing")
    normal_sooner = make_ticket(desk, category="billing")
    urgent = make_ticket(desk, category="billing")  # unassigned and the oldest activity below
    due = set_ticket(desk, normal_later, priority="normal")
    set_ticket(desk, normal_sooner, priority="normal", sla_due_at=due - timedelta(hours=2))
    set_ticket(desk, low, priority="low", sla_due_at=due - timedelta(hours=5))
    set_ticket(desk, urgent, priority="urgent", sla_due_at=due + timedelta(hours=9))
    sue = as_user(desk, "sue@example.com")
    html = sue.get("/staff/tickets").get_data(as_text=True)
    assert rows(html) == [urgent, normal_sooner, normal_later, low]
    assert "most urgent first" in html


def test_search_finds_a_ticket_by_number_customer_name_email_and_order(desk, people):
    casey = make_ticket(desk, customer=people.casey, category="billing")
    robin = make_ticket(desk, customer=people.robin, category="billing",
                        text="My parcel for order BN-7700123 never came")
    visitor = make_ticket(desk, category="billing", text="Where is my refund?")
    set_ticket(desk, visitor, contact_email="vis.itor@example.org", briefing={"details": {"order_number": "BN-5550001"}})
    sue = as_user(desk, "sue@example.com")

    def found(q: str, **more) -> set[str]:
        response = sue.get("/staff/tickets", query_string={"q": q, **more})
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return set(rows(response.get_data(as_text=True)))

    assert found(casey) == {casey}  # the ticket number
    assert found(casey.removeprefix("T-")) == {casey}
    assert found("casey doe") == {casey}  # the customer's name, each word anywhere
    assert found("ROBIN@EXAMPLE") == {robin}  # the email, any case
    assert found("BN-7700123") == {robin}  # an order number in the subject
    assert found("bn-5550001") == {visitor}  # the order number the briefing holds (not in the subject)
    assert found("vis.itor@") == {visitor}  # a visitor's contact email
    assert found("BN-1048231") == {casey, robin}  # the order both chats named
    assert found("100%_") == set()  # wildcards are literal
    assert found("a!%") == set() and found("\\") == set() and found("T-%") == set()  # and the escape too
    assert found("casey", priority="urgent") == set()  # combined with the filters
    assert found("casey", priority=db_priority(desk, casey)) == {casey}
    assert found("   ") == {casey, robin, visitor}  # blank: no search


def db_priority(app, number: str) -> str:
    with app.app_context():
        return db.session.scalar(sa.select(Ticket.priority).where(Ticket.number == number))


@pytest.mark.parametrize("q", ["x" * 101, "a\x00b", "tab\there"])
def test_an_oversized_or_control_character_search_is_a_clear_400(desk, people, q):
    make_ticket(desk, customer=people.casey, category="billing")
    sue = as_user(desk, "sue@example.com")
    response = sue.get("/staff/tickets", query_string={"q": q})
    assert response.status_code == 400
    assert "at most 100 characters" in response.get_data(as_text=True)


def test_the_search_is_kept_across_pages_and_the_number_does_not_wrap(desk, people):
    for _ in range(26):
        make_ticket(desk, customer=people.casey, category="billing")
    sue = as_user(desk, "sue@example.com")
    html = sue.get("/staff/tickets?q=casey").get_data(as_text=True)
    assert "q=casey" in html.split('class="pager"')[1]
    assert '<td class="ticket-number">' in html
    assert 'role="search"' in html and 'name="q"' in html
