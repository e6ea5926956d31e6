"""The link in a reply's email: a visitor without an account opens their ticket from any
browser with it, and it opens that ticket only; a wrong or expired link opens nothing."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from portal.clock import utcnow
from portal.extensions import db
from portal.tickets.models import TicketLink
from tests.portal.attachment_files import image_bytes
from tests.portal.ticket_builders import as_user, base_people, listed_tickets, make_ticket, page_token, ticket_by_number

VISITOR = "visitor-cookie-aaaaaaaaaaaaaaaa"
LINK = re.compile(r"http://localhost(/tickets/link/([A-Za-z0-9_-]+))")


@pytest.fixture
def people(desk):
    with desk.app_context():
        return SimpleNamespace(**base_people())


def visitor_ticket(desk, people, email="robin@example.com") -> str:
    number = make_ticket(desk, visitor=VISITOR, assignee=people.ann)
    with desk.app_context():
        ticket_by_number(number).contact_email = email
        db.session.commit()
    return number


def staff_reply(desk, number, mailbox, text="Your refund is on its way.") -> str:
    """The mail the agent's reply sent ('' for none)."""
    mailbox.clear()
    ann = as_user(desk, "ann@example.com")
    response = ann.post(f"/staff/tickets/{number}/reply", data={"reply": text, "csrf_token": page_token(ann)})
    assert response.status_code == 303
    return "\n".join(mailbox)


def test_a_reply_is_mailed_with_a_link_that_opens_the_ticket_in_a_fresh_browser(desk, people, mailbox):
    number = visitor_ticket(desk, people)
    other = make_ticket(desk, visitor=VISITOR, text="And my other order never came")  # the same visitor's
    mail = staff_reply(desk, number, mailbox)
    assert "to=robin@example.com" in mail and "Your refund is on its way." in mail
    path, token = LINK.search(mail).groups()
    with desk.app_context():  # only the token's hash is kept
        assert db.session.scalar(sa.select(sa.func.count(TicketLink.id)).where(TicketLink.token_hash == token)) == 0
        assert db.session.scalar(sa.select(sa.func.count(TicketLink.id))) == 1

    fresh = desk.test_client()  # another browser: no visitor cookie, no account
    assert fresh.get(f"/tickets/{number}").status_code == 404
    opened = fresh.get(path)
    assert opened.status_code == 303 and opened.headers["Location"].endswith(f"/tickets/{number}")
    assert 'data-unread-count="1"' in fresh.get("/kb/").get_data(as_text=True)  # the nav counts its new reply
    page = fresh.get(f"/tickets/{number}")
    assert page.status_code == 200 and "Your refund is on its way." in page.get_data(as_text=True)
    assert listed_tickets(fresh.get("/tickets").get_data(as_text=True)) == [number]
    assert fresh.get(f"/tickets/{other}").status_code == 404  # that ticket only, not the visitor's others
    answer = fresh.post(f"/tickets/{number}/reply", data={"text": "Thanks, it arrived.",
                                                          "csrf_token": page_token(fresh, f"/tickets/{number}")})
    assert answer.status_code == 303
    with desk.app_context():
        assert ticket_by_number(number).conversation.messages[-1].text == "Thanks, it arrived."


@pytest.mark.parametrize("token", ["not-a-link-not-a-link-0", "x" * 101, "short", "%00" * 30])
def test_a_wrong_link_opens_nothing(desk, people, mailbox, token):
    number = visitor_ticket(desk, people)
    staff_reply(desk, number, mailbox)
    fresh = desk.test_client()
    response = fresh.get(f"/tickets/link/{token}")
    assert response.status_code == 404 and "mistyped or has expired" in response.get_data(as_text=True)
    assert fresh.get(f"/tickets/{number}").status_code == 404


def test_an_expired_link_opens_nothing(desk, people, mailbox):
    number = visitor_ticket(desk, people)
    path, _ = LINK.search(staff_reply(desk, number, mailbox)).groups()
    with desk.app_context():
        db.session.execute(sa.update(TicketLink).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    fresh = desk.test_client()
    assert fresh.get(path).status_code == 404
    assert fresh.get(f"/tickets/{number}").status_code == 404


def test_each_mail_has_its_own_link_and_the_older_ones_still_work(desk, people, mailbox):
    number = visitor_ticket(desk, people)
    first, _ = LINK.search(staff_reply(desk, number, mailbox)).groups()
    second, _ = LINK.search(staff_reply(desk, number, mailbox, "One more thing.")).groups()
    assert first != second
    for path in (first, second):
        assert desk.test_client().get(path).status_code == 303


def test_a_customer_with_an_account_gets_no_link_but_my_tickets(desk, people, mailbox):
    number = make_ticket(desk, customer=people.casey, assignee=people.ann)
    mail = staff_reply(desk, number, mailbox)
    assert "to=casey@example.com" in mail and "under My tickets" in mail and not LINK.search(mail)
    with desk.app_context():
        assert db.session.scalar(sa.select(sa.func.count(TicketLink.id))) == 0


def test_no_address_means_no_mail_and_no_link(desk, people, mailbox):
    number = visitor_ticket(desk, people, email="")
    assert staff_reply(desk, number, mailbox) == ""
    with desk.app_context():
        assert db.session.scalar(sa.select(sa.func.count(TicketLink.id))) == 0


def test_the_link_opens_the_tickets_files_and_takes_new_ones(desk, people, mailbox):
    """The ticket page a link opens shows the chat's photos and offers to attach: both must work."""
    number = visitor_ticket(desk, people)
    visitor = desk.test_client()
    visitor.set_cookie("calmline_visitor", VISITOR)
    with desk.app_context():
        conversation = ticket_by_number(number).conversation.public_id
    sent = visitor.post("/api/chat/attachments", headers={"X-CSRFToken": page_token(visitor)},
                        data={"conversation_id": conversation, "file": (io.BytesIO(image_bytes("PNG")), "box.png")},
                        content_type="multipart/form-data")
    assert sent.status_code == 201, sent.get_json()
    photo = sent.get_json()["message"]["attachments"][0]
    path, _ = LINK.search(staff_reply(desk, number, mailbox)).groups()

    fresh = desk.test_client()
    assert fresh.get(photo["preview"]).status_code == 404  # not before the link
    fresh.get(path)
    assert photo["preview"] in fresh.get(f"/tickets/{number}").get_data(as_text=True)
    for url in (photo["url"], photo["preview"]):
        assert fresh.get(url).status_code == 200, url
    more = fresh.post(f"/tickets/{number}/attachments", content_type="multipart/form-data",
                      data={"file": (io.BytesIO(image_bytes("JPEG")), "label.jpg"),
                            "csrf_token": page_token(fresh, f"/tickets/{number}")})
    assert more.status_code == 303
    assert "label.jpg" in fresh.get(f"/tickets/{number}").get_data(as_text=True)


def test_a_browser_keeps_the_ticket_only_while_its_link_lives(desk, people, mailbox):
    """The mail says the link works for TICKET_LINK_DAYS: so does the browser that opened it."""
    number = visitor_ticket(desk, people)
    path, _ = LINK.search(staff_reply(desk, number, mailbox)).groups()
    fresh = desk.test_client()
    fresh.get(path)
    assert fresh.get(f"/tickets/{number}").status_code == 200
    with desk.app_context():
        db.session.execute(sa.update(TicketLink).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert fresh.get(f"/tickets/{number}").status_code == 404
    assert listed_tickets(fresh.get("/tickets").get_data(as_text=True)) == []


def test_a_corrected_address_takes_the_ticket_back_from_the_old_one(desk, people, mailbox):
    """A mistyped address got a link; once the visitor corrects it, that link and the browser
    that opened it no longer open the ticket (the right address gets new links)."""
    number = visitor_ticket(desk, people, email="robin@exmaple.com")
    path, _ = LINK.search(staff_reply(desk, number, mailbox)).groups()
    stranger = desk.test_client()
    stranger.get(path)
    assert stranger.get(f"/tickets/{number}").status_code == 200
    visitor = desk.test_client()
    visitor.set_cookie("calmline_visitor", VISITOR)
    with desk.app_context():
        conversation = ticket_by_number(number).conversation.public_id
    corrected = visitor.post(f"/api/chat/conversations/{conversation}/contact", json={"email": "robin@example.com"},
                             headers={"X-CSRFToken": page_token(visitor)})
    assert corrected.status_code == 200
    assert stranger.get(f"/tickets/{number}").status_code == 404
    assert desk.test_client().get(path).status_code == 404
    assert "to=robin@example.com" in staff_reply(desk, number, mailbox)
