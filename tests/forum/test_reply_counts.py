"""The reply counts of a page of threads: published replies only, read by thread.

Found by bench/forum.py: with the status in the WHERE clause SQLite chose the status index
(nearly every post is published), so each /forum, category or tag page read every post in
the forum (18 ms of a 37 ms page at 20,000 posts, growing with the forum).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.models import Post
from forum.reading import reply_counts
from portal.extensions import db
from tests.forum.builders import answer, forum_app, member, start_thread


@pytest.fixture
def app(make_app):
    return forum_app(make_app, FORUM_POST_RATE_LIMIT_POSTS=0)


def test_only_published_replies_count(app):
    with app.app_context():
        casey, robin = member("casey@example.com"), member("robin@example.com")
        busy = start_thread(casey, title="Parcel marked delivered but missing")
        replies = [answer(robin, busy, f"Reply {i}") for i in range(4)]
        replies[0].status, replies[1].status = "hidden", "pending"
        quiet = start_thread(robin, title="Invoice shows the wrong address")
        gone = start_thread(robin, title="Refund never arrived on my card")
        gone.posts[0].status = "hidden"
        db.session.commit()
        counts = reply_counts([busy.id, quiet.id, gone.id])
        assert {t: counts.get(t, 0) for t in (busy.id, quiet.id, gone.id)} == {busy.id: 2, quiet.id: 0, gone.id: 0}
        assert reply_counts([]) == {}
    page = app.test_client().get("/forum").get_data(as_text=True)
    row = page.split(f'data-thread="{busy.id}"', 1)[1].split("</li>", 1)[0]
    assert "<dt>Replies</dt><dd>2</dd>" in row


def test_the_counts_are_read_through_the_thread_index(app):
    """A page of 20 threads reads their posts, not the forum's (the plan SQLite chooses for the real query)."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("guards a choice of SQLite's planner (the status index over the thread index); "
                        "PostgreSQL plans from table statistics, and on 20 rows any plan is a scan")
        casey = member("casey@example.com")
        ids = [start_thread(casey, title=f"Question number {i}").id for i in range(20)]
        seen = []
        listener = lambda conn, cursor, statement, params, context, many: seen.append((statement, params))  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            reply_counts(ids)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        [(statement, params)] = [(s, p) for s, p in seen if "forum_posts" in s]
        with db.engine.connect() as conn:
            plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params))
        assert "ix_forum_posts_thread_id_id" in plan and "ix_forum_posts_status" not in plan, plan
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 20
