"""Lists and pages: categories, tags, pagination in SQL, view counts, permalinks, and a
thread page whose query count does not grow with its posts, authors or votes."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.models import Post, PostVote, Tag, Thread, thread_tags
from forum.reading import POSTS_PER_PAGE, THREADS_PER_PAGE
from portal.auth.models import User
from portal.clock import utcnow
from portal.extensions import db
from tests.forum.builders import FAST_HASH, answer, category, forum_app, member, reload, signed_in, start_thread


@pytest.fixture
def app(make_app):
    # These tests write many posts as one member: no posting rate limit.
    return forum_app(make_app, FORUM_POST_RATE_LIMIT_POSTS=0)


def rows(page: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-thread="(\d+)"', page)]


def post_ids(page: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-post="(\d+)"', page)]


def test_thread_lists_are_paginated_newest_activity_first(app):
    with app.app_context():
        casey = member("casey@example.com")
        ids = [start_thread(casey, title=f"Question number {i}", tags="delivery" if i % 2 else None).id
               for i in range(THREADS_PER_PAGE + 5)]
    client = app.test_client()
    first, second = client.get("/forum").get_data(as_text=True), client.get("/forum?page=2").get_data(as_text=True)
    assert rows(first) == ids[::-1][:THREADS_PER_PAGE]
    assert rows(second) == ids[::-1][THREADS_PER_PAGE:]
    assert "Page 1 of 2" in first and 'href="/forum?page=2"' in first
    tagged = client.get("/forum/tags/delivery").get_data(as_text=True)
    assert rows(tagged) == [i for n, i in enumerate(ids) if n % 2][::-1]
    assert client.get("/forum?page=abc").status_code == 200  # a bad page number is page 1


def test_category_pages_put_pinned_threads_first_and_count_threads(app):
    with app.app_context():
        casey = member("casey@example.com")
        category("billing", "Billing")
        pinned = start_thread(casey, title="Read me first: how refunds work")
        later = start_thread(casey, title="Charged twice for one order")
        elsewhere = start_thread(casey, title="Invoice address is wrong", category_slug="billing")
        pinned.pinned = True
        db.session.commit()
        pinned_id, later_id, elsewhere_id = pinned.id, later.id, elsewhere.id
    client = app.test_client()
    assert rows(client.get("/forum/c/orders-delivery").get_data(as_text=True)) == [pinned_id, later_id]
    assert rows(client.get("/forum/c/billing").get_data(as_text=True)) == [elsewhere_id]
    index = client.get("/forum").get_data(as_text=True)
    assert "2 threads" in index and "1 thread<" in index


def test_posts_are_paginated_and_permalinks_find_their_page(app):
    with app.app_context():
        casey, robin = member("casey@example.com"), member("robin@example.com")
        thread = start_thread(casey)
        replies = [answer(robin if i % 2 else casey, thread, f"Reply number {i}").id for i in range(2 * POSTS_PER_PAGE + 4)]
        thread_id, first = thread.id, thread.posts[0].id
    client = app.test_client()
    page1 = client.get(f"/forum/t/{thread_id}").get_data(as_text=True)
    page3 = client.get(f"/forum/t/{thread_id}?page=3").get_data(as_text=True)
    assert post_ids(page1) == [first, *replies[: POSTS_PER_PAGE - 1]]
    assert post_ids(page3) == replies[2 * POSTS_PER_PAGE - 1:]
    assert client.get(f"/forum/t/{thread_id}?page=4").status_code == 404
    target = replies[POSTS_PER_PAGE + 3]  # the 25th post: page 2
    response = client.get(f"/forum/p/{target}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/forum/t/{thread_id}-parcel-marked-delivered-but-missing?page=2#p{target}"


def test_each_visit_counts_one_view(app):
    with app.app_context():
        thread_id = start_thread(member("casey@example.com")).id
    client = app.test_client()
    for _ in range(3):
        assert client.get(f"/forum/t/{thread_id}").status_code == 200
    with app.app_context():
        thread = reload(Thread, thread_id)
        assert thread.views == 3
    assert "3 views" in client.get(f"/forum/t/{thread_id}").get_data(as_text=True)  # the visits before this one


@contextmanager
def counted_queries(app):
    statements: list[str] = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)


def big_forum(threads: int = 1000, posts_per_thread: int = 20, authors: int = 40) -> tuple[int, int]:
    """Threads and posts written straight to the tables (no search indexing): the busiest thread and a quiet one."""
    now = utcnow()
    db.session.execute(sa.insert(User), [
        {"email": f"member{i}@example.com", "name": f"Member {i}", "password_hash": FAST_HASH, "active": True,
         "created_at": now} for i in range(authors)])
    user_ids = db.session.scalars(sa.select(User.id).order_by(User.id)).all()
    cat = category()
    db.session.execute(sa.insert(Thread), [
        {"category_id": cat.id, "author_id": user_ids[i % authors], "title": f"Busy thread {i}", "slug": f"busy-{i}",
         "status": "published", "locked": False, "pinned": False, "views": 0, "last_post_at": now - timedelta(minutes=i),
         "created_at": now, "updated_at": now} for i in range(threads)])
    thread_ids = db.session.scalars(sa.select(Thread.id).order_by(Thread.id)).all()
    db.session.execute(sa.insert(Post), [
        {"thread_id": t, "author_id": user_ids[(t + n) % authors], "body_md": f"Post {n}", "body_html": f"<p>Post {n}</p>",
         "status": "published", "hidden_reason": "", "created_at": now}
        for t in thread_ids for n in range(posts_per_thread)])
    busy = thread_ids[0]
    busy_posts = db.session.scalars(sa.select(Post.id).where(Post.thread_id == busy)).all()
    db.session.execute(sa.insert(PostVote), [{"post_id": p, "user_id": u, "created_at": now}
                                             for p in busy_posts for u in user_ids[:5]])
    tags = [Tag(name=f"tag-{i}") for i in range(3)]
    db.session.add_all(tags)
    db.session.flush()
    db.session.execute(sa.insert(thread_tags), [{"thread_id": t, "tag_id": tag.id} for t in thread_ids[:50] for tag in tags])
    quiet = Thread(category_id=cat.id, author_id=user_ids[0], title="Quiet thread", slug="quiet", status="published",
                   last_post_at=now - timedelta(days=30))
    db.session.add(quiet)
    db.session.flush()
    db.session.execute(sa.insert(Post), [{"thread_id": quiet.id, "author_id": user_ids[0], "body_md": "Alone",
                                          "body_html": "<p>Alone</p>", "status": "published", "hidden_reason": "",
                                          "created_at": now}])
    db.session.commit()
    return busy, quiet.id


def test_thread_page_queries_do_not_grow_with_posts_authors_or_votes(app):
    with app.app_context():
        busy, quiet = big_forum()
        member("reader@example.com")
    client = signed_in(app, "reader@example.com")
    client.get(f"/forum/t/{quiet}")  # warm up (first queries of a session, template compilation)
    with counted_queries(app) as quiet_queries:
        assert client.get(f"/forum/t/{quiet}").status_code == 200
    started = time.perf_counter()
    with counted_queries(app) as busy_queries:
        page = client.get(f"/forum/t/{busy}").get_data(as_text=True)
    elapsed = time.perf_counter() - started
    assert len(post_ids(page)) == POSTS_PER_PAGE
    assert page.count('data-votes="5"') == POSTS_PER_PAGE
    # The same handful for 1 post or 20 (the nav, the signed-in user and their roles included).
    assert len(busy_queries) == len(quiet_queries) <= 24, busy_queries  # 22 since the messenger (issue 16)
    assert elapsed < 5.0  # typically ~30 ms; generous for a loaded shared machine
    with counted_queries(app) as list_queries:
        listing = client.get("/forum").get_data(as_text=True)
    assert len(rows(listing)) == THREADS_PER_PAGE and "Page 1 of 51" in listing
    assert len(list_queries) <= 14, list_queries
    with app.app_context():
        plan = " ".join(str(r) for r in db.session.execute(sa.text(
            "EXPLAIN QUERY PLAN SELECT id FROM forum_posts WHERE thread_id = :t ORDER BY id LIMIT 20"), {"t": busy})
        ) if db.engine.dialect.name == "sqlite" else "ix_forum_posts_thread_id_id"
    assert "ix_forum_posts_thread_id_id" in plan
