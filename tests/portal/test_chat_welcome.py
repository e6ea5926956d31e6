"""The widget's welcome (greeting, who answers, suggested questions), article read counts, the
favicon, and which pages carry the customer's chat widget."""

from __future__ import annotations

import pytest

from portal.kb import reads
from portal.layout import in_staff_section
from tests.factories import make_article


def articles(app):
    with app.app_context():
        make_article("charged-twice", "I've been charged twice", "Usually a pending hold.")
        make_article("payment-failed", "My payment failed", "Check the card.")
        make_article("refund-timing", "When will I get my {{ brand }} refund?", "3-5 days.",
                     category="returns-refunds")
        make_article("return-policy", "Our return policy", "30 days.", category="returns-refunds")
        make_article("hidden-draft", "A draft nobody should see", "Draft.", published=False)


def read(client, slug: str, times: int) -> None:
    for _ in range(times):
        assert client.get(f"/kb/{slug}").status_code == 200


def questions(client, page: str = "") -> list[str]:
    response = client.get("/api/chat/welcome", query_string={"page": page} if page else {})
    assert response.status_code == 200, response.get_json()
    return [q["text"] for q in response.get_json()["questions"]]


def test_reads_are_counted_in_batches_and_order_the_suggestions(app, client):
    articles(app)
    read(client, "return-policy", 3)
    read(client, "payment-failed", 2)
    with app.app_context():
        reads.flush()
    assert questions(client) == ["Our return policy", "My payment failed", "I've been charged twice"]


def test_the_article_being_read_comes_first_then_its_topic(app, client):
    articles(app)
    read(client, "payment-failed", 4)
    with app.app_context():
        reads.flush()
    # On a returns article: that article, then the other returns one, then the most-read of all.
    brand = app.config["BRAND_NAME"]
    assert questions(client, "/kb/refund-timing") == [f"When will I get my {brand} refund?", "Our return policy",
                                                       "My payment failed"]
    assert questions(client, "/kb/category/returns-refunds")[:2] == ["Our return policy",
                                                                     f"When will I get my {brand} refund?"]
    assert "A draft nobody should see" not in questions(client, "/kb/hidden-draft")
    assert len(questions(client, "/kb/no-such-article")) == 3


def test_the_welcome_names_the_assistant_and_links_the_questions(app, client):
    articles(app)
    data = client.get("/api/chat/welcome?page=/kb/charged-twice").get_json()
    name = f"{app.config['BRAND_NAME']} Assistant"
    assert data["assistant"] == {"name": name, "role": "Virtual assistant", "initials": name[0] + "A"}
    assert "virtual assistant" in data["greeting"] and "person" in data["greeting"]
    assert data["questions"][0] == {"text": "I've been charged twice", "url": "/kb/charged-twice"}


@pytest.mark.parametrize("page", ["//evil.example/kb/x", "https://evil.example/", "kb/x", "/kb/a b",
                                  "/" + "a" * 400, "/\\evil.example"])
def test_a_page_that_is_not_ours_is_refused(app, client, page):
    response = client.get("/api/chat/welcome", query_string={"page": page})
    assert response.status_code == 400
    assert "'page'" in response.get_json()["error"]["message"]


def test_a_script_in_the_page_matches_nothing_and_is_never_echoed(app, client):
    articles(app)
    response = client.get("/api/chat/welcome", query_string={"page": "/kb/<script>alert(1)</script>"})
    assert response.status_code == 200
    assert "<script" not in response.get_data(as_text=True)
    assert len(response.get_json()["questions"]) == 3


def test_counting_waits_for_the_batch(app):
    articles(app)
    with app.app_context():
        from portal.extensions import db
        from portal.kb.models import Article

        art = db.session.scalar(db.select(Article).where(Article.slug == "charged-twice"))
        reads.flush()
        reads.count_read(art.id, now=reads._pending().last_flush + 1)  # not due: kept in memory
        db.session.refresh(art)
        assert art.read_count == 0
        reads.count_read(art.id, now=reads._pending().last_flush + reads.FLUSH_SECONDS + 1)  # due: both written
        db.session.refresh(art)
        assert art.read_count == 2


def test_the_favicon_is_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/x-icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"
    assert 'rel="icon" href="/favicon.ico"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("path, staff", [("/staff/tickets", True), ("/staff/tickets/T-000001", True),
                                         ("/moderation", True), ("/agent", True), ("/supervisor/agents", True),
                                         ("/coaching", True), ("/training/", True), ("/", False),
                                         ("/kb/agent-pay", False), ("/agents", False), ("/chat", False)])
def test_staff_pages_are_told_apart(path, staff):
    assert in_staff_section(path) is staff


def test_customer_pages_carry_the_widget_and_its_scripts(app, client):
    html = client.get("/").get_data(as_text=True)
    assert "data-chat-toggle" in html and "js/chat-shell.js" in html
    assert 'id="home-search"' in html
