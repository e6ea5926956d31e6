"""Ask before you post: suggestions while a title is typed, the notes of which were opened,
and the deflection numbers staff see."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from forum.deflections import DEFLECTION_WINDOW, deflection_stats
from forum.models import ForumDeflection, Post, Thread
from forum.services import toggle_accept
from portal.clock import utcnow
from portal.extensions import db
from tests.factories import make_article
from tests.forum.builders import answer, count, form_token, member, meta_token, signed_in, start_thread

FORUM_JS = Path(__file__).resolve().parents[2] / "forum" / "static" / "forum.js"


@pytest.fixture
def corpus(app):
    with app.app_context():
        make_article("refund-timing", "When will my refund arrive?", "Refunds reach your card within 5 working "
                     "days of the return being checked.", category="returns-refunds", tags=["refund"])
        casey, robin = member("casey@example.com"), member("robin@example.com")
        member("sam@example.com")
        answered = start_thread(casey, title="Refund still not on my card after a week",
                                body="Returned a lamp, refund missing.", category_slug="billing")
        reply = answer(robin, answered, "Mine took 8 days because the bank holds refunds for 3 more.")
        toggle_accept(casey, db.session.get(Post, reply.id))
        start_thread(robin, title="Refund for a gift I returned?", body="Who gets the refund money?",
                     category_slug="billing")
        return answered.id


def test_suggestions_are_articles_and_answered_threads_only(app, corpus):
    client = app.test_client()
    data = client.get("/api/forum/suggest?q=refund+card").get_json()
    kinds = sorted((r["type"], r["title"]) for r in data["results"])
    assert kinds == [("article", "When will my refund arrive?"), ("thread", "Refund still not on my card after a week")]
    assert all(set(r) == {"type", "title", "url", "score", "answered"} for r in data["results"])
    assert [r["answered"] for r in data["results"] if r["type"] == "thread"] == [True]
    scores = [r["score"] for r in data["results"]]
    assert scores == sorted(scores, reverse=True)
    assert client.get("/api/forum/suggest?q=re").get_json()["results"] == []
    too_long = client.get("/api/forum/suggest?q=" + "refund " * 40)
    assert too_long.status_code == 400 and too_long.is_json
    assert client.get("/api/forum/suggest?q=refund&limit=0").status_code == 400


def test_the_new_thread_page_wires_the_suggestions_safely(app, corpus):
    page = signed_in(app, "sam@example.com").get("/forum/new").get_data(as_text=True)
    assert 'data-similar-url="/api/forum/suggest"' in page and 'data-deflection-url="/api/forum/deflections"' in page
    assert "/forum/static/forum.js" in page
    script = FORUM_JS.read_text()
    assert "textContent" in script and "innerHTML" not in script and "X-CSRFToken" in script


def open_suggestion(client, url, query="refund not on card"):
    token = meta_token(client, "/forum")
    return client.post("/api/forum/deflections", json={"query": query, "url": url},
                       headers={"X-CSRFToken": token, "Accept": "application/json"})


def test_opening_a_suggestion_is_noted_once_and_posting_afterwards_is_noted_too(app, corpus):
    sam = signed_in(app, "sam@example.com")
    assert open_suggestion(sam, "/kb/refund-timing").status_code == 201
    assert open_suggestion(sam, "/kb/refund-timing").status_code == 201  # opened again: still one note
    thread_url = f"/forum/t/{corpus}-refund-still-not-on-my-card-after-a-week"
    assert open_suggestion(sam, thread_url).status_code == 201
    with app.app_context():
        rows = db.session.scalars(sa.select(ForumDeflection).order_by(ForumDeflection.id)).all()
        assert [(r.doc_type, r.query, r.posted_after) for r in rows] == [
            ("article", "refund not on card", False), ("thread", "refund not on card", False)]
        assert rows[0].user_id is not None and rows[0].visitor_id
    # Sam posts anyway: both notes say so.
    token = form_token(sam, "/forum/new")
    response = sam.post("/forum/new", data={"category": "billing", "title": "My refund is late too",
                                            "body": "Still waiting after ten days.", "csrf_token": token})
    assert response.status_code == 303
    with app.app_context():
        new_thread = db.session.scalar(sa.select(Thread).where(Thread.title == "My refund is late too"))
        rows = db.session.scalars(sa.select(ForumDeflection)).all()
        assert all(r.posted_after and r.thread_id == new_thread.id for r in rows)


def test_bad_notes_are_refused(app, corpus):
    sam = signed_in(app, "sam@example.com")
    token = meta_token(sam, "/forum/new")
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    for body in ({"query": "x", "url": "https://evil.example/kb/x"}, {"query": "x", "url": "/auth/login"},
                 {"query": "", "url": "/kb/refund-timing"}, {"query": "x" * 201, "url": "/kb/refund-timing"},
                 {"query": 5, "url": "/kb/refund-timing"}, {"url": "/kb/refund-timing"}, ["not", "an", "object"]):
        response = sam.post("/api/forum/deflections", json=body, headers=headers)
        assert response.status_code == 400 and response.is_json, body
    forged = sam.post("/api/forum/deflections", json={"query": "x", "url": "/kb/refund-timing"},
                      headers={"X-CSRFToken": "forged", "Accept": "application/json"})
    assert forged.status_code == 400
    with app.app_context():
        assert count(ForumDeflection) == 0


def test_anonymous_visitors_are_noted_by_their_visitor_cookie(app, corpus):
    visitor = app.test_client()
    assert open_suggestion(visitor, "/kb/refund-timing").status_code == 201
    with app.app_context():
        [row] = db.session.scalars(sa.select(ForumDeflection)).all()
        assert row.user_id is None and len(row.visitor_id) >= 20


def test_stats_count_deflected_posted_and_pending(app, corpus):
    now = utcnow()
    with app.app_context():
        old = now - DEFLECTION_WINDOW - timedelta(minutes=5)
        db.session.add_all([
            ForumDeflection(visitor_id="v" * 24, query="refund", doc_url="/kb/refund-timing", doc_type="article",
                            opened_at=old),
            ForumDeflection(visitor_id="w" * 24, query="refund", doc_url="/kb/refund-timing", doc_type="article",
                            opened_at=old),
            ForumDeflection(visitor_id="x" * 24, query="refund", doc_url=f"/forum/t/{corpus}-x", doc_type="thread",
                            opened_at=old, posted_after=True),
            ForumDeflection(visitor_id="y" * 24, query="refund", doc_url="/kb/refund-timing", doc_type="article",
                            opened_at=now - timedelta(minutes=2)),
        ])
        db.session.commit()
        stats = deflection_stats(now=now)
    assert (stats["opened"], stats["deflected"], stats["posted_after"], stats["pending"]) == (4, 2, 1, 1)
    assert stats["rate"] == round(2 / 3, 3)
    assert stats["top_documents"] == [{"url": "/kb/refund-timing", "type": "article", "deflected": 2}]

    with app.app_context():
        member("mo@example.com", roles=["moderator"])
        member("sue@example.com", roles=["supervisor"])
    for email in ("mo@example.com", "sue@example.com"):
        client = signed_in(app, email)
        page = client.get("/forum/stats").get_data(as_text=True)
        assert 'data-stat="deflected">2<' in page and 'data-stat="rate">66%<' in page
        assert client.get("/api/forum/stats").get_json()["deflection"]["deflected"] == 2
    customer = signed_in(app, "casey@example.com")
    assert customer.get("/forum/stats").status_code == 403
    assert customer.get("/api/forum/stats").status_code == 403
    assert app.test_client().get("/api/forum/stats").status_code == 401
    assert "/auth/login" in app.test_client().get("/forum/stats").headers["Location"]
