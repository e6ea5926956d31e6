"""A reply in a long thread does the work of a reply in a short one (issue 15, #17).

Every reply used to rewrite its thread's whole search document, every published post turned
into text and written to the index: 1.3-1.5 s in a thread of 1,000 posts. A thread's document
now holds its question, its accepted answer and its first posts (forum.search.DOCUMENT_POSTS),
and a reply further down writes nothing to the index. The work is counted here (SQL statements,
text handed to the search engine), not timed; bench/forum.py times it (the ``reply`` lines).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.models import Post, Thread
from forum.search import DOCUMENT_CHARS, DOCUMENT_POSTS, thread_document
from forum.services import edit_post, reply, toggle_accept
from portal.auth.models import User
from portal.extensions import db
from portal.search.indexing import reindex
from tests.forum.builders import forum_app, member, start_thread
from tests.forum.moderation_helpers import search_hits

SHORT, LONG = 5, 300


@pytest.fixture
def app(make_app):
    return forum_app(make_app, FORUM_POST_RATE_LIMIT_POSTS=0)


def thread_of(author, posts: int, title: str, word: str = "parcel") -> int:
    """A thread of ``posts`` published posts, the replies bulk-inserted (as a forum's history would be)."""
    thread = start_thread(author, title=title, body=f"Where is my {word}? It left the depot a week ago.")
    db.session.execute(sa.insert(Post), [
        {"thread_id": thread.id, "author_id": author.id, "body_md": f"Reply {i}: the {word} turned up {word}{i}.",
         "body_html": f"<p>Reply {i}</p>", "status": "published", "created_at": thread.created_at}
        for i in range(1, posts)])
    db.session.commit()
    reindex({("thread", thread.id)})  # a bulk insert fires no index hooks
    return thread.id


class Work:
    """The SQL statements a block sends and the text it hands to the search engine."""

    def __init__(self, app):
        self.statements: list[str] = []
        self.indexed: list = []
        self.backend = app.extensions["search"]

    def __enter__(self):
        sa.event.listen(db.engine, "before_cursor_execute", self._statement)
        self.apply = self.backend.apply
        self.backend.apply = self._apply
        return self

    def __exit__(self, *exc):
        sa.event.remove(db.engine, "before_cursor_execute", self._statement)
        self.backend.apply = self.apply

    def _statement(self, conn, cursor, statement, params, context, many):
        self.statements.append(statement)

    def _apply(self, produce):
        def recording():
            docs, removed = produce()
            docs = list(docs)
            self.indexed += docs
            return docs, removed

        return self.apply(recording)

    @property
    def indexed_chars(self) -> int:
        return sum(len(d.body) + len(d.summary) + len(d.title) for d in self.indexed)


def replying(app, user_id: int, thread_id: int, body: str) -> Work:
    with Work(app) as work:
        reply(db.session.get(User, user_id), db.session.get(Thread, thread_id), body)
    db.session.remove()
    return work


def test_a_reply_in_a_long_thread_does_no_more_work_than_in_a_short_one(app):
    with app.app_context():
        casey, robin = member("casey@example.com"), member("robin@example.com")
        short = thread_of(casey, SHORT, "Short thread about a late parcel")
        long = thread_of(casey, LONG, "Long thread about a late parcel")
        robin_id = robin.id
        for thread_id in (short, long):  # Robin's first reply subscribes them: the same in both threads
            replying(app, robin_id, thread_id, "Any news? Mine is late too.")
        in_short = replying(app, robin_id, short, "Mine came today, with a note from the depot.")
        in_long = replying(app, robin_id, long, "Mine came today, with a note from the depot.")

        assert len(in_long.statements) <= len(in_short.statements), (in_long.statements, in_short.statements)
        assert in_short.indexed_chars > 0  # the short thread's document took the reply
        assert in_long.indexed_chars <= in_short.indexed_chars
        # the long thread's document is bounded whatever is added to it
        document = thread_document(db.session.get(Thread, long))
        assert len(document.body) <= DOCUMENT_CHARS
        assert "parcel1." in document.body and f"parcel{DOCUMENT_POSTS - 1}." in document.body
        assert f"parcel{DOCUMENT_POSTS}." not in document.body
        assert document.summary.startswith("Where is my parcel?")
    # the reply is there for readers; the early posts stay searchable
    page = app.test_client().get(f"/forum/t/{long}?page={-(-(LONG + 2) // 20)}", follow_redirects=True)
    assert "with a note from the depot" in page.get_data(as_text=True)
    assert search_hits(app, "parcel3") and search_hits(app, "depot")


def test_a_long_threads_accepted_answer_leads_its_document_wherever_it_is(app):
    with app.app_context():
        casey, robin = member("casey@example.com"), member("robin@example.com")
        thread_id = thread_of(casey, DOCUMENT_POSTS + 10, "Router drops the wifi every hour", word="router")
        answer = reply(robin, db.session.get(Thread, thread_id), "Turn off band steering: fixed it for me.")
        assert search_hits(app, "steering") == []  # past the first posts: not in the document
        toggle_accept(casey, db.session.get(Post, answer.id))
        assert search_hits(app, "steering")  # the accepted answer joins it, first
        document = thread_document(db.session.get(Thread, thread_id))
        assert document.answered and document.body.startswith("Turn off band steering")
        assert document.summary.startswith("Where is my router?")
        # editing the accepted answer, far down the thread, reaches the index
        edit_post(db.session.get(User, robin.id), db.session.get(Post, answer.id),
                  "Turn off band steering in the router's advanced wifi page.")
        assert search_hits(app, "advanced")


def test_a_changed_post_among_the_first_ones_still_reaches_the_index(app):
    with app.app_context():
        casey = member("casey@example.com")
        thread_id = thread_of(casey, LONG, "Long thread about a blender", word="blender")
        second = db.session.scalars(sa.select(Post.id).where(Post.thread_id == thread_id).order_by(Post.id)).all()[1]
        edit_post(db.session.get(User, casey.id), db.session.get(Post, second), "Try the pulse setting.")
        assert search_hits(app, "pulse")
        body = thread_document(db.session.get(Thread, thread_id)).body
        assert "Try the pulse setting." in body and "blender1." not in body and "blender2." in body
