"""Several processes (like gunicorn workers) write articles at once.

Each process builds its own app over the same database and index directory, creates
and edits its own articles, and all of them keep rewriting one shared article. No
process may see LockError, and afterwards the index must hold exactly the newest
committed state of every article.
"""

from __future__ import annotations

import multiprocessing

import sqlalchemy as sa

from portal.extensions import db
from portal.kb.models import Article
from tests.conftest import test_config
from tests.factories import make_article

WORKERS = 4
ARTICLES_EACH = 8
SHARED_ROUNDS = 6


def _worker(config: dict, worker: int, errors) -> None:
    try:
        from portal import create_app
        from portal.kb.services import get_or_create_category, render_article_body

        app = create_app(config)
        with app.app_context():
            for j in range(ARTICLES_EACH):
                body = f"Worker {worker} article {j} about sofa cushions."
                category = get_or_create_category("product-help")
                db.session.add(Article(slug=f"w{worker}-a{j}", title=f"Worker {worker} article {j}", body_md=body,
                                       body_html=render_article_body(body), category=category, tags=["sofa"]))
                db.session.commit()
            for j in range(0, ARTICLES_EACH, 2):  # edit half of them
                article = db.session.scalar(sa.select(Article).where(Article.slug == f"w{worker}-a{j}"))
                article.title = f"Edited by worker {worker} number {j}"
                db.session.commit()
            for k in range(SHARED_ROUNDS):  # everyone fights over one article
                article = db.session.scalar(sa.select(Article).where(Article.slug == "shared"))
                article.title = f"Shared written by {worker} round {k}"
                db.session.commit()
            db.engine.dispose()
        app.extensions["search"].close()
    except BaseException as exc:  # report to the parent; a child's traceback is otherwise lost
        errors.put(f"worker {worker}: {exc.__class__.__name__}: {exc}")


def test_concurrent_writers_never_lock_out_and_never_lose_an_update(app, database_url, tmp_path):
    with app.app_context():
        make_article("shared", "Shared original", "Shared sofa article.", category="product-help")
    config = test_config(database_url, tmp_path)  # same database and index directory as `app`
    ctx = multiprocessing.get_context("spawn")
    errors = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(config, i, errors)) for i in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=240)
    reported = []
    while not errors.empty():
        reported.append(errors.get())
    assert reported == []
    assert [p.exitcode for p in procs] == [0] * WORKERS

    with app.app_context():
        expected = {f"article:{a.id}": a.title for a in db.session.scalars(sa.select(Article))}
    searcher = app.extensions["search"]._get_searcher()
    indexed = {doc["id"]: doc["title"] for doc in searcher.all_stored_fields()}
    assert len(expected) == WORKERS * ARTICLES_EACH + 1
    assert indexed == expected  # every article, each at its newest committed title


def test_threads_in_one_worker_search_while_articles_change(app):
    """gthread workers: searches from several threads while the index keeps changing."""
    import threading

    from portal.search.services import search

    with app.app_context():
        for i in range(20):
            make_article(f"sofa-{i}", f"Sofa care {i}", "Sofa fabric cleaning and cushions.", category="product-help")
    failures: list[str] = []
    stop = threading.Event()

    def searcher_thread():
        while not stop.is_set():
            try:
                with app.app_context():
                    results = search("sofa cushions")
                    assert results.total >= 20 and len(results.hits) == 10
                    assert app.extensions["search"].suggest("sofa")
            except Exception as exc:  # collected and asserted below
                failures.append(repr(exc))
                return

    threads = [threading.Thread(target=searcher_thread) for _ in range(8)]
    for t in threads:
        t.start()
    with app.app_context():
        for i in range(20, 30):
            make_article(f"sofa-{i}", f"Sofa care {i}", "Sofa fabric cleaning and cushions.", category="product-help")
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert failures == []
    with app.app_context():
        assert search("sofa cushions").total == 30
