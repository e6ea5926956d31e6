"""Attachments end to end: a customer sends a photo in the chat and the agent sees it in the
console and on the ticket; the agent sends a PDF from the ticket page and the customer sees it
on their ticket. Both survive a reload. Desktop and phone sizes."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.accessibility import axe_violations
from tests.e2e.journeys import leave_a_message
from tests.e2e.test_portal_browser import log_in
from tests.portal.attachment_files import PDF, jpeg_with_gps

pytestmark = pytest.mark.e2e
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def shown(img) -> None:
    """The picture loaded and decoded (a broken one completes with no width): waits for it to arrive."""
    img.page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle(),
                               timeout=15_000)


@pytest.mark.parametrize("size", SIZES)
def test_photo_in_chat_and_pdf_on_the_ticket_reach_the_other_side(new_context, size):
    customer = new_context().new_page()
    customer.set_viewport_size(SIZES[size])
    number = leave_a_message(customer, "My parcel arrived crushed")
    chat = customer.locator("[data-chat]")

    agent = new_context().new_page()
    agent.set_viewport_size(SIZES[size])
    log_in(agent, "supervisor@example.com", "calm-supervisor-2026")
    agent.goto(f"/agent#{number}")
    console = agent.locator("[data-agent-console]")
    console.locator("[data-claim]").click()
    expect(console.locator("[data-ticket-state]")).to_contain_text("Live chat with")

    # The customer's photo reaches the open console live, as a message does.
    with customer.expect_file_chooser() as chooser:
        chat.get_by_role("button", name="Attach a photo or PDF").click()
    chooser.value.set_files({"name": "damage.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps()})
    photo = chat.locator(".msg-customer img.attachment-thumb")
    expect(photo).to_have_count(1)
    expect(photo).to_have_attribute("alt", "damage.jpg")
    shown(photo)
    seen = console.locator("[data-transcript] img.attachment-thumb")
    expect(seen).to_have_count(1)
    shown(seen)

    # The agent's PDF from the console reaches the customer's chat live.
    with agent.expect_file_chooser() as chooser:
        console.get_by_role("button", name="Attach a photo or PDF for the customer").click()
    chooser.value.set_files({"name": "returns-label.pdf", "mimeType": "application/pdf", "buffer": PDF})
    expect(chat.locator(".msg-agent").get_by_role("link", name=re.compile("returns-label.pdf"))).to_be_visible()
    assert axe_violations(customer, "[data-chat]") == []
    assert axe_violations(agent) == []

    customer.reload()  # both survive a reload, on each side
    expect(customer.locator("[data-chat] img.attachment-thumb")).to_have_count(1)
    expect(customer.locator("[data-chat]").get_by_role("link", name=re.compile("returns-label.pdf"))).to_be_visible()
    agent.reload()
    expect(console.locator("[data-transcript] img.attachment-thumb")).to_have_count(1)
    expect(console.locator("[data-briefing]")).to_contain_text("Attachments")

    agent.goto(f"/staff/tickets/{number}")
    expect(agent.locator("#attachments-h")).to_be_visible()
    agent.get_by_label("Attach a file").set_input_files(
        {"name": "refund-confirmation.pdf", "mimeType": "application/pdf", "buffer": PDF})
    agent.get_by_role("button", name="Send file").click()
    expect(agent.locator(".flash").first).to_contain_text(re.compile("File sent"))
    serious = axe_violations(agent)
    assert serious == [], serious

    customer.goto(f"/tickets/{number}")
    customer.keyboard.press("Escape")  # the chat resumes open on the next page; on a phone it covers it
    expect(customer.locator(".chat-widget")).to_be_hidden()
    link = customer.locator("#main").get_by_role("link", name=re.compile("refund-confirmation.pdf"))
    expect(link).to_be_visible()
    expect(customer.locator("#main img.attachment-thumb")).to_have_count(1)  # the photo is on the ticket too
    customer.reload()
    expect(link).to_be_visible()
    with customer.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "refund-confirmation.pdf"
    serious = axe_violations(customer)
    assert serious == [], serious
