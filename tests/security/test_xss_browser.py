"""In a real browser, the corpus runs nowhere: Chromium opens the agent console on a live chat
whose every message, note and canned response holds payloads (the console builds its page in
JavaScript from JSON), the customer's chat page restoring that conversation, and the staff
ticket page. No dialog may open (every payload that runs calls alert) and no element the
payloads carry may appear.

The browser asks a made-up origin; every request is answered in-process by the suite's app, as
the signed-in agent or customer (no server to start). Event streams are refused with 503, as a
full worker would, so the pages poll.
"""

from __future__ import annotations

import json

import pytest

from tests.security.world import SERVICE_TOKEN
from tests.security.xss_pages import MARKED, chunks, markers_in

pytestmark = pytest.mark.e2e
ORIGIN = "http://calmline.test"
CARRIED = "img, svg, iframe, object, embed, video, audio, math, style, form[action^='javascript']"
FORWARDED = ("content-type", "x-csrftoken", "accept", "last-event-id")


def answer_from(page, client) -> None:
    """Every request of ``page`` answered by the test ``client`` (with its session)."""

    def handle(route):
        request = route.request
        path = request.url[len(ORIGIN):]
        if path.split("?")[0].endswith("/events"):
            route.fulfill(status=503, body="")
            return
        headers = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED}
        response = client.open(path, method=request.method, data=request.post_data_buffer, headers=headers)
        route.fulfill(status=response.status_code, body=response.get_data(),
                      headers={k: v for k, v in response.headers.items() if k.lower() != "content-length"})

    page.route(f"{ORIGIN}/**", handle)


@pytest.fixture(scope="module")
def live_chat(world):
    """A chat a person has, every payload in it: the customer's messages, the agent's replies and notes."""
    customer, agent, boss = (world.callers[r] for r in ("customer", "agent", "supervisor"))
    texts = chunks(1900)
    started = customer.client.post("/api/chat/messages", json={"text": texts[0]},
                                   headers={"X-CSRFToken": customer.token}).get_json()
    conv = started["conversation_id"]
    handed = world.app.test_client().post("/api/bot/handoffs", headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
                                          json={"conversation_id": conv, "reason": "requested_human",
                                                "category": "billing"})
    number = handed.get_json()["ticket_number"]
    assert agent.client.post(f"/api/agent/tickets/{number}/claim", headers={"X-CSRFToken": agent.token}).status_code \
        == 200
    for text in texts:
        for who, path in ((customer, "/api/chat/messages"), (agent, f"/api/agent/tickets/{number}/messages"),
                          (agent, f"/api/agent/tickets/{number}/notes")):
            body = {"text": text, "conversation_id": conv} if who is customer else {"text": text}
            assert who.client.post(path, json=body, headers={"X-CSRFToken": who.token}).status_code == 201
    for text in MARKED[::10]:  # canned responses (those without braces: placeholders are checked)
        if "{" not in text:
            boss.client.post("/staff/canned", data={"title": text[:120], "body": text, "team": "",
                                                    "csrf_token": boss.token})
    return number, conv


def visit(browser, client, path: str, init_script: str = "") -> tuple[list[str], object]:
    context = browser.new_context(base_url=ORIGIN)
    context.set_default_timeout(10_000)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    answer_from(page, client)
    page.goto(path)
    return dialogs, page


def settle(page, selector: str, mark: str) -> int:
    """Wait until ``mark`` is on the page, give anything that would run a moment, count carried elements."""
    page.locator(selector).filter(has_text=mark).first.wait_for()
    page.wait_for_timeout(800)
    return page.locator(f"{selector} :is({CARRIED})").count()


def test_the_agent_console_runs_none_of_it(browser, world, live_chat):
    number, _ = live_chat
    dialogs, page = visit(browser, world.callers["agent"].client, f"/agent#{number}")
    try:
        carried = settle(page, "article[data-ticket]", markers_in(MARKED[-1])[0])
        shown = page.locator("article[data-ticket]").inner_text()
    finally:
        page.context.close()
    assert (dialogs, carried) == ([], 0)
    assert len(markers_in(shown)) == len(MARKED)  # every payload is on screen, as text


def test_the_customers_chat_runs_none_of_it(browser, world, live_chat):
    _, conv = live_chat
    remember = f"localStorage.setItem('calmline.conversation', {json.dumps(conv)})"
    dialogs, page = visit(browser, world.callers["customer"].client, "/chat", remember)
    try:
        carried = settle(page, ".chat-log", markers_in(MARKED[-1])[0])
    finally:
        page.context.close()
    assert (dialogs, carried) == ([], 0)


def test_the_staff_ticket_page_runs_none_of_it(browser, world, live_chat):
    number, _ = live_chat
    dialogs, page = visit(browser, world.callers["agent"].client, f"/staff/tickets/{number}")
    try:
        carried = settle(page, "main", markers_in(MARKED[-1])[0])
    finally:
        page.context.close()
    assert (dialogs, carried) == ([], 0)
