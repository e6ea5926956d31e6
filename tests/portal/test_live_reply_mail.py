"""A reply an agent writes in a live chat is mailed only to a customer who has left the chat
(portal.handoff.customer_presence): "seen" comes from the customer's events (throttled) and
messages; one such mail per conversation per CHAT_REPLY_MAIL_MINUTES unless they came back."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.clock import utcnow
from portal.conversations.models import Conversation, Message
from portal.extensions import db
from portal.handoff.customer_presence import SeenMarks
from portal.tickets.models import Ticket
from tests.factories import make_user
from tests.portal.test_chat import csrf_headers, send
from tests.portal.test_live_agents import desk_with_agents, escalate, signed_in, stand_in_rasa

LINK = re.compile(r"http://localhost/tickets/link/[A-Za-z0-9_-]{40,}")


@pytest.fixture
def live_app(make_app):
    rasa = stand_in_rasa()
    yield desk_with_agents(make_app, rasa)
    rasa.close()


def live_chat(app, email: str | None = "robin@example.com", customer=None):
    """A handed-off chat Alex has claimed; the visitor gave `email` (None: skipped)."""
    if customer is None:
        customer, conv, number = escalate(app)
        body = {"skip": True} if email is None else {"email": email}
        assert customer.post(f"/api/chat/conversations/{conv}/contact", json=body,
                             headers=csrf_headers(customer)).status_code == 200
    else:
        data = send(customer, "This is RIDICULOUS!!! I was charged twice and NOBODY fixed it. Money back NOW").get_json()
        conv = data["conversation_id"]
        with app.app_context():
            number = db.session.scalar(sa.select(Ticket.number).join(Conversation, Ticket.conversation_id == Conversation.id)
                                       .where(Conversation.public_id == conv))
    alex = signed_in(app, "alex@example.com")
    assert alex.post(f"/api/agent/tickets/{number}/claim", headers=alex.csrf).status_code == 200
    return customer, conv, number, alex


def reply(alex, number, text="The refund is on its way."):
    response = alex.post(f"/api/agent/tickets/{number}/messages", json={"text": text}, headers=alex.csrf)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response


def times(app, conv, seen=None, mailed=None, **ago):
    """Set (minutes ago) or read the conversation's seen and mailed times."""
    with app.app_context():
        row = db.session.scalar(sa.select(Conversation).where(Conversation.public_id == conv))
        for field, minutes in ago.items():
            setattr(row, field, None if minutes is None else utcnow() - timedelta(minutes=minutes))
        db.session.commit()
        return row.customer_seen_at, row.reply_mailed_at


def forget_marks(app):
    """Another worker: it has marked nothing yet."""
    app.extensions["customer_seen_marks"] = SeenMarks()


def test_a_customer_who_left_gets_the_reply_by_mail_with_the_agents_name_and_a_link(live_app, mailbox):
    customer, conv, number, alex = live_chat(live_app)
    times(live_app, conv, customer_seen_at=2)  # the tab was closed two minutes ago
    mailbox.clear()
    reply(alex, number, "The second charge is refunded today.")
    [mail] = mailbox
    assert mail.startswith("to=robin@example.com") and "The second charge is refunded today." in mail
    assert "Alex from Brightnest support replied in your chat" in mail and number in mail
    assert LINK.search(mail)
    assert customer.get(LINK.search(mail).group(0)).status_code == 303  # the link opens the ticket


def test_a_customer_following_the_chat_gets_no_mail(live_app, mailbox):
    customer, conv, number, alex = live_chat(live_app)
    times(live_app, conv, customer_seen_at=2)
    forget_marks(live_app)
    assert customer.get(f"/api/chat/conversations/{conv}/events?after=0").status_code == 200  # the widget polls
    mailbox.clear()
    reply(alex, number)
    assert mailbox == []


def test_a_customers_own_message_marks_the_chat_seen(live_app, mailbox):
    customer, conv, number, alex = live_chat(live_app)
    times(live_app, conv, customer_seen_at=5)
    send(customer, "Are you still there?", conversation_id=conv)
    seen, _ = times(live_app, conv)
    assert (utcnow() - seen).total_seconds() < 5
    mailbox.clear()
    reply(alex, number)
    assert mailbox == []


def test_polling_writes_seen_at_most_once_per_interval_on_each_worker_and_across_workers(live_app):
    customer, conv, _, _ = live_chat(live_app)
    times(live_app, conv, customer_seen_at=2)
    forget_marks(live_app)
    updates = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("UPDATE CHAT_CONVERSATIONS"):
            updates.append(statement)

    with live_app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(5):
            assert customer.get(f"/api/chat/conversations/{conv}/events?after=0").status_code == 200
        assert len(updates) == 1  # one worker: one write, the other polls skip the database
        first, _ = times(live_app, conv)
        assert (utcnow() - first).total_seconds() < 5
        forget_marks(live_app)  # a second worker polls too: its UPDATE finds the value fresh, changes nothing
        customer.get(f"/api/chat/conversations/{conv}/events?after=0")
        assert times(live_app, conv)[0] == first
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_one_mail_per_interval_unless_the_customer_came_back(live_app, mailbox):
    customer, conv, number, alex = live_chat(live_app)
    times(live_app, conv, customer_seen_at=2)
    mailbox.clear()
    reply(alex, number, "First.")
    reply(alex, number, "Second.")
    reply(alex, number, "Third.")
    assert len(mailbox) == 1 and "First." in mailbox[0]

    times(live_app, conv, reply_mailed_at=3, customer_seen_at=4)  # still gone, mailed 3 minutes ago
    reply(alex, number, "Fourth.")
    assert len(mailbox) == 1
    times(live_app, conv, reply_mailed_at=3, customer_seen_at=2)  # came back after that mail, left again
    reply(alex, number, "Fifth.")
    assert len(mailbox) == 2 and "Fifth." in mailbox[1]
    times(live_app, conv, reply_mailed_at=11, customer_seen_at=12)  # gone all along, but 11 minutes on
    reply(alex, number, "Sixth.")
    assert len(mailbox) == 3 and "Sixth." in mailbox[2]


def test_a_visitor_who_skipped_the_email_gets_nothing(live_app, mailbox):
    _, conv, number, alex = live_chat(live_app, email=None)
    times(live_app, conv, customer_seen_at=2)
    mailbox.clear()
    reply(alex, number)
    assert mailbox == []
    assert times(live_app, conv)[1] is None


def test_a_signed_in_customer_gets_it_at_their_account_address(live_app, mailbox):
    with live_app.app_context():
        make_user("casey@example.com", name="Casey Doe")
        db.session.commit()
    customer = signed_in(live_app, "casey@example.com")
    _, conv, number, alex = live_chat(live_app, customer=customer)
    times(live_app, conv, customer_seen_at=2)
    mailbox.clear()
    reply(alex, number, "Casey, it is refunded.")
    [mail] = mailbox
    assert mail.startswith("to=casey@example.com") and "Casey, it is refunded." in mail
    assert f"http://localhost/tickets/{number}" in mail and not LINK.search(mail)


@pytest.mark.parametrize("failure", ["refused", "raises"])
def test_a_mail_failure_is_logged_and_never_fails_the_reply(live_app, monkeypatch, caplog, failure):
    _, conv, number, alex = live_chat(live_app)
    times(live_app, conv, customer_seen_at=2)

    def broken(to, subject, body):
        if failure == "raises":
            raise RuntimeError("mail server exploded")
        return False  # portal.mail logged why (refused address, server down)

    monkeypatch.setattr("portal.tickets.mail.send_mail", broken)
    # Alembic's fileConfig (migrations run in this process) disables the loggers that exist then.
    monkeypatch.setattr(logging.getLogger("portal.handoff.customer_presence"), "disabled", False)
    with caplog.at_level(logging.ERROR, logger="portal.handoff.customer_presence"):
        response = reply(alex, number, "Kept whatever the mail does.")
    assert response.get_json()["text"] == "Kept whatever the mail does."
    with live_app.app_context():
        assert db.session.scalar(sa.select(Message.text).order_by(Message.id.desc()).limit(1)) == \
            "Kept whatever the mail does."
    assert times(live_app, conv)[1] is None  # not sent, so not counted: the next reply tries again
    if failure == "raises":
        assert "mailing the live reply" in caplog.text and "mail server exploded" in caplog.text
