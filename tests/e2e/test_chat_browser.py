"""The chat widget in a real browser, with the assistant down: nothing typed is lost."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_widget_keeps_the_message_and_leaves_it_for_the_team_when_the_assistant_is_down(page):
    page.goto("/kb/charged-twice-double-charge")
    widget = page.locator(".chat-widget")
    expect(widget).to_be_hidden()
    page.get_by_role("button", name="Chat with us").click()
    expect(widget).to_be_visible()
    widget.locator("textarea").fill("I was charged twice for BN-1048231 and nobody answers!!")
    widget.locator("textarea").press("Enter")
    expect(widget.locator(".msg-customer")).to_have_text("I was charged twice for BN-1048231 and nobody answers!!")
    expect(widget.locator(".msg-system").first).to_contain_text("not available")
    expect(widget.get_by_role("link", name="Search help articles")).to_be_visible()
    widget.get_by_role("button", name="Leave a message for our team").click()
    expect(widget.locator(".msg-system").last).to_contain_text("as ticket T-")

    # The conversation survives a reload: the widget restores it from the server.
    page.reload()
    page.get_by_role("button", name="Chat with us").click()
    expect(widget.locator(".msg-customer")).to_have_text("I was charged twice for BN-1048231 and nobody answers!!")
    expect(widget.locator(".msg-system").last).to_contain_text("T-")


def test_full_page_chat(page):
    page.goto("/chat")
    chat = page.locator(".chat-page")
    expect(chat).to_be_visible()
    expect(page.locator("[data-chat-toggle]")).to_have_count(0)
    chat.locator("textarea").fill("hello")
    chat.get_by_role("button", name="Send").click()
    expect(chat.locator(".msg-customer")).to_have_text("hello")
    expect(chat.locator(".msg-system")).to_contain_text("not available")


def test_a_message_whose_answer_was_lost_is_sent_again_and_stored_once(page):
    page.goto("/chat")
    chat = page.locator(".chat-page")
    chat.locator("textarea").fill("hello")
    chat.get_by_role("button", name="Send").click()
    expect(chat.locator(".msg-system")).to_contain_text("not available")

    sent = []

    def lose_the_first_answer(route):
        sent.append(route.request.post_data_json)
        if len(sent) == 1:
            route.fetch()  # the server stores the message...
            route.abort("connectionreset")  # ...but the browser never hears back
        else:
            route.continue_()

    page.route("**/api/chat/messages", lose_the_first_answer)
    chat.locator("textarea").fill("My parcel BN-2231 never came")
    chat.get_by_role("button", name="Send").click()
    for _ in range(100):  # the widget retries after half a second
        if len(sent) >= 2:
            break
        page.wait_for_timeout(100)
    assert len(sent) == 2
    assert sent[0]["client_id"] and sent[1]["client_id"] == sent[0]["client_id"]
    page.unroute("**/api/chat/messages")

    page.reload()
    expect(chat.locator(".msg-customer")).to_have_count(2)
    expect(chat.locator(".msg-customer").last).to_have_text("My parcel BN-2231 never came")
