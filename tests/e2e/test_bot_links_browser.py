"""Issue 15, finding 14, in the browser: the widget shows a bot reply's links only when they
stay on this site, by the same rule as the server (portal.inputs.is_local_path), so a link the
server let through by mistake still never leads away. The page and its scripts come from the
app itself (through its test client); only the chat's answer is made up here."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from portal import create_app
from portal.extensions import db
from portal.inputs import is_local_path
from tests.conftest import test_config
from tests.portal.test_local_links import ELSEWHERE, LOCAL

pytestmark = pytest.mark.e2e
ORIGIN = "http://calmline.test"


@pytest.fixture
def app(tmp_path):
    """An app on its own SQLite file. Not the suite's test database: on the PostgreSQL pass that
    is also the database of the live server the other browser tests share, and preparing it
    (schema reset, cleaning) here would empty that server's tables mid-run."""
    from flask_migrate import upgrade

    app = create_app(test_config(f"sqlite:///{tmp_path / 'bot-links.db'}", tmp_path))
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()
    app.extensions["search"].close()


@pytest.fixture
def chat_page(browser, app):
    """/chat in Chromium, served by the app; POST /api/chat/messages answers with the given reply."""
    client = app.test_client()
    answers = []

    def serve(route):
        request = route.request
        path = request.url[len(ORIGIN):]
        if request.method == "POST" and path.startswith("/api/chat/messages"):
            route.fulfill(status=201, content_type="application/json", body=json.dumps(answers[-1]))
            return
        response = client.get(path)
        route.fulfill(status=response.status_code, body=response.get_data(),
                      headers={k: v for k, v in response.headers.items() if k.lower() != "content-length"})

    context = browser.new_context()
    page = context.new_page()
    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/chat")
    try:
        yield page, answers
    finally:
        context.close()


def test_the_widget_drops_links_that_leave_the_site(chat_page):
    page, answers = chat_page
    links = [{"title": f"Link {i}", "url": url, "type": "article"}
             for i, url in enumerate(LOCAL + [u for u in ELSEWHERE if isinstance(u, str)])]
    answers.append({"conversation_id": "c" * 32, "status": "bot", "assistant_available": True,
                    "message": {"id": 1, "sender": "customer", "text": "help", "created_at": "2026-01-01T00:00:00Z"},
                    "replies": [{"id": 2, "sender": "bot", "text": "These may help:", "articles": links,
                                 "created_at": "2026-01-01T00:00:01Z"}]})
    chat = page.locator(".chat-page")
    chat.locator("textarea").fill("help")
    chat.get_by_role("button", name="Send").click()
    expect(chat.locator(".msg-bot")).to_contain_text("These may help:")
    shown = chat.locator(".msg-bot a.msg-article")
    expect(shown).to_have_count(len(LOCAL))
    assert [shown.nth(i).get_attribute("href") for i in range(len(LOCAL))] == LOCAL


def test_the_browser_and_the_server_apply_the_same_rule(chat_page):
    page, _ = chat_page
    cases = LOCAL + ELSEWHERE + ["/\u2028x", "/kb/\x7f", "/\\", "/ok\\"]
    in_browser = page.evaluate("cases => cases.map(c => Calm.localPath(c))", cases)
    assert in_browser == [is_local_path(c) for c in cases]
