"""The agent console never loses a customer's message, or a note, to its own refresh.

Claiming a chat publishes a status event; the console then fetches the ticket again and
redraws the transcript. A message that arrives live while that fetch is on its way is newer
than the detail the fetch returns: the redraw must keep it, since its event will not come
again. The test holds the refresh's answer (taken before the message was sent) until the
message is on screen, then lets it through."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import leave_a_message
from tests.e2e.test_portal_browser import log_in

pytestmark = pytest.mark.e2e


def test_a_message_that_arrives_during_a_refresh_stays_in_the_transcript(new_context):
    customer = new_context().new_page()
    number = leave_a_message(customer, "My parcel arrived crushed")
    chat = customer.locator("[data-chat]")

    agent = new_context().new_page()
    log_in(agent, "supervisor@example.com", "calm-supervisor-2026")
    agent.goto(f"/agent#{number}")
    console = agent.locator("[data-agent-console]")
    expect(console.locator("[data-transcript]")).to_contain_text("My parcel arrived crushed")

    held = []

    def hold(route):
        if route.request.method != "GET" or held:
            route.fallback()
            return
        held.append((route, route.fetch()))  # the detail as it is now, before the next message

    agent.route(re.compile(rf"/api/agent/tickets/{number}$"), hold)
    console.locator("[data-claim]").click()  # publishes a status event: the console fetches the ticket again
    deadline = time.monotonic() + 15
    while not held and time.monotonic() < deadline:
        agent.wait_for_timeout(50)
    assert held, "the console did not fetch the ticket again after the claim"

    chat.locator("textarea").fill("It is the second time this happens")
    chat.get_by_role("button", name="Send").click()
    transcript = console.locator("[data-transcript]")
    expect(transcript).to_contain_text("It is the second time this happens")
    console.get_by_label("Internal note (never shown to the customer)").fill("Courier photo requested")
    console.get_by_role("button", name="Add note").click()
    notes = console.locator("[data-notes]")
    expect(notes).to_contain_text("Courier photo requested")

    route, stale = held[0]
    detail = stale.json()
    assert "It is the second time this happens" not in str(detail["messages"])
    assert "Courier photo requested" not in str(detail["notes"])
    detail["customer"] = "Snapshot From Before"  # shows when the late answer has been drawn
    route.fulfill(response=stale, json=detail)
    expect(console.locator("[data-ticket-title]")).to_contain_text("Snapshot From Before")
    expect(transcript).to_contain_text("My parcel arrived crushed")
    expect(transcript).to_contain_text("It is the second time this happens")
    expect(transcript.locator("li", has_text="It is the second time this happens")).to_have_count(1)
    expect(notes.locator("li", has_text="Courier photo requested")).to_have_count(1)
