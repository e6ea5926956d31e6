"""Threads in the portal's search, beside the articles: one document per thread, made of its
title and the text of its published posts, marked answered when it has an accepted answer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import sqlalchemy as sa
from sqlalchemy.orm import object_session

from forum.models import Post, Thread
from forum.reading import thread_url
from portal.markdown import plain_text
from portal.search.backend import SearchDocument
from portal.search.indexing import doc_id
from portal.search.services import search

SUMMARY_LENGTH = 300


def thread_document(thread: Thread) -> SearchDocument:
    session = object_session(thread)
    rows = session.execute(
        sa.select(Post.id, Post.body_md).where(Post.thread_id == thread.id, Post.status == "published")
        .order_by(Post.id)
    ).all()
    texts = [plain_text(body) for _, body in rows]
    published_ids = {pid for pid, _ in rows}
    # The question leads the summary; the accepted answer leads the body, so the passage
    # embedded for search by meaning (semantic.document_texts) is the answer, not the question again.
    accepted = [plain_text(body) for pid, body in rows if pid == thread.accepted_post_id]
    body = "\n".join(accepted + [t for (pid, _), t in zip(rows, texts, strict=True)
                                  if pid != thread.accepted_post_id])
    return SearchDocument(
        doc_id=doc_id("thread", thread.id),
        type="thread",
        slug=f"{thread.id}-{thread.slug}",
        title=thread.title,
        url=thread_url(thread),
        category="",  # the topic facet lists help-centre topics; threads are told apart by type
        tags=tuple(t.name for t in thread.tags),
        summary=texts[0][:SUMMARY_LENGTH] if texts else "",
        body=body,
        answered=thread.accepted_post_id is not None and thread.accepted_post_id in published_ids,
    )


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
