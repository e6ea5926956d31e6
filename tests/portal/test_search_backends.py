"""One contract for every search engine behind the seam: Whoosh (one box) and PostgreSQL
(several boxes), each real, with the real embedding model.

PostgreSQL comes from TEST_SEARCH_DATABASE_URL, or TEST_DATABASE_URL (CI sets both, see
.ci/run); each test gets its own schema and drops it.
"""

from __future__ import annotations

import multiprocessing
import os
import uuid

import pytest
import sqlalchemy as sa

from portal.search.backend import SearchDocument
from portal.search.postgres_backend import PostgresBackend
from portal.search.whoosh_backend import WhooshBackend

PG_URL = os.environ.get("TEST_SEARCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
needs_pg = pytest.mark.skipif(not PG_URL, reason="no PostgreSQL here: set TEST_SEARCH_DATABASE_URL (.ci/run does)")
ENGINES = ["whoosh", pytest.param("postgresql", marks=needs_pg)]
# Several boxes on one engine: only PostgreSQL is shared (Whoosh is one directory on one box).
shared_engine = pytest.mark.parametrize("engine", [pytest.param("postgresql", marks=needs_pg)], indirect=True)


def doc(n: int, title: str, body: str, *, type_: str = "article", category: str = "general", summary: str = "",
        tags: tuple[str, ...] = (), answered: bool = False) -> SearchDocument:
    return SearchDocument(doc_id=f"{type_}:{n}", type=type_, slug=f"s{n}", title=title, url=f"/kb/s{n}",
                          category=category, tags=tags, summary=summary, body=body, answered=answered)


DOCS = [
    doc(1, "Refund timing", "Your refund reaches the card in 3-5 business days after we check the return.",
        category="returns", tags=("refund",)),
    doc(2, "Delivering large furniture", "Two people deliver sofas and wardrobes. Book a delivery slot.",
        category="delivery", tags=("delivery",)),
    doc(3, "Reset your password", "Use the link on the sign-in page; it is valid for one hour.", category="account"),
    doc(4, "Refund for a sofa that arrived damaged", "Photos of the damage help us refund you quickly.",
        type_="thread", category="returns", answered=True),
]


def _pg(schema: str, semantic: bool = True) -> PostgresBackend:
    return PostgresBackend(PG_URL, schema=schema, semantic=semantic)


@pytest.fixture(params=ENGINES)
def engine(request, tmp_path):
    made = []
    schema = f"search_test_{uuid.uuid4().hex[:12]}"

    def make(semantic: bool = True):
        backend = (WhooshBackend(tmp_path / "index", semantic=semantic) if request.param == "whoosh"
                   else _pg(schema, semantic))
        made.append(backend)
        return backend

    make.name, make.schema = request.param, schema
    yield make
    for backend in made:
        backend.close()
    if request.param == "postgresql":
        drop = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
        with drop.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        drop.dispose()


def ids(results) -> list[str]:
    return [h.doc_id for h in results.hits]


def test_words_filters_facets_pages_and_marked_snippets(engine):
    backend = engine()
    backend.rebuild(DOCS)
    found = backend.query("refund")
    assert set(ids(found)) == {"article:1", "thread:4"}
    assert ids(found)[0] == "article:1"  # an article before a thread when they are close
    assert found.facets == {"returns": 2} and found.type_facets == {"article": 1, "thread": 1}
    assert "<mark>" in found.hits[0].snippet.lower()
    assert ids(backend.query("refund", doc_type="thread")) == ["thread:4"]
    assert ids(backend.query("refund", answered=True)) == ["thread:4"]
    assert backend.query("refund", category="account").total == 0
    one = backend.query("refund", per_page=1, page=2)
    assert one.total == 2 and len(one.hits) == 1 and one.page == 2


def test_a_question_in_other_words_finds_its_answer_and_nonsense_finds_nothing(engine):
    backend = engine()
    backend.rebuild(DOCS)
    assert ids(backend.query("when do I get my cash back"))[0] in {"article:1", "thread:4"}
    assert ids(backend.query("cannot sign in, forgot my login details"))[0] == "article:3"
    assert backend.query("zzzzqqq").total == 0
    assert backend.query("qwerty uiop").total == 0


def test_markup_in_a_document_never_reaches_the_snippet_as_markup(engine):
    backend = engine()
    backend.index([doc(9, "Voucher <script>alert(1)</script>", "A voucher <script>alert(1)</script> code.")])
    snippet = backend.query("voucher").hits[0].snippet
    # Whoosh shows the tag as text, PostgreSQL's headline drops it: never as a tag.
    assert "<script" not in snippet and "<mark>voucher</mark>" in snippet.lower()


def test_typos_are_corrected_in_results_and_suggestions(engine):
    backend = engine()
    backend.rebuild(DOCS)
    found = backend.query("refnd")
    assert found.suggestion == "refund" and found.corrected and "article:1" in ids(found)
    assert [h.doc_id for h in backend.suggest("refu")][:1] == ["article:1"]
    assert "article:1" in [h.doc_id for h in backend.suggest("refnd")]
    assert backend.suggest("zzzzqq") == []


def test_common_words_never_together_fall_back_to_any_word(engine):
    backend = engine(semantic=False)
    # 600 documents: each word in 300, over Whoosh's common-word line (200), never together.
    docs = [doc(i, f"Note {i}", ("alpha report" if i % 2 else "bravo summary") + f" number {i}")
            for i in range(600)]
    backend.rebuild(docs)
    found = backend.query("alpha bravo", per_page=100)
    assert found.total >= 300  # PostgreSQL ranks at most RANKED_MATCHES of a fallback's matches
    assert {int(h.doc_id.split(":")[1]) % 2 for h in found.hits} == {0, 1}


def test_edits_and_removals_follow(engine):
    backend = engine()
    backend.rebuild(DOCS)
    backend.index([doc(2, "Assembling a wardrobe", "Put the panels together with the screws in the bag.")])
    assert "article:2" in ids(backend.query("how to build my new closet"))
    assert "article:2" not in ids(backend.query("sofa delivery slot"))
    backend.remove(["article:2"])
    assert "article:2" not in ids(backend.query("how to build my new closet"))
    assert backend.status()["documents"] == 3


def test_apply_writes_what_the_source_says_under_the_lock(engine):
    backend = engine()
    backend.rebuild(DOCS)
    backend.apply(lambda: ([doc(5, "Gift cards", "Gift cards never expire.")], ["article:3"]))
    assert ids(backend.query("gift cards"))[:1] == ["article:5"]
    assert "article:3" not in ids(backend.query("reset password"))


def test_rebuild_replaces_everything_and_reports_progress(engine):
    backend = engine()
    backend.rebuild(DOCS)
    assert backend.query("password").total == 1  # this process has read the first build
    seen = []
    assert backend.rebuild(DOCS[:2], progress=seen.append) == 2
    assert sum(seen) == 2
    assert backend.status()["documents"] == 2
    assert backend.query("password").total == 0


def test_edits_written_while_a_rebuild_embeds_are_kept(engine):
    """`flask search reindex` reads a snapshot, then embeds for minutes; an editor's commit and a
    moderator's removal in that time (each written through apply by a web worker) must stand."""
    backend = engine()
    backend.rebuild(DOCS)
    source = {d.doc_id: d for d in DOCS}  # the database
    edited = doc(2, "Delivering large furniture", "Sofas now come with free assembly by the two drivers.",
                 category="delivery")

    def an_editor_commits_meanwhile(_done: int) -> None:
        source[edited.doc_id] = edited
        del source["article:3"]
        backend.apply(lambda: ([edited], ["article:3"]))

    snapshot = list(source.values())
    assert backend.rebuild(snapshot, progress=an_editor_commits_meanwhile, reread=lambda: list(source.values())) >= 3
    assert ids(backend.query("free assembly"))[:1] == ["article:2"]
    assert "article:3" not in ids(backend.query("reset password"))
    assert backend.status()["documents"] == 3


@shared_engine
def test_a_second_box_sees_the_first_boxs_changes_at_once(engine):
    first, second = engine(), engine()
    first.rebuild(DOCS)
    assert ids(second.query("reset password"))[:1] == ["article:3"]
    first.index([doc(6, "Warranty on mattresses", "Ten years on springs and foam.")])
    assert ids(second.query("how long is the guarantee on my mattress"))[:1] == ["article:6"]
    first.remove(["article:6"])
    assert "article:6" not in ids(second.query("how long is the guarantee on my mattress"))


def _write_many(schema: str, start: int) -> None:
    backend = _pg(schema, semantic=False)
    for n in range(start, start + 25):
        backend.index([doc(n, f"Topic {n} pallet", f"Pallet number {n} details.")])
    backend.close()


@shared_engine
def test_two_processes_writing_at_once_lose_nothing(engine):
    backend = engine(semantic=False)
    backend.rebuild([])
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_many, args=(engine.schema, start)) for start in (100, 200)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert [w.exitcode for w in workers] == [0, 0]
    assert backend.status()["documents"] == 50
    assert backend.query("pallet", per_page=100).total == 50


@shared_engine
def test_two_portal_boxes_on_postgresql_search_each_others_articles(engine, make_app):
    """The real path: an editor's commit on one box is found through the other box's API and page."""
    from portal.extensions import db
    from portal.kb.models import Article
    from tests.factories import make_article

    config = {"SEARCH_BACKEND": "postgresql", "SEARCH_DATABASE_URL": PG_URL, "SEARCH_SCHEMA": engine.schema}
    first, second = make_app(**config), make_app(**config)
    assert second.extensions["search"].status()["engine"] == "postgresql"
    with first.app_context():
        make_article("refunds", "Refund timing", "Your refund reaches the card in 3-5 business days.",
                     category="returns-refunds")
    client = second.test_client()
    found = client.get("/api/search?q=when+do+I+get+my+cash+back").get_json()
    assert [r["slug"] for r in found["results"]][:1] == ["refunds"]
    assert "Refund timing" in client.get("/search?q=refnd").get_data(as_text=True)
    assert [s["url"] for s in client.get("/api/search/suggest?q=refnd").get_json()["suggestions"]] == ["/kb/refunds"]
    with first.app_context():
        db.session.delete(db.session.scalar(db.select(Article).filter_by(slug="refunds")))
        db.session.commit()
    assert client.get("/api/search?q=refund").get_json()["results"] == []


def test_an_interrupted_rebuild_resumes_without_embedding_again(engine, monkeypatch):
    from portal.search import semantic

    backend = engine()
    docs = [doc(n, f"Guide number {n} to pallets", f"Pallet guide {n}: how pallets of kind {n} are handled.")
            for n in range(80)]

    def interrupted():
        yield from docs[:70]
        raise KeyboardInterrupt  # the operator pressed Ctrl-C during `flask search reindex`

    with pytest.raises(KeyboardInterrupt):
        backend.rebuild(interrupted())
    embedded = []
    real = semantic._embed_batches

    def counting(batches, bulk=False):
        embedded.extend(t for b in batches for t in b)
        return real(batches, bulk)

    monkeypatch.setattr(semantic, "_embed_batches", counting)
    with semantic._MEMORY_LOCK:  # a new process: nothing remembered in memory
        semantic._MEMORY.clear()
    assert backend.rebuild(docs) == 80
    # The first 64 documents (one chunk) were embedded before the interruption and kept.
    assert len(embedded) == 2 * 16
    assert ids(backend.query("guide number 75 to pallets"))[:1] == ["article:75"]


def test_a_removed_documents_words_are_never_suggested(engine):
    """A removed (or moderated) post's words must not come back as "did you mean" (Whoosh keeps
    a deleted document's terms in its lexicon until segments merge)."""
    backend = engine(semantic=False)
    backend.rebuild(DOCS)
    backend.index([doc(7, "Zanzibarite invoice", "The zanzibarite project invoice.")])
    assert backend.query("zanzibarrite").suggestion == "zanzibarite"
    backend.remove(["article:7"])
    assert backend.query("zanzibarrite").suggestion is None


@shared_engine
def test_a_rebuild_keeps_what_was_written_while_it_ran(engine):
    backend, other_box = engine(), engine()
    backend.rebuild(DOCS)
    seen = []

    def docs_while_another_box_writes():
        for d in DOCS:
            seen.append(d.doc_id)
            if len(seen) == 2:  # mid-rebuild: another box edits one document and removes another
                other_box.index([doc(1, "Refunds, now in two days", "Your refund reaches the card in 2 days.")])
                other_box.remove(["article:3"])
            yield d

    backend.rebuild(docs_while_another_box_writes())
    assert backend.query("refund", doc_type="article").hits[0].title == "Refunds, now in two days"
    assert backend.query("reset password").total == 0


@pytest.mark.parametrize("text", ["password" * 40, "customer's", "\'", "\\", "___", "a:*", "!(", "refund & | !", "\"unclosed", "a\x00b", "%_%",
                                  "(a+)+$", "ß 中文"])
def test_query_syntax_from_customers_is_only_words(engine, text):
    backend = engine(semantic=False)
    backend.rebuild(DOCS)
    assert backend.query(text).total >= 0
    assert isinstance(backend.suggest(text), list)
