"""A reply an agent writes in a live chat reaches a visitor who closed the tab: on the real path
(gunicorn, Chromium following the chat's event stream, the agent's console API, the mail in the
server's log), the reply is mailed with a link that reopens the ticket once the visitor's page
has been closed for CUSTOMER_AWAY_SECONDS (10 here, tests/stack.py), and not while it is open."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SERVER_LOGS
from tests.e2e.test_messenger_browser import agent_session, leave_message_for_the_team, open_widget

pytestmark = pytest.mark.e2e
EMAIL = "sasha.leaves@example.com"
AWAY_SECONDS = 10


def chat_mails(live_server) -> list[str]:
    """The live-chat reply mails to EMAIL in the server's log, oldest first."""
    mails = SERVER_LOGS[live_server].read_text(errors="replace").split(" to=")[1:]
    return [m for m in mails if m.startswith(EMAIL + " ") and "replied in your chat" in m]


def test_a_live_reply_is_mailed_once_the_visitor_has_closed_the_page_and_not_while_it_is_open(
        page, new_context, live_server):
    page.set_viewport_size({"width": 1280, "height": 800})
    widget = open_widget(page)
    number = leave_message_for_the_team(widget)
    prompt = widget.get_by_role("form", name="Get the reply by email?")
    prompt.get_by_label("Your email address").fill(EMAIL)
    prompt.get_by_label("Your email address").press("Enter")
    expect(widget.locator(".chat-contact-note")).to_contain_text(EMAIL)

    staff, post = agent_session(new_context)
    post(f"/api/agent/tickets/{number}/claim")
    expect(widget.locator(".msg-agent").first).to_be_visible()  # the widget follows the live chat

    # The page stays open longer than the away time: the stream keeps the visitor "seen", no mail.
    time.sleep(AWAY_SECONDS + 3)
    post(f"/api/agent/tickets/{number}/messages", {"text": "While you are here: I see both charges."})
    expect(widget.locator(".msg-agent").last).to_contain_text("I see both charges.")
    time.sleep(2)
    assert chat_mails(live_server) == []

    # The visitor closes the tab; the agent goes on writing. Once the page has been gone for the
    # away time (and the server noticed the stream closed), one reply is mailed.
    page.close()
    started = time.monotonic()
    sent = []
    while not chat_mails(live_server):
        assert time.monotonic() - started < 75, "no mail for a reply to a visitor who closed the page"
        text = f"Refund {len(sent) + 1} of the double charge is on its way."
        post(f"/api/agent/tickets/{number}/messages", {"text": text})
        sent.append(text)
        time.sleep(3)
    print(f"\nmailed {time.monotonic() - started:.0f} s after the page closed, after {len(sent)} replies")
    [mail] = chat_mails(live_server)
    assert "Alex from" in mail and number in mail
    assert sent[-1] in mail, mail  # the reply that was mailed (in its request), word for word
    link = re.search(r"https?://\S+/tickets/link/[A-Za-z0-9_-]{40,}", mail).group(0)

    # Not flooded: more replies within CHAT_REPLY_MAIL_MINUTES send no more mail.
    post(f"/api/agent/tickets/{number}/messages", {"text": "One more detail for your records."})
    time.sleep(1)
    assert len(chat_mails(live_server)) == 1

    # The link opens the ticket in any browser, with the whole chat.
    fresh = new_context().new_page()
    fresh.goto(link)
    expect(fresh).to_have_url(re.compile(rf"/tickets/{number}$"))
    expect(fresh.locator(".thread")).to_contain_text(sent[-1])
    staff.close()
