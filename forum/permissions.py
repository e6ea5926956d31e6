"""Who may read what in the forum: its rules, registered with the portal's permissions
(``can("see_post_history", post)``), and the lookups views call before a service."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from forum.models import ForumCategory, Post, Thread
from forum.moderation import is_moderator
from forum.reading import can_see_thread
from portal.auth.permissions import can, register
from portal.extensions import db


def _sees_post(user, post: Post) -> bool:
    if post.status == "published" or is_moderator(user):
        return True
    return post.status == "pending" and user.is_authenticated and post.author_id == user.id


def _sees_history(user, post: Post) -> bool:
    """Old versions may hold what the author meant to remove (an order number, an email): author and moderators."""
    return user.is_authenticated and (post.author_id == user.id or is_moderator(user))


def register_permissions() -> None:
    register("see_thread", can_see_thread)
    register("see_post", _sees_post)
    register("see_post_history", _sees_history)


def get_thread(thread_id: int) -> Thread:
    """The thread if the current visitor may read it, else 404 (a hidden thread does not exist for them)."""
    thread = db.session.get(Thread, thread_id)
    if thread is None or not can("see_thread", thread):
        abort(404)
    return thread


def get_post(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None or not can("see_thread", post.thread) or not can("see_post", post):
        abort(404)
    return post


def get_category(slug: str) -> ForumCategory:
    return db.session.scalar(sa.select(ForumCategory).where(ForumCategory.slug == slug)) or abort(404)
