import sqlalchemy as sa

from portal.extensions import db
from portal.kb.models import Article
from portal.search.models import SearchMiss
from portal.search.services import search
from tests.factories import make_article


def corpus(app):
    with app.app_context():
        make_article("charged-twice", "I was charged twice", "A pending authorisation hold looks like a double "
                     "charge on your statement. Holds drop off after a few days.", tags=["double charge"])
        make_article("refunds", "Refund timing", "Your refund reaches the card in 3-5 business days after we check "
                     "the return.", category="returns-refunds", tags=["refund", "money back"])
        make_article("deliveries", "Delivering large furniture", "Two people deliver sofas and wardrobes. Book a "
                     "delivery slot.", category="orders-delivery", tags=["delivery"])
        make_article("cancel", "Cancel an order", "You can cancel an order before dispatch. After dispatch, start "
                     "a return for a refund.", category="orders-delivery", tags=["cancel"])
        make_article("twice-words", "Statement questions", "If you were charged for delivery and then charged again "
                     "for the sofa, twice is normal for split orders.", tags=["statement"])


def run(app, q, **kw):
    with app.app_context():
        return search(q, **kw)


def slugs(results):
    return [hit.slug for hit in results.hits]


def test_stemming_finds_other_word_forms(app):
    corpus(app)
    assert "deliveries" in slugs(run(app, "delivered"))
    assert "refunds" in slugs(run(app, "refunding"))


def test_phrase_match_ranks_above_scattered_words(app):
    corpus(app)
    assert slugs(run(app, "charged twice"))[0] == "charged-twice"


def test_title_outranks_body(app):
    corpus(app)
    assert slugs(run(app, "cancel order"))[0] == "cancel"


def test_misspelt_word_still_finds_its_article_with_a_suggestion(app):
    corpus(app)
    results = run(app, "refnd timing")
    assert results.suggestion == "refund timing"
    assert results.corrected
    assert slugs(results)[0] == "refunds"
    results = run(app, "furnture")
    assert results.suggestion == "furniture" and "deliveries" in slugs(results)


def test_highlighted_snippets_escape_text(app):
    with app.app_context():
        make_article("x", "Escaping", "Use <b>tags</b> & a refund form: the refund arrives soon.")
    [hit] = run(app, "refund").hits
    assert "<mark>refund</mark>" in hit.snippet
    assert "<b>" not in hit.snippet and "&lt;b&gt;" in hit.snippet


def test_category_facet_and_filter(app):
    corpus(app)
    results = run(app, "refund order")
    assert results.facets["orders-delivery"] == 1
    assert results.facets["returns-refunds"] == 1
    filtered = run(app, "refund order", category="orders-delivery")
    assert slugs(filtered) == ["cancel"]
    assert filtered.facets == results.facets  # the facet still shows every topic


def test_pagination(app):
    with app.app_context():
        for i in range(23):
            make_article(f"sofa-{i}", f"Sofa care {i}", "Sofa fabric cleaning and sofa cushions.", tags=["sofa"])
    first, third = run(app, "sofa", per_page=10), run(app, "sofa", page=3, per_page=10)
    assert first.total == 23 and first.pages == 3
    assert len(first.hits) == 10 and len(third.hits) == 3
    assert not set(slugs(first)) & set(slugs(third))
    assert run(app, "sofa", page=99, per_page=10).page == 3


def test_index_follows_commits(app):
    corpus(app)
    with app.app_context():
        article = db.session.scalar(sa.select(Article).where(Article.slug == "refunds"))
        article.title = "Refund timing for gift cards"
        article.body_md = "Gift cards are refunded as store credit within a day."
        db.session.commit()
    assert slugs(run(app, "store credit")) == ["refunds"]
    with app.app_context():
        article = db.session.scalar(sa.select(Article).where(Article.slug == "refunds"))
        article.published = False
        db.session.commit()
    assert "refunds" not in slugs(run(app, "gift cards"))
    with app.app_context():
        db.session.delete(db.session.scalar(sa.select(Article).where(Article.slug == "cancel")))
        db.session.commit()
    assert "cancel" not in slugs(run(app, "cancel"))


def test_rollback_leaves_the_index_alone(app):
    corpus(app)
    with app.app_context():
        article = db.session.scalar(sa.select(Article).where(Article.slug == "refunds"))
        article.title = "Wombat handling"
        db.session.flush()
        db.session.rollback()
        db.session.add(Article(slug="other", title="x", body_md="", body_html="", category_id=article.category_id))
        db.session.commit()
    assert slugs(run(app, "wombat")) == []


def test_zero_result_queries_are_recorded(app):
    corpus(app)
    assert run(app, "xylophone repairs").total == 0
    run(app, "Xylophone repairs")
    run(app, "refund")
    with app.app_context():
        misses = db.session.scalars(sa.select(SearchMiss.query)).all()
        from portal.search.services import content_gaps

        assert misses == ["xylophone repairs", "xylophone repairs"]
        assert content_gaps() == [("xylophone repairs", 2)]


def test_search_page(app, client):
    corpus(app)
    page = client.get("/search?q=refnd").get_data(as_text=True)
    assert 'class="did-you-mean"' in page and "refund" in page
    assert 'href="/kb/refunds"' in page
    assert client.get("/search?q=" + "x" * 201).status_code == 400
    assert client.get("/search").status_code == 200
    empty = client.get("/search?q=zzzzqqq").get_data(as_text=True)
    assert "0 results" in empty


def test_every_page_has_the_search_box(app, client):
    corpus(app)
    for path in ("/", "/kb/", "/kb/refunds", "/auth/login", "/search?q=refund", "/missing"):
        assert 'id="site-search"' in client.get(path).get_data(as_text=True), path


def test_rebuild_matches_the_database(app):
    corpus(app)
    backend = app.extensions["search"]
    backend.rebuild([])  # wipe
    assert run(app, "refund").total == 0
    from sqlalchemy.orm import Session

    from portal.search.indexing import all_documents

    with app.app_context(), Session(db.engine) as session:
        assert backend.rebuild(all_documents(session)) == 5
    assert run(app, "refund").total >= 2
