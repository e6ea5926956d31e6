"""One full role-play in a real browser: an agent practises the billing scenario to the end, the
attempt shows in their history, and the supervisor sees it on the team's progress page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_portal_browser import log_in

pytestmark = pytest.mark.e2e

REPLIES = [
    "I'm so sorry, Dana. I can see why you're angry: order BN-2210457 was charged twice and nobody answered your "
    "email. I can refund the second payment today, or keep it as credit. Which would you prefer?",
    "Thank you. I've started the refund of the second £249 for BN-2210457 now, and I'm sorry again for the wait. "
    "Would you like the confirmation by email?",
    "Done. It should be back in your account within five days. Is there anything else I can help with?",
]


def test_an_agent_practises_a_scenario_to_the_end_and_the_supervisor_sees_it(page, new_context, tmp_path):
    log_in(page, "agent@example.com", "calm-agent-2026")
    page.get_by_role("link", name="Training", exact=True).click()
    expect(page.get_by_role("heading", name="Role-play trainer")).to_be_visible()
    expect(page.locator("section.scenario")).to_have_count(5)

    page.locator("#scenario-billing_error").get_by_role("button", name="Practise with Dana").click()
    expect(page).to_have_url(re.compile(r"/training/attempts/\d+$"))
    attempt = re.search(r"/training/attempts/(\d+)", page.url).group(1)
    expect(page.locator("ol.roleplay li.customer").first).to_contain_text("off me TWICE")

    for number, reply in enumerate(REPLIES, start=1):
        page.get_by_label("Your reply").fill(reply)
        page.get_by_role("button", name="Send reply").click()
        feedback = page.locator(f"[data-testid=feedback][data-turn='{number}']")
        expect(feedback).to_be_visible()
        expect(feedback.locator(".helped")).to_contain_text("apologised" if number == 1 else "Helped")
        expect(feedback.locator(".better blockquote")).not_to_be_empty()
        if page.locator("[data-testid=ending]").count():
            break

    ending = page.locator("[data-testid=ending]")
    expect(ending).to_have_attribute("data-outcome", "calmed")
    score = page.locator("[data-testid=score]").inner_text()
    assert score.isdigit() and int(score) >= 85
    page.screenshot(path=str(tmp_path / "roleplay.png"), full_page=True)
    expect(page.get_by_label("Your reply")).to_have_count(0)

    page.get_by_role("link", name="Back to training").click()
    row = page.locator(f"tr[data-attempt='{attempt}']")
    expect(row).to_contain_text("Calmed")
    expect(row.locator("td.score")).to_have_text(score)

    supervisor = new_context().new_page()
    log_in(supervisor, "supervisor@example.com", "calm-supervisor-2026")
    supervisor.goto("/training/team")
    cell = supervisor.locator("tr[data-agent='agent@example.com'] td[data-scenario=billing_error]")
    expect(cell.locator(".best")).to_contain_text(re.compile(r"best \d+"))
    expect(cell.locator(".last")).to_have_text(f"last {score}")
