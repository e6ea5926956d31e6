"""Threads in the same search as articles: type filter and facet on /search and /api/search,
"Community" and "Answered" marks, only published posts indexed; community answers for the bot."""

from __future__ import annotations

import pytest

from forum.models import Post, Thread
from forum.services import community_answers, toggle_accept
from portal.auth.services import find_user_by_email
from portal.extensions import db
from portal.search.backend import SearchDocument
from portal.search.whoosh_backend import WhooshBackend, build_schema
from tests.factories import make_article
from tests.forum.builders import SERVICE_TOKEN, answer, member, reload, start_thread


@pytest.fixture
def corpus(app):
    """An article and two threads about a wobbly desk; one thread has an accepted answer."""
    with app.app_context():
        make_article("desk-assembly", "Assembling your standing desk", "Tighten the desk legs with the hex key "
                     "before you raise the frame.", category="product-help", tags=["desk"])
        casey, robin = member("casey@example.com"), member("robin@example.com")
        answered = start_thread(casey, title="Standing desk wobbles at full height",
                                body="My desk wobbles when raised.", category_slug="products-setup")
        reply = answer(robin, answered, "Put the crossbar on before the legs: no more wobble.")
        toggle_accept(casey, db.session.get(Post, reply.id))
        open_thread = start_thread(robin, title="Desk drawer squeaks", body="The desk drawer squeaks loudly.",
                                   category_slug="products-setup")
        return answered.id, open_thread.id, reply.id


def test_threads_appear_beside_articles_with_a_type_facet(app, corpus):
    answered, unanswered, _ = corpus
    client = app.test_client()
    data = client.get("/api/search?q=desk").get_json()
    assert data["facets"]["type"] == {"thread": 2, "article": 1}
    kinds = {r["url"]: (r["type"], r["answered"]) for r in data["results"]}
    assert kinds["/kb/desk-assembly"] == ("article", False)
    with app.app_context():
        answered_url = f"/forum/t/{answered}-{reload(Thread, answered).slug}"
    assert kinds[answered_url] == ("thread", True)
    assert sum(1 for kind, _ in kinds.values() if kind == "thread") == 2

    threads = client.get("/api/search?q=desk&type=thread").get_json()
    assert {r["type"] for r in threads["results"]} == {"thread"} and threads["total"] == 2
    assert threads["facets"]["type"] == {"thread": 2, "article": 1}  # the facet still offers every type
    articles = client.get("/api/search?q=desk&type=article").get_json()
    assert [r["url"] for r in articles["results"]] == ["/kb/desk-assembly"]
    bad = client.get("/api/search?q=desk&type=post")
    assert bad.status_code == 400 and "article, thread" in bad.get_json()["error"]["message"]

    page = client.get("/search?q=desk").get_data(as_text=True)
    assert 'class="result result-thread"' in page and ">Community</span>" in page and ">Answered</span>" in page
    assert 'href="/search?q=desk&amp;type=thread">Community</a>' in page
    only_threads = client.get("/search?q=desk&type=thread").get_data(as_text=True)
    assert "/kb/desk-assembly" not in only_threads and answered_url in only_threads
    assert client.get("/search?q=desk&type=nonsense").status_code == 400


def test_only_published_posts_are_indexed(app, corpus):
    answered, _, reply_id = corpus
    client = app.test_client()

    def found(q):
        return [r["url"] for r in client.get(f"/api/search?q={q}&type=thread").get_json()["results"]]

    assert len(found("crossbar")) == 1
    with app.app_context():
        post = db.session.get(Post, reply_id)
        post.status = "hidden"
        db.session.commit()
    assert found("crossbar") == []  # the hidden reply's words left the index
    data = client.get("/api/search?q=wobbles&type=thread").get_json()
    assert data["results"][0]["answered"] is False  # its accepted answer is hidden: not answered any more
    with app.app_context():
        post = db.session.get(Post, reply_id)
        post.status = "published"
        db.session.commit()
    assert len(found("crossbar")) == 1
    with app.app_context():
        thread = db.session.get(Thread, answered)
        thread.status = "deleted"
        db.session.commit()
    assert found("wobbles") == []


def test_edits_and_replies_reach_the_index(app, corpus):
    _, unanswered, _ = corpus
    with app.app_context():
        answer(find_user_by_email("casey@example.com"), reload(Thread, unanswered),
               "A drop of candle wax on the runners fixed mine.")
    urls = [r["url"] for r in app.test_client().get("/api/search?q=candle+wax").get_json()["results"]]
    assert len(urls) == 1 and urls[0].startswith(f"/forum/t/{unanswered}-")


def test_community_answers_are_answered_threads_with_scores(app, corpus):
    answered, _, _ = corpus
    with app.app_context():
        results = community_answers("desk wobble", limit=5)
        assert [r.title for r in results] == ["Standing desk wobbles at full height"]
        assert results[0].answered is True and results[0].score > 0
        assert results[0].url.startswith(f"/forum/t/{answered}-")
        assert community_answers("drawer squeaks", limit=5) == []  # found, but not answered


def test_bot_community_endpoint_needs_the_service_token(app, corpus):
    client = app.test_client()
    ok = client.get("/api/bot/community?q=desk+wobbles", headers={"Authorization": f"Bearer {SERVICE_TOKEN}"})
    assert ok.status_code == 200
    [hit] = ok.get_json()["results"]
    assert set(hit) == {"title", "url", "score", "answered"} and hit["answered"] is True
    assert hit["title"] == "Standing desk wobbles at full height"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": SERVICE_TOKEN}):
        refused = client.get("/api/bot/community?q=desk", headers=headers)
        assert refused.status_code == 401 and refused.is_json
    empty = client.get("/api/bot/community?q=", headers={"Authorization": f"Bearer {SERVICE_TOKEN}"})
    assert empty.status_code == 400
    too_many = client.get("/api/bot/community?q=desk&limit=99", headers={"Authorization": f"Bearer {SERVICE_TOKEN}"})
    assert too_many.status_code == 400


def test_bot_community_endpoint_is_closed_without_a_configured_token(make_app):
    app = make_app(BOT_SERVICE_TOKEN="")
    assert app.test_client().get("/api/bot/community?q=desk", headers={"Authorization": "Bearer "}).status_code == 401


def test_an_index_of_the_previous_schema_keeps_working_until_rebuilt(tmp_path):
    """Upgrading adds the "answered" field: the old index still answers, and a rebuild brings it up to date."""
    from whoosh import index

    old_schema = build_schema()
    old_schema.remove("answered")
    index.create_in(str(tmp_path), old_schema)
    backend = WhooshBackend(tmp_path)
    doc = SearchDocument(doc_id="thread:1", type="thread", slug="1-desk", title="Desk wobbles", url="/forum/t/1-desk",
                         body="The desk wobbles.", answered=True)
    try:
        assert backend.status()["needs_reindex"] is True
        backend.index([doc])  # writes what the old index knows, without failing
        hits = backend.query("desk").hits
        assert [h.doc_id for h in hits] == ["thread:1"] and hits[0].answered is False
        assert backend.query("desk", answered=True).total == 0
        assert backend.rebuild([doc]) == 1
        assert backend.status()["needs_reindex"] is False
        assert backend.query("desk", answered=True).hits[0].answered is True
    finally:
        backend.close()


def test_articles_lead_when_relevance_is_close_and_open_questions_trail(app):
    """The same text as an article, an answered thread and an open thread: curated first."""
    text = "Pair the lamp again after a router change: reset its network in the app."
    with app.app_context():
        make_article("lamp-router", "Lamp offline after a router change", text, category="product-help")
        casey, robin = member("casey@example.com"), member("robin@example.com")
        answered = start_thread(casey, title="Lamp offline after a router change", body=text,
                                category_slug="products-setup")
        toggle_accept(casey, db.session.get(Post, answer(robin, answered, "Thanks, the reset worked.").id))
        start_thread(robin, title="Lamp offline after a router change?", body=text, category_slug="products-setup")
    results = app.test_client().get("/api/search?q=lamp+offline+router+change").get_json()["results"]
    assert [(r["type"], r["answered"]) for r in results] == [("article", False), ("thread", True), ("thread", False)]
    scores = [r["score"] for r in results]
    assert scores[0] > scores[1] > scores[2]
