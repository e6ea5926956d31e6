"""The address a left message is answered at (issue 15 finding 9): validated before it is
stored, and mail never fails a request after its change was saved."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.mail import send_mail
from portal.tickets.models import Ticket
from tests.portal.test_chat import RasaClient, csrf_headers, send
from tests.portal.ticket_builders import as_user, base_people, make_ticket, page_token, ticket_by_number

INJECTED = "casey@example.com\r\nBcc: everyone@example.net"


@pytest.fixture
def people(desk):
    with desk.app_context():
        return SimpleNamespace(**base_people())


def left_message(app, email):
    app.extensions["rasa"] = RasaClient("http://127.0.0.1:9", timeout=1)  # the bot is down: leave a message
    client = app.test_client()
    conv = send(client, "My refund never arrived").get_json()["conversation_id"]
    return client.post(f"/api/chat/conversations/{conv}/leave-message", json={"email": email},
                       headers=csrf_headers(client))


@pytest.mark.parametrize("email", [INJECTED, "casey@example.com\nBcc: x@example.net", "not an address",
                                   "cu\u0455tomer@example.com", "casey@ex\u0430mple.com"])
def test_leaving_a_message_refuses_anything_but_an_email_address(desk, email):
    response = left_message(desk, email)
    assert response.status_code == 400
    assert "'email' must be an email address" in response.get_json()["error"]["message"]
    with desk.app_context():
        assert db.session.scalars(sa.select(Ticket)).all() == []


def test_leaving_a_message_without_an_address_or_with_one_still_works(desk):
    assert left_message(desk, "").status_code == 201
    response = left_message(desk, " Robin@Example.com ")
    assert response.status_code == 201
    with desk.app_context():
        assert ticket_by_number(response.get_json()["ticket_number"]).contact_email == "robin@example.com"


def test_a_reply_to_a_ticket_with_a_bad_stored_address_is_saved_and_answers(desk, people):
    """A ticket left before addresses were checked: the reply is kept, the mail is skipped, no 500."""
    number = make_ticket(desk, conv_status="handoff", assignee=people.ann, visitor="visitor-aaaaaaaaaaaaaaaaaaaa")
    with desk.app_context():
        ticket_by_number(number).contact_email = INJECTED
        db.session.commit()
    ann = as_user(desk, "ann@example.com")
    response = ann.post(f"/staff/tickets/{number}/reply", data={"reply": "Your refund is on its way.",
                                                                  "csrf_token": page_token(ann)})
    assert response.status_code == 303
    with desk.app_context():
        assert ticket_by_number(number).conversation.messages[-1].text == "Your refund is on its way."


def test_send_mail_reports_a_refused_address_or_an_unreachable_server_instead_of_raising(make_app):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=9)  # nothing listens on the discard port
    with app.app_context():
        assert send_mail(INJECTED, "Hello", "Body") is False
        assert send_mail("casey@example.com", "Hello\r\nBcc: x@example.net", "Body") is False
        assert send_mail("casey@example.com", "Hello", "Body") is False
