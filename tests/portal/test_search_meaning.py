"""Search by meaning (sentence embeddings fused with words), the common-words fallback and
typo-tolerant suggestions, on the real Whoosh backend and the real embedding model."""

from __future__ import annotations

import numpy as np

from portal.extensions import db
from portal.kb.models import Article
from portal.search import semantic
from portal.search.backend import SearchDocument
from portal.search.services import search
from portal.search.whoosh_backend import WhooshBackend
from tests.factories import make_article


def corpus(app):
    with app.app_context():
        make_article("refunds", "Refund timing", "Your refund reaches the card in 3-5 business days after we check "
                     "the return.", category="returns-refunds", tags=["refund"])
        make_article("deliveries", "Delivering large furniture", "Two people deliver sofas and wardrobes. Book a "
                     "delivery slot.", category="orders-delivery", tags=["delivery"])
        make_article("password", "Reset your password", "Use the link on the sign-in page; it is valid for one hour.",
                     category="account", tags=["login"])


def slugs(app, q, **kw):
    with app.app_context():
        return [hit.slug for hit in search(q, **kw).hits]


def test_a_question_in_other_words_finds_its_article(app):
    corpus(app)
    # None of these words is in the article ("refund", "card", "return" are not asked for).
    assert slugs(app, "when do I get my cash back")[0] == "refunds"
    assert slugs(app, "cannot sign in, forgot my login details")[0] == "password"


def test_words_still_decide_between_close_meanings_and_nonsense_finds_nothing(app):
    corpus(app)
    assert slugs(app, "sofa delivery slot")[0] == "deliveries"
    assert slugs(app, "zzzzqqq") == []
    assert slugs(app, "qwerty uiop") == []


def test_vectors_follow_edits_and_deletions(app):
    corpus(app)
    with app.app_context():
        article = db.session.scalar(db.select(Article).filter_by(slug="deliveries"))
        article.title = "Assembling a wardrobe"
        article.summary = ""
        article.body_md = article.body_html = "Put the panels together with the screws in the bag."
        db.session.commit()
    assert "deliveries" in slugs(app, "how to build my new closet")
    with app.app_context():
        db.session.delete(db.session.scalar(db.select(Article).filter_by(slug="deliveries")))
        db.session.commit()
    assert "deliveries" not in slugs(app, "how to build my new closet")


def test_only_common_words_never_together_fall_back_to_any_word(tmp_path):
    # "alpha" and "bravo" are each in half the documents (common), never in the same one.
    docs = [SearchDocument(doc_id=f"d:{i}", type="article", slug=f"d{i}", title=f"note {i}", url=f"/d/{i}",
                           body=("alpha" if i % 2 else "bravo") + f" filler text number {i}")
            for i in range(600)]
    backend = WhooshBackend(tmp_path / "ix", semantic=False)
    backend.rebuild(docs)
    results = backend.query("alpha bravo")
    assert results.total == 600
    assert {h.slug for h in backend.query("alpha").hits} <= {f"d{i}" for i in range(1, 600, 2)}
    backend.close()


def test_suggestions_as_you_type_tolerate_a_typo(app, client):
    corpus(app)
    data = client.get("/api/search/suggest?q=refnd").get_json()
    assert [s["url"] for s in data["suggestions"]] == ["/kb/refunds"]
    assert client.get("/api/search/suggest?q=qqqqzzzz").get_json() == {"suggestions": []}


def test_document_vectors_are_remembered_so_a_rebuild_embeds_nothing_twice(tmp_path, monkeypatch):
    texts = ["a sentence about refunds", "another about delivery slots"]
    first = semantic.DocumentVectors(tmp_path / "v.sqlite").embed(texts)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-2)
    semantic._MEMORY.clear()

    def no_model():
        raise AssertionError("the model was asked again for a text it had embedded")

    monkeypatch.setattr(semantic, "_encoder", no_model)
    again = semantic.DocumentVectors(tmp_path / "v.sqlite").embed(list(reversed(texts)))
    np.testing.assert_allclose(again, first[::-1], atol=1e-3)


def test_repeated_queries_are_embedded_once(monkeypatch):
    calls = []
    real = semantic._encoder()

    class Counting:
        def embed(self, batch):
            calls.append(list(batch))
            return real.embed(batch)

    monkeypatch.setattr(semantic, "_encoder", lambda: Counting())
    vectors = semantic.QueryVectors(size=2)
    one = vectors("Where is my order?")
    assert np.array_equal(vectors("where is  my order?"), one)
    assert len(calls) == 1
