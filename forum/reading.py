"""What the forum pages read: who may see which thread and post, lists, one page of a
thread, vote counts. Every list is paginated in SQL and loads its authors, tags and
counts in a fixed number of queries, however many rows the page shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from forum.models import ForumCategory, Post, PostVote, Tag, Thread, thread_tags
from forum.moderation import is_moderator
from portal.extensions import db

THREADS_PER_PAGE = 20
POSTS_PER_PAGE = 20


def thread_url(thread: Thread) -> str:
    # Plain paths (no url_for): the search index is rebuilt outside any request.
    return f"/forum/t/{thread.id}-{thread.slug}"


def post_url(post_id: int) -> str:
    return f"/forum/p/{post_id}"


# ---------------------------------------------------------------------- visibility
def can_see_thread(user, thread: Thread) -> bool:
    if thread.status == "published":
        return True
    if is_moderator(user):
        return True
    return thread.status == "pending" and _user_id(user) is not None and thread.author_id == _user_id(user)


def visible_posts(user):
    """A WHERE clause for the posts ``user`` may read: published ones, their own pending ones; moderators all."""
    if is_moderator(user):
        return sa.true()
    uid = _user_id(user)
    if uid is None:
        return Post.status == "published"
    return sa.or_(Post.status == "published", sa.and_(Post.status == "pending", Post.author_id == uid))


def _user_id(user) -> int | None:
    return user.id if user is not None and getattr(user, "is_authenticated", False) else None


def listed_threads():
    return sa.and_(Thread.status == "published", Thread.merged_into_id.is_(None))


# ---------------------------------------------------------------------- lists
@dataclass
class ThreadList:
    page: Pagination
    replies: dict[int, int]  # thread id -> published replies

    @property
    def items(self) -> list[Thread]:
        return self.page.items


def categories_with_counts() -> list[tuple[ForumCategory, int]]:
    counts = dict(db.session.execute(
        sa.select(Thread.category_id, sa.func.count(Thread.id)).where(listed_threads()).group_by(Thread.category_id)
    ).all())
    categories = db.session.scalars(sa.select(ForumCategory).order_by(ForumCategory.position, ForumCategory.name))
    return [(c, counts.get(c.id, 0)) for c in categories]


def thread_list(page: int, category_id: int | None = None, tag: Tag | None = None) -> ThreadList:
    query = sa.select(Thread).where(listed_threads())
    if category_id is not None:
        query = query.where(Thread.category_id == category_id)
        order = (Thread.pinned.desc(), Thread.last_post_at.desc(), Thread.id.desc())
    else:
        order = (Thread.last_post_at.desc(), Thread.id.desc())
    if tag is not None:
        query = query.join(thread_tags, thread_tags.c.thread_id == Thread.id).where(thread_tags.c.tag_id == tag.id)
    result = db.paginate(query.order_by(*order), page=page, per_page=THREADS_PER_PAGE, error_out=False)
    return ThreadList(result, reply_counts([t.id for t in result.items]))


def reply_counts(thread_ids: list[int]) -> dict[int, int]:
    if not thread_ids:
        return {}
    # The status goes in FILTER, not WHERE: given both, SQLite picks the status index (nearly every
    # post is published) over the thread index and reads every post in the forum for one page of threads.
    rows = db.session.execute(
        sa.select(Post.thread_id, sa.func.count(Post.id).filter(Post.status == "published"))
        .where(Post.thread_id.in_(thread_ids)).group_by(Post.thread_id)
    )
    return {thread_id: max(0, n - 1) for thread_id, n in rows}


# ---------------------------------------------------------------------- one thread
def opening_post_id(thread_id: int) -> int | None:
    return db.session.scalar(sa.select(sa.func.min(Post.id)).where(Post.thread_id == thread_id))


def posts_page(thread: Thread, user, page: int) -> Pagination:
    query = sa.select(Post).where(Post.thread_id == thread.id, visible_posts(user)).order_by(Post.id)
    return db.paginate(query, page=page, per_page=POSTS_PER_PAGE, error_out=False)


def page_of_post(post: Post, user) -> int:
    """Which page of its thread ``post`` is on, for permalinks."""
    before = db.session.scalar(
        sa.select(sa.func.count(Post.id)).where(Post.thread_id == post.thread_id, Post.id < post.id, visible_posts(user))
    )
    return before // POSTS_PER_PAGE + 1


@dataclass
class Votes:
    counts: dict[int, int]
    mine: set[int]


def votes_for(post_ids: list[int], user) -> Votes:
    """Vote counts for a page of posts in one grouped query, and which of them ``user`` voted for."""
    if not post_ids:
        return Votes({}, set())
    counts = dict(db.session.execute(
        sa.select(PostVote.post_id, sa.func.count()).where(PostVote.post_id.in_(post_ids)).group_by(PostVote.post_id)
    ).all())
    uid = _user_id(user)
    mine = set()
    if uid is not None:
        mine = set(db.session.scalars(
            sa.select(PostVote.post_id).where(PostVote.post_id.in_(post_ids), PostVote.user_id == uid)
        ))
    return Votes(counts, mine)


def accepted_post(thread: Thread) -> Post | None:
    if thread.accepted_post_id is None:
        return None
    post = db.session.get(Post, thread.accepted_post_id)
    return post if post is not None and post.status == "published" else None
