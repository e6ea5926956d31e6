"""De-escalation coaching in a real browser: an agent handles a conversation, then opens their
own figures; a supervisor opens the team's table and follows it to that agent's page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_portal_browser import log_in

pytestmark = pytest.mark.e2e

REPLY = "I'm so sorry you were charged twice for BN-1048231. Would you prefer a refund today or a credit?"


def leave_a_message(page) -> str:
    """A visitor's chat, left for the team while the assistant is down; returns the ticket number."""
    page.goto("/chat")
    chat = page.locator(".chat-page")
    chat.locator("textarea").fill("I was charged twice for BN-1048231 and nobody answers!!")
    chat.get_by_role("button", name="Send").click()
    chat.get_by_role("button", name="Leave a message for our team").click()
    expect(chat.locator(".msg-system").last).to_contain_text("as ticket T-")
    return re.search(r"T-[A-Z0-9-]+", chat.locator(".msg-system").last.inner_text()).group(0).rstrip(".")


def console_call(page, path: str, body: dict | None = None) -> dict:
    """What the console's buttons send: a JSON POST with the page's CSRF token."""
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    response = page.request.post(path, data=body or {}, headers={"X-CSRFToken": token})
    assert response.ok, f"{path}: {response.status} {response.text()[:200]}"
    return response.json()


def test_an_agent_sees_their_own_coaching_and_a_supervisor_the_team(page, new_context):
    number = leave_a_message(page)

    agent = new_context().new_page()
    log_in(agent, "agent@example.com", "calm-agent-2026")
    agent.goto("/agent")
    console_call(agent, f"/api/agent/tickets/{number}/claim")
    console_call(agent, f"/api/agent/tickets/{number}/messages", {"text": REPLY})
    chat = page.locator(".chat-page")
    expect(chat.locator(".msg-agent").last).to_contain_text("charged twice")
    chat.locator("textarea").fill("ok a refund please, thank you")
    with page.expect_response(lambda r: r.url.endswith("/api/chat/messages")) as sent:
        chat.get_by_role("button", name="Send").click()
    assert sent.value.ok  # stored (and scored) before the agent resolves
    console_call(agent, f"/api/agent/tickets/{number}/resolve")

    agent.get_by_role("link", name="Coaching", exact=True).click()
    expect(agent).to_have_url(re.compile(r"/coaching$"))
    expect(agent.locator("h1")).to_have_text("Your de-escalation")
    expect(agent.locator("[data-testid=not-enough]")).to_contain_text("Not enough conversations yet")
    expect(agent.locator('[data-figure="mood_change"]')).to_contain_text("n = 1")
    expect(agent.locator('[data-figure="first_reply"]')).to_contain_text("n = 1")
    example = agent.locator("[data-example]").filter(has_text="Would you prefer a refund today")
    expect(example).to_contain_text("apologised")
    expect(example).to_contain_text("offered options")
    expect(example).to_contain_text("closed with a question")
    # An agent has no team table and no other agent's page.
    response = agent.goto("/supervisor/agents")
    assert response.status == 403

    supervisor = new_context().new_page()
    log_in(supervisor, "supervisor@example.com", "calm-supervisor-2026")
    supervisor.get_by_role("link", name="Coaching", exact=True).click()
    expect(supervisor).to_have_url(re.compile(r"/supervisor/agents$"))
    row = supervisor.locator("tr[data-agent]").filter(has_text="Alex Agent")
    expect(row.locator("td[data-rank]")).to_have_text("not enough conversations yet")
    row.get_by_role("link", name="Alex Agent").click()
    expect(supervisor.locator("h1")).to_have_text("Coaching: Alex Agent")
    expect(supervisor.locator("[data-testid=not-enough]")).to_contain_text("Alex Agent is not ranked")
    expect(supervisor.locator("[data-example]").filter(has_text="Would you prefer a refund today")).to_be_visible()

    # The period form changes the days shown; an impossible one is refused with its reason.
    supervisor.locator("input#from").fill("2020-01-01")
    supervisor.locator("input#to").fill("2020-01-31")
    supervisor.get_by_role("button", name="Show").click()
    expect(supervisor).to_have_url(re.compile(r"from=2020-01-01&to=2020-01-31"))
    expect(supervisor.locator("h2#outcomes-title")).to_have_text("Conversations: 0")
    response = supervisor.goto("/supervisor/agents?from=2026-02-30")
    assert response.status == 400
    expect(supervisor.locator("h1")).to_contain_text("YYYY-MM-DD")
