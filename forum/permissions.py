"""Who may do what in the forum, as small checks the views call before a service."""

from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from forum.models import ForumCategory, Post, Thread
from forum.moderation import MODERATOR_ROLES, is_moderator
from forum.reading import can_see_thread
from portal.extensions import db


def member_required(view):
    """Signed-in members only: a 401 (the error handler sends a browser to the login page)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            abort(401)
        return view(*args, **kwargs)

    return wrapped


def moderator_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            abort(401)
        if not current_user.has_role(*MODERATOR_ROLES):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def get_thread(thread_id: int) -> Thread:
    """The thread if the current visitor may read it, else 404 (a hidden thread does not exist for them)."""
    thread = db.session.get(Thread, thread_id)
    if thread is None or not can_see_thread(current_user, thread):
        abort(404)
    return thread


def get_post(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None or not can_see_thread(current_user, post.thread) or not can_see_post(post):
        abort(404)
    return post


def can_see_post(post: Post) -> bool:
    if post.status == "published" or is_moderator(current_user):
        return True
    return post.status == "pending" and current_user.is_authenticated and post.author_id == current_user.id


def can_see_history(post: Post) -> bool:
    """Old versions may hold what the author meant to remove (an order number, an email): author and moderators."""
    return current_user.is_authenticated and (post.author_id == current_user.id or is_moderator(current_user))


def get_category(slug: str) -> ForumCategory:
    return db.session.scalar(sa.select(ForumCategory).where(ForumCategory.slug == slug)) or abort(404)
