"""What a visitor, a customer and a supervisor do in a real browser, end to end."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
STRONG_PASSWORD = "quiet-harbour-lantern-42"


def log_in(page, email: str, password: str) -> None:
    page.goto("/auth/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()


def test_typo_search_vote_and_staff_counts(page, new_context, tmp_path):
    page.goto("/")
    search = page.locator("input#site-search")
    search.fill("refnd")
    search.press("Enter")

    expect(page).to_have_url(re.compile(r"/search\?q=refnd"))
    expect(page.locator("p.did-you-mean")).to_contain_text("refund")
    results = page.locator("li.result")
    expect(results.first).to_be_visible()

    shot = tmp_path / "search-results.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert len(data) > len(PNG_MAGIC) and data.startswith(PNG_MAGIC)

    results.first.locator("a").first.click()
    expect(page).to_have_url(re.compile(r"/kb/[a-z0-9-]+$"))
    expect(page.locator("h1")).to_be_visible()
    article_path = urlsplit(page.url).path

    expect(page.get_by_text("Was this helpful?")).to_be_visible()
    page.locator("textarea#vote-comment").fill("Clear steps, thanks from the e2e test.")
    page.get_by_role("button", name="Yes", exact=True).click()

    expect(page.locator("p.flash-success")).to_contain_text("Thank you")
    expect(page.locator("p.voted")).to_contain_text("You found this article helpful")
    # An anonymous visitor never sees the staff tallies.
    expect(page.locator("[data-testid=vote-counts]")).to_have_count(0)

    staff = new_context().new_page()
    log_in(staff, "supervisor@example.com", "calm-supervisor-2026")
    expect(staff.locator("span.who")).to_have_text("Sam")
    staff.goto(article_path)
    counts = staff.locator("[data-testid=vote-counts]")
    expect(counts).to_contain_text("1 found it helpful")
    expect(counts).to_contain_text("0 did not")
    expect(counts).to_contain_text("Clear steps, thanks from the e2e test.")


def test_suggestions_as_you_type(page):
    page.goto("/")
    search = page.locator("input#site-search")
    search.click()
    search.press_sequentially("charg", delay=120)

    suggestions = page.locator("ul#site-search-suggestions li")
    match = suggestions.filter(has_text=re.compile("charged twice", re.IGNORECASE))
    expect(match.first).to_be_visible()
    match.first.locator("a").click()

    expect(page).to_have_url(re.compile(r"/kb/charged-twice-double-charge$"))
    expect(page.locator("h1")).to_contain_text(re.compile("charged twice", re.IGNORECASE))


def test_register_log_out_and_log_back_in(page, mailed_link):
    email = f"e2e-{uuid.uuid4().hex[:12]}@example.com"
    page.goto("/auth/register")
    page.locator("input[name=name]").fill("Robin Quill")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(STRONG_PASSWORD)
    page.locator("input[name=confirm]").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Create account", exact=True).click()

    # The same answer whether the address has an account or not; the link comes by email.
    expect(page.locator("h1")).to_have_text("Check your email")
    page.goto(mailed_link(email))
    page.get_by_role("button", name="Create my account", exact=True).click()

    expect(page.locator("p.flash-success")).to_contain_text("Welcome")
    expect(page.locator("span.who")).to_have_text("Robin")

    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page.locator("p.flash-success")).to_contain_text("logged out")
    expect(page.locator("span.who")).to_have_count(0)
    expect(page.locator("nav.account").get_by_role("link", name="Log in", exact=True)).to_be_visible()

    log_in(page, email, STRONG_PASSWORD)
    expect(page.locator("p.flash-success")).to_contain_text("Welcome back")
    expect(page.locator("span.who")).to_have_text("Robin")


def test_bad_login_is_refused_with_a_message(page):
    log_in(page, "customer@example.com", "not-the-right-password")

    expect(page.locator("p.flash-error")).to_contain_text("do not match")
    expect(page.locator("nav.account").get_by_role("link", name="Log in", exact=True)).to_be_visible()
    expect(page.locator("span.who")).to_have_count(0)


def test_common_password_is_refused_and_no_account_is_created(page):
    email = f"e2e-weak-{uuid.uuid4().hex[:12]}@example.com"
    page.goto("/auth/register")
    page.locator("input[name=name]").fill("Weak Willow")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill("password123")
    page.locator("input[name=confirm]").fill("password123")
    page.get_by_role("button", name="Create account", exact=True).click()

    expect(page.locator("p.field-error")).to_be_visible()
    expect(page.locator("p.field-error").first).not_to_be_empty()
    expect(page.locator("span.who")).to_have_count(0)

    log_in(page, email, "password123")
    expect(page.locator("p.flash-error")).to_contain_text("do not match")
    expect(page.locator("span.who")).to_have_count(0)


def test_an_agent_finds_an_article_in_other_words_and_puts_its_link_in_the_reply(page):
    log_in(page, "agent@example.com", "calm-agent-2026")
    page.goto("/agent")
    lookup = page.locator("[data-article-lookup]")
    # No word of a refund article's title: "money back", not "refund".
    lookup.locator("#agent-article-q").fill("when does my money come back after I send something back")
    lookup.get_by_role("button", name="Find").click()
    found = lookup.locator("[data-article-results] li").filter(has=page.locator("a[href*=refund]")).first
    expect(found).to_be_visible()
    found.get_by_role("button", name=re.compile("^Insert a link to")).click()
    reply = page.locator("#agent-reply").input_value()
    assert "/kb/" in reply and "refund" in reply
