"""Contact at handoff in a real browser: a visitor handed to a person gives an email in the
chat (keyboard only, with a clear error first), an agent's reply is mailed with a link, and
the link opens the ticket in another browser. At desktop and phone sizes; axe-core finds no
serious violation on the prompt or the reopened ticket."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.accessibility import axe_violations
from tests.e2e.test_portal_browser import log_in

pytestmark = pytest.mark.e2e

SIZES = [pytest.param({"width": 1280, "height": 800}, id="desktop"), pytest.param({"width": 390, "height": 844}, id="phone")]


def hand_off(page) -> tuple:
    """The assistant is down in these tests, so the visitor leaves a message: a handoff to the team."""
    page.goto("/kb/charged-twice-double-charge")
    page.get_by_role("button", name="Chat with us").click()
    widget = page.locator(".chat-widget")
    widget.locator("textarea").fill("I was charged twice for BN-1048231, please help")
    widget.locator("textarea").press("Enter")
    widget.get_by_role("button", name="Leave a message for our team").click()
    expect(widget.locator(".msg-system").last).to_contain_text(re.compile(r"[Tt]icket T-\d+"))
    number = re.search(r"T-\d+", widget.locator(".msg-system").last.inner_text()).group(0)
    return widget, number


@pytest.mark.parametrize("size", SIZES)
def test_a_visitor_gives_an_email_at_handoff_and_reopens_the_ticket_from_the_mailed_link(
        page, new_context, mailed_link, size):
    email = f"robin-{size['width']}@example.com"
    page.set_viewport_size(size)
    widget, number = hand_off(page)

    prompt = widget.get_by_role("form", name="Get the reply by email?")
    expect(prompt).to_be_visible()
    field = prompt.get_by_label("Your email address")
    expect(field).to_be_focused()  # the customer was in the chat: the question takes the focus
    assert axe_violations(page, ".chat-widget") == []

    # Keyboard only: a wrong address gets a clear error tied to the field, and nothing is kept.
    page.keyboard.type("robin@")
    page.keyboard.press("Enter")
    error = prompt.locator(".chat-contact-error")
    expect(error).to_contain_text("something after the @-sign")
    expect(field).to_have_attribute("aria-invalid", "true")
    assert error.get_attribute("id") in field.get_attribute("aria-describedby").split()
    expect(field).to_be_focused()
    assert axe_violations(page, ".chat-widget") == []
    field.fill("")
    page.keyboard.type(email)
    page.keyboard.press("Enter")
    expect(widget.locator(".chat-contact-note")).to_have_text(f"Replies will also be emailed to {email}.")
    expect(prompt).to_have_count(0)

    # A reload does not ask again; the answer is shown, and the ticket page shows it too.
    page.reload()
    expect(widget).to_be_visible()  # the chat resumes open, as it was
    expect(widget.locator(".chat-contact-note")).to_contain_text(email)
    expect(widget.locator(".chat-contact-form")).to_have_count(0)
    page.goto(f"/tickets/{number}")
    expect(page.locator(".ticket-contact")).to_contain_text(email)

    # An agent takes the ticket and replies: the mail (in the server's log) carries a link.
    staff = new_context().new_page()
    log_in(staff, "agent@example.com", "calm-agent-2026")
    staff.goto(f"/staff/tickets/{number}")
    expect(staff.locator(".ticket-meta, main").first).to_contain_text(email)
    staff.get_by_label("Assign to").select_option(label="Alex Agent")
    staff.get_by_role("button", name="Assign", exact=True).click()
    staff.get_by_label("Reply to the customer").fill("Sorry about that. The second charge is refunded today.")
    staff.get_by_role("button", name="Send reply").click()
    expect(staff.get_by_text("Reply sent to the customer.")).to_be_visible()
    link = mailed_link(email)
    assert re.search(r"/tickets/link/[A-Za-z0-9_-]{40,}$", link), link

    # Another browser, no cookie, no account: the link opens that ticket.
    fresh = new_context().new_page()
    fresh.set_viewport_size(size)
    fresh.goto(link)
    expect(fresh).to_have_url(re.compile(rf"/tickets/{number}$"))
    expect(fresh.locator(".thread")).to_contain_text("The second charge is refunded today.")
    assert axe_violations(fresh) == []
    fresh.get_by_label("Your reply").fill("Thank you, I can see it now.")
    fresh.get_by_role("button", name="Send reply").click()
    expect(fresh.locator(".thread")).to_contain_text("Thank you, I can see it now.")
    fresh.goto("/tickets/link/not-a-real-link-not-a-real-link")
    expect(fresh.get_by_text("mistyped or has expired")).to_be_visible()


def test_a_visitor_can_skip_the_question_with_the_keyboard(page):
    page.set_viewport_size({"width": 390, "height": 844})
    widget, _ = hand_off(page)
    prompt = widget.get_by_role("form", name="Get the reply by email?")
    expect(prompt.get_by_label("Your email address")).to_be_focused()
    page.keyboard.press("Tab")  # Save email
    page.keyboard.press("Tab")  # Skip
    expect(prompt.get_by_role("button", name="Skip")).to_be_focused()
    page.keyboard.press("Enter")
    expect(prompt).to_have_count(0)
    expect(widget.locator(".chat-status")).to_contain_text("The reply will be here in the chat.")
    page.reload()
    expect(widget).to_be_visible()  # the chat resumes open, as it was
    expect(widget.locator(".msg-customer")).to_have_count(1)
    expect(widget.locator(".chat-contact-form")).to_have_count(0)
