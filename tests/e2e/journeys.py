"""Steps several browser tests share."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.test_portal_browser import log_in


def leave_a_message(customer: Page, text: str) -> str:
    """The demo customer writes in the chat while the assistant is down and leaves the message
    for the team: the ticket's number."""
    log_in(customer, "customer@example.com", "calm-customer-2026")
    customer.goto("/chat")
    chat = customer.locator("[data-chat]")
    chat.locator("textarea").fill(text)
    chat.get_by_role("button", name="Send").click()
    chat.get_by_role("button", name="Leave a message for our team").click()  # the assistant is down here
    thanks = chat.locator(".msg-system").filter(has_text=re.compile(r"[Tt]icket T-\d+"))
    expect(thanks).to_have_count(1)
    return re.search(r"T-\d+", thanks.inner_text()).group(0)
