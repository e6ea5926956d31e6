"""Threads in the portal's search, beside the articles: one document per thread, made of its
title and the text of its published posts, marked answered when it has an accepted answer.

A document holds the question, the accepted answer and the first replies, within
DOCUMENT_POSTS posts and DOCUMENT_CHARS characters. Writing a document costs time in
proportion to its text (about 3 ms a post with Whoosh), and every reply rewrote its thread's:
1.5 s in a thread of 1,000 posts. Now a reply past the bounds changes nothing searched, so it
writes nothing to the index (``post_changes_thread_document``), and one within them rewrites at
most a bounded document.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, object_session

from forum.models import Post, Thread
from forum.reading import thread_url
from portal.markdown import plain_text
from portal.search.backend import SearchDocument
from portal.search.indexing import doc_id
from portal.search.services import search

SUMMARY_LENGTH = 300
DOCUMENT_POSTS = 30  # the question and the first 29 replies: a page and a half
DOCUMENT_CHARS = 20_000  # of the body's plain text, so a few very long posts are bounded too


def _first_published(thread_id: int):
    return (sa.select(Post.id, Post.body_md).where(Post.thread_id == thread_id, Post.status == "published")
            .order_by(Post.id).limit(DOCUMENT_POSTS))


def thread_document(thread: Thread) -> SearchDocument:
    session = object_session(thread)
    texts = {pid: plain_text(body) for pid, body in session.execute(_first_published(thread.id))}
    accepted_id = thread.accepted_post_id
    accepted = texts.get(accepted_id)
    if accepted is None and accepted_id is not None:  # an answer further down the thread
        accepted_md = session.scalar(sa.select(Post.body_md).where(
            Post.id == accepted_id, Post.thread_id == thread.id, Post.status == "published"))
        accepted = plain_text(accepted_md) if accepted_md is not None else None
    # The question leads the summary; the accepted answer leads the body, so the passage
    # embedded for search by meaning (semantic.document_texts) is the answer, not the question again.
    lead = [accepted] if accepted is not None else []
    body = _within(DOCUMENT_CHARS, "\n".join(lead + [t for pid, t in texts.items() if pid != accepted_id]))
    return SearchDocument(
        doc_id=doc_id("thread", thread.id),
        type="thread",
        slug=f"{thread.id}-{thread.slug}",
        title=thread.title,
        url=thread_url(thread),
        category="",  # the topic facet lists help-centre topics; threads are told apart by type
        tags=tuple(t.name for t in thread.tags),
        summary=next(iter(texts.values()), "")[:SUMMARY_LENGTH],
        body=body,
        answered=accepted is not None,
    )


def _within(limit: int, text: str) -> str:
    """``text`` cut to ``limit`` characters at a word boundary."""
    return text if len(text) <= limit else text[:limit + 1].rsplit(maxsplit=1)[0]


def post_changes_thread_document(session: Session, post: Post) -> bool:
    """Whether a new, edited, hidden, approved or deleted ``post`` can change its thread's document.

    Asked after a flush (portal.search.indexing): only a post among the first DOCUMENT_POSTS
    published ones, or the accepted answer, is in the document. A post with that many published
    posts before it is not, whatever happened to it; the query reads at most that many rows.
    """
    before = (sa.select(Post.id).where(Post.thread_id == post.thread_id, Post.status == "published",
                                       Post.id < post.id).order_by(Post.id).limit(DOCUMENT_POSTS).subquery())
    earlier = sa.select(sa.func.count()).select_from(before).scalar_subquery()
    accepted = sa.select(Thread.accepted_post_id).where(Thread.id == post.thread_id).scalar_subquery()
    count, accepted_id = session.connection().execute(sa.select(earlier, accepted)).one()
    return count < DOCUMENT_POSTS or accepted_id == post.id


@dataclass(frozen=True)
class CommunityAnswer:
    title: str
    url: str
    score: float
    answered: bool = True

    def to_json(self) -> dict:
        return asdict(self)


def community_answers(query: str, limit: int = 3) -> list[CommunityAnswer]:
    """Answered community threads that match ``query``, best first (raises SearchInputError for empty text)."""
    found = search(query, per_page=limit, doc_type="thread", answered=True, source="forum")
    return [CommunityAnswer(title=h.title, url=h.url, score=h.score) for h in found.hits]


def similar_articles(query: str, limit: int = 3) -> list[dict]:
    # Asked while a member types a thread title: a miss here is half a title, not a content gap.
    found = search(query, per_page=limit, doc_type="article", source="forum", note_miss=False)
    return [{"type": "article", "title": h.title, "url": h.url, "score": h.score} for h in found.hits]
