"""The community forum in a real browser: a customer asks (and is shown what already answers
it), another member replies, the asker accepts the answer, a member flags a spam reply, and
a moderator hides it from the moderation queue. Three people, three browser contexts."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.test_portal_browser import log_in

pytestmark = pytest.mark.e2e


def test_ask_reply_accept_flag_and_a_moderator_hides_from_the_queue(page, new_context):
    run = uuid.uuid4().hex[:6]
    log_in(page, "customer@example.com", "calm-customer-2026")
    expect(page.locator("span.who")).to_have_text("Casey")

    # Ask before you post: typing the title brings up what already answers it.
    page.goto("/forum/new")
    page.locator("input[name=title]").press_sequentially("Courier says delivered but no parcel", delay=20)
    similar = page.locator("#similar")
    expect(similar).to_be_visible()
    expect(similar.locator("li").first).to_be_visible()
    expect(similar).to_contain_text("Courier says delivered, but the parcel isn't here")
    expect(similar).to_contain_text("Answered")

    title = f"Parcel left with the wrong neighbour? ({run})"
    page.locator("input[name=title]").fill(title)
    page.locator("select[name=category]").select_option(label="Orders & delivery")
    page.locator("textarea[name=body]").fill("The photo shows a door that isn't mine. How do I find out which house?")
    page.locator("input[name=tags]").fill("delivery, neighbours")
    page.get_by_role("button", name="Post thread").click()
    expect(page.locator("h1")).to_contain_text(title)
    thread_url = page.url

    # Another member replies (the demo moderator also posts as a member).
    helper = new_context().new_page()
    log_in(helper, "moderator@example.com", "calm-moderator-2026")
    helper.goto(thread_url)
    helper.locator("#reply-body").fill("Check the house numbers either side first, then ask the courier for the GPS pin.")
    helper.get_by_role("button", name="Post reply").click()
    answer = helper.locator("li.post", has_text="GPS pin")
    expect(answer).to_be_visible()

    # A spam reply from an agent's account (any member can post).
    spammer = new_context().new_page()
    log_in(spammer, "agent@example.com", "calm-agent-2026")
    spammer.goto(thread_url)
    spammer.locator("#reply-body").fill(f"Cheap watches at cheap-watches.example, use code SPAM{run}")
    spammer.get_by_role("button", name="Post reply").click()
    expect(spammer.locator("li.post", has_text=f"SPAM{run}")).to_be_visible()

    # The asker accepts the helpful reply...
    page.goto(thread_url)
    page.locator("li.post", has_text="GPS pin").get_by_role("button", name="Mark as answer").click()
    expect(page.locator("li.post-accepted")).to_contain_text("GPS pin")
    expect(page.locator("li.post-accepted .badge-answered")).to_have_text("Accepted answer")

    # ...and flags the spam with a note.
    spam = page.locator("li.post", has_text=f"SPAM{run}")
    spam.locator("details.flag-post summary").click()
    spam.locator("input[name=reason][value=spam]").check()
    spam.locator("textarea[name=note]").fill("Advert for watches")
    spam.get_by_role("button", name="Send to the moderators").click()
    expect(page.locator(".flash")).to_contain_text(re.compile("moderator", re.I))

    # The moderator finds it in the queue with the reason and the note, and hides it.
    helper.goto("/moderation")
    item = helper.locator("li.mod-item", has_text=f"SPAM{run}")
    expect(item).to_contain_text("1 open flag")
    expect(item).to_contain_text("spam")
    expect(item).to_contain_text("Advert for watches")
    item.locator("input[name=reason]").first.fill("Advertising")
    item.get_by_role("button", name="Hide post").click()
    expect(helper.locator("li.mod-item", has_text=f"SPAM{run}")).to_have_count(0)

    # Members no longer see it; the accepted answer stays.
    page.goto(thread_url)
    expect(page.locator("li.post", has_text=f"SPAM{run}")).to_have_count(0)
    expect(page.locator("li.post-accepted")).to_contain_text("GPS pin")
    # The moderator still sees it, marked hidden with the reason.
    helper.goto(thread_url)
    expect(helper.locator("li.post", has_text=f"SPAM{run}")).to_contain_text("Hidden: Advertising")
