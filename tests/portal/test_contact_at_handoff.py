"""Contact at handoff (issue 16): a visitor without an account who is handed to a person is
asked once for an email address (optional, validated like account addresses, kept on the
ticket); signed-in customers are not asked."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.chat.rasa_client import RasaClient
from portal.extensions import db
from portal.tickets.models import Ticket, TicketEvent
from tests.fake_rasa import FakeRasa
from tests.portal.test_chat import csrf_headers, handoff, send
from tests.portal.ticket_builders import person, sign_in

INJECTED = "casey@example.com\r\nBcc: everyone@example.net"


@pytest.fixture
def chat_app(make_app):
    fake = FakeRasa()
    app = make_app(BOT_SERVICE_TOKEN="service-token-for-tests", CHAT_RATE_LIMIT="1000 per minute")
    app.extensions["rasa"] = RasaClient(fake.url, timeout=2)
    yield app
    fake.close()


def handed_off(app, client=None):
    """A chat the bot handed to a person, as the bot's action leaves it."""
    client = client or app.test_client()
    conv = send(client, "I was charged twice for order BN-1048231").get_json()["conversation_id"]
    assert handoff(client, conversation_id=conv, reason="requested_human", category="billing").status_code == 201
    return client, conv


def contact(client, conv, **body):
    url = f"/api/chat/conversations/{conv}/contact"
    if not body:
        return client.get(url)
    return client.post(url, json=body, headers=csrf_headers(client))


def the_ticket(app) -> Ticket:
    with app.app_context():
        return db.session.scalars(sa.select(Ticket)).one()


def test_a_handed_off_visitor_is_asked_and_their_address_is_kept_on_the_ticket(chat_app):
    client, conv = handed_off(chat_app)
    asked = contact(client, conv).get_json()
    assert asked["ask"] is True and asked["email"] == "" and asked["ticket_number"]
    answer = contact(client, conv, email="  Robin.Roe@Example.com ")
    assert answer.status_code == 200
    assert answer.get_json() == {"ask": False, "email": "robin.roe@example.com", "account": False,
                                 "ticket_number": asked["ticket_number"]}
    ticket = the_ticket(chat_app)
    assert ticket.contact_email == "robin.roe@example.com" and ticket.contact_answered_at is not None
    assert contact(client, conv).get_json()["ask"] is False  # a reload does not ask again
    with chat_app.app_context():
        kinds = db.session.scalars(sa.select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id)).all()
    assert "contact_email_given" in kinds
    page = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert "Replies are also emailed to <strong>robin.roe@example.com</strong>" in page


@pytest.mark.parametrize("email, says", [
    ("not an address", "must have an @-sign"),
    ("casey@", "There must be something after the @-sign"),
    (INJECTED, "Check the address, or choose Skip"),
    ("cu\u0455tomer@example.com", "Check the address, or choose Skip"),  # a Cyrillic letter
    ("casey@ex\u0430mple.com", "mixes letters of different alphabets"),
    ("", "Enter your email address"),
    ("a" * 250 + "@example.com", "Enter your email address"),
    (5, "Enter your email address"),
])
def test_a_bad_or_look_alike_address_gets_a_clear_error_and_changes_nothing(chat_app, email, says):
    client, conv = handed_off(chat_app)
    response = contact(client, conv, email=email)
    assert response.status_code == 400
    assert says in response.get_json()["error"]["message"]
    ticket = the_ticket(chat_app)
    assert ticket.contact_email == "" and ticket.contact_answered_at is None
    assert contact(client, conv).get_json()["ask"] is True  # still asked: nothing was answered


def test_skipping_is_kept_too_so_the_question_does_not_come_back(chat_app):
    client, conv = handed_off(chat_app)
    response = contact(client, conv, skip=True)
    assert response.status_code == 200 and response.get_json()["ask"] is False
    ticket = the_ticket(chat_app)
    assert ticket.contact_email == "" and ticket.contact_answered_at is not None
    assert contact(client, conv).get_json() == {"ask": False, "email": "", "account": False,
                                                "ticket_number": ticket.number}
    assert contact(client, conv, email="late@example.com").status_code == 200  # a change of mind is welcome
    assert the_ticket(chat_app).contact_email == "late@example.com"


@pytest.mark.parametrize("body", [{"skip": "yes"}, {"skip": True, "email": "a@example.com"}, {"skip": False},
                                  {"other": 1}])
def test_a_malformed_answer_is_refused(chat_app, body):
    client, conv = handed_off(chat_app)
    response = contact(client, conv, **body)
    assert response.status_code == 400 and "'skip'" in response.get_json()["error"]["message"]
    assert the_ticket(chat_app).contact_answered_at is None


def test_a_signed_in_customer_is_not_asked_their_account_address_is_used(chat_app):
    with chat_app.app_context():
        person("casey@example.com", name="Casey")
    client = sign_in(chat_app.test_client(), "casey@example.com")
    client, conv = handed_off(chat_app, client)
    state = contact(client, conv).get_json()
    assert state["ask"] is False and state["email"] == "casey@example.com" and state["account"] is True
    refused = contact(client, conv, email="other@example.com")
    assert refused.status_code == 409 and "account" in refused.get_json()["error"]["message"]
    assert the_ticket(chat_app).contact_email == ""


def test_nothing_is_asked_before_a_handoff_and_others_cannot_answer(chat_app):
    client = chat_app.test_client()
    conv = send(client, "Where is my parcel?").get_json()["conversation_id"]
    assert contact(client, conv).get_json()["ask"] is False
    assert contact(client, conv, email="casey@example.com").status_code == 409
    _, handed = handed_off(chat_app)
    stranger = chat_app.test_client()
    assert contact(stranger, handed).status_code == 404
    assert contact(stranger, handed, email="thief@example.com").status_code == 404
    assert contact(client, handed, email="thief@example.com").status_code == 404  # another visitor's chat
    assert contact(stranger, "x" * 32).status_code == 404


def test_an_address_left_with_a_message_counts_as_answered(chat_app):
    chat_app.extensions["rasa"].base_urls = ["http://127.0.0.1:9"]  # the bot is down: leave a message
    client = chat_app.test_client()
    conv = send(client, "My refund never arrived").get_json()["conversation_id"]
    left = client.post(f"/api/chat/conversations/{conv}/leave-message", json={"email": "robin@example.com"},
                       headers=csrf_headers(client))
    assert left.status_code == 201
    assert contact(client, conv).get_json()["ask"] is False


def test_asking_about_someone_elses_chat_hands_out_no_cookie(chat_app):
    _, conv = handed_off(chat_app)
    stranger = chat_app.test_client()
    response = contact(stranger, conv)
    assert response.status_code == 404
    assert "calmline_visitor" not in response.headers.get("Set-Cookie", "")
