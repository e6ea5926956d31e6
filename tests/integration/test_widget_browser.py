"""The chat widget in Chromium against the real stack: articles and buttons from the real
bot, "That solved it", and an angry customer handed off with a ticket number."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.integration, pytest.mark.e2e]
expect.set_options(timeout=30_000)  # a bot turn waits on Rasa and the action server


@pytest.fixture
def page(browser, stack):
    context = browser.new_context(base_url=stack.portal_url, locale="en-GB")
    context.set_default_timeout(30_000)  # a bot turn may wait on Rasa
    page = context.new_page()
    yield page
    context.close()


def open_widget(page):
    page.goto("/")
    page.get_by_role("button", name="Chat with us").click()
    widget = page.locator(".chat-widget")
    expect(widget).to_be_visible()
    return widget


def say(widget, text):
    widget.locator("textarea").fill(text)
    widget.locator("textarea").press("Enter")


def test_the_bot_offers_articles_and_that_solved_it_resolves(page):
    widget = open_widget(page)
    say(widget, "How do I reset my password? I can't log in")
    links = widget.locator("a[href^='/kb/']")
    expect(links.first).to_be_visible()
    assert 1 <= links.count() <= 3
    assert any("password" in links.nth(i).inner_text().lower() for i in range(links.count()))
    widget.get_by_role("button", name="That solved it").click()
    expect(widget.locator(".msg-customer").last).to_have_text("That solved it")
    expect(widget.locator(".msg-bot").last).to_contain_text(re.compile(r"glad|good to hear", re.I))


def test_an_angry_customer_sees_an_apology_and_a_ticket_number(page):
    widget = open_widget(page)
    say(widget, "Where is my order BN-3300129?")
    expect(widget.locator(".msg-bot").first).to_be_visible()
    say(widget, "This is UNACCEPTABLE!!! Three weeks and nothing, I'm cancelling and writing a review everywhere")
    expect(widget.locator(".msg-bot", has_text=re.compile(r"\bT-\d{6}\b"))).to_be_visible()
    bot_texts = widget.locator(".msg-bot").all_inner_texts()
    assert any(re.search(r"\bsorry\b", t, re.I) for t in bot_texts), bot_texts
