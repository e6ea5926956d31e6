"""Forum data: categories, threads, posts and their history, votes, tags, subscriptions,
the "ask before you post" deflections, and the tables moderation builds on.

Hiding is a soft delete: a post or thread keeps its row and changes ``status``, so a
moderator can undo it and the history stays whole.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db

# published: everyone sees it; pending: waits for a moderator's approval (only its author
# and moderators see it); hidden: taken down by a moderator (only moderators see it);
# deleted: gone for everyone, kept for the record.
POST_STATUSES = ("published", "pending", "hidden", "deleted")
THREAD_STATUSES = POST_STATUSES
FLAG_REASONS = ("spam", "abuse", "off_topic", "other")
SANCTION_KINDS = ("warn", "suspend", "ban")
WATCHED_WORD_ACTIONS = ("block", "hold", "flag")

thread_tags = sa.Table(
    "forum_thread_tags",
    db.metadata,
    sa.Column("thread_id", sa.ForeignKey("forum_threads.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("forum_tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class ForumCategory(db.Model):
    __tablename__ = "forum_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.String(300), default="")
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Tag(db.Model):
    __tablename__ = "forum_tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(30), unique=True)


class Thread(db.Model):
    """A question or discussion; its first post is the opening text."""

    __tablename__ = "forum_threads"
    __searchable__ = "thread"
    __search_ignored__ = ("last_post_at",)  # a reply moves it; the search document never reads it
    __table_args__ = (
        sa.Index("ix_forum_threads_category_id_last_post_at", "category_id", "last_post_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_categories.id"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(80), default="")
    status: Mapped[str] = mapped_column(sa.String(12), default="published", index=True)
    locked: Mapped[bool] = mapped_column(default=False)
    pinned: Mapped[bool] = mapped_column(default=False)
    merged_into_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("forum_threads.id", ondelete="SET NULL", name="fk_forum_threads_merged_into_id_forum_threads"),
        index=True,
    )
    # Threads and posts point at each other: this side is added after both tables exist.
    accepted_post_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("forum_posts.id", ondelete="SET NULL", use_alter=True,
                      name="fk_forum_threads_accepted_post_id_forum_posts"),
        index=True,
    )
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    accepted_at: Mapped[datetime | None]
    # The support ticket an agent opened from this thread (the thread travels with it).
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    views: Mapped[int] = mapped_column(default=0)
    last_post_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # threads by day
    # Set by the services when the title, tags or place change (not by view counts or replies).
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    category: Mapped[ForumCategory] = relationship(lazy="joined")
    author = relationship("User", foreign_keys=[author_id], lazy="joined")
    tags: Mapped[list[Tag]] = relationship(secondary=thread_tags, lazy="selectin", order_by="Tag.name")
    posts: Mapped[list[Post]] = relationship(
        back_populates="thread", foreign_keys="Post.thread_id", order_by="Post.id", cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def answered(self) -> bool:
        return self.accepted_post_id is not None

    def is_searchable(self) -> bool:
        return self.status == "published" and self.merged_into_id is None


class Post(db.Model):
    __tablename__ = "forum_posts"
    # A post's text is part of its thread's search document: changing a post re-indexes the thread.
    __search_owner__ = ("thread", "thread_id")
    __table_args__ = (sa.Index("ix_forum_posts_thread_id_id", "thread_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_threads.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    reply_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("forum_posts.id", ondelete="SET NULL"), index=True)
    body_md: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)  # rendered through the sanitiser when written
    status: Mapped[str] = mapped_column(sa.String(12), default="published", index=True)
    hidden_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    hidden_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    edited_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    thread: Mapped[Thread] = relationship(back_populates="posts", foreign_keys=[thread_id])
    author = relationship("User", foreign_keys=[author_id], lazy="joined")
    revisions: Mapped[list[PostRevision]] = relationship(
        back_populates="post", order_by="PostRevision.id", cascade="all, delete-orphan", passive_deletes=True,
    )


class PostRevision(db.Model):
    """The text a post had before one edit (and the thread's title, when the opening post changed it)."""

    __tablename__ = "forum_post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_posts.id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    body_md: Mapped[str] = mapped_column(sa.Text)
    title: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    post: Mapped[Post] = relationship(back_populates="revisions")
    editor = relationship("User", lazy="joined")


class PostVote(db.Model):
    __tablename__ = "forum_post_votes"

    post_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_posts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ThreadSubscription(db.Model):
    __tablename__ = "forum_subscriptions"

    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_threads.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ForumDeflection(db.Model):
    """Someone about to post opened a suggested article or answered thread.

    ``posted_after`` turns true if the same person posts a thread within the window
    (forum.services.DEFLECTION_WINDOW); otherwise the suggestion answered them.
    """

    __tablename__ = "forum_deflections"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    visitor_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    query: Mapped[str] = mapped_column(sa.String(200))
    doc_url: Mapped[str] = mapped_column(sa.String(300))
    doc_type: Mapped[str] = mapped_column(sa.String(20))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    posted_after: Mapped[bool] = mapped_column(default=False)
    thread_id: Mapped[int | None] = mapped_column(sa.ForeignKey("forum_threads.id", ondelete="SET NULL"), index=True)


# ---------------------------------------------------------------------- moderation
class Flag(db.Model):
    """A reader's report of a post; moderators work them as a queue."""

    __tablename__ = "forum_flags"
    __table_args__ = (sa.UniqueConstraint("post_id", "user_id", name="uq_forum_flags_post_id_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_posts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(20))  # FLAG_REASONS
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    resolution: Mapped[str] = mapped_column(sa.String(20), default="")

    post = relationship("Post")


class ModerationLog(db.Model):
    """Who did what to which post, thread or user, and why."""

    __tablename__ = "forum_moderation_log"
    __table_args__ = (sa.Index("ix_forum_moderation_log_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    moderator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(sa.String(40))
    target_type: Mapped[str] = mapped_column(sa.String(20))  # post, thread, user
    target_id: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    moderator = relationship("User", lazy="joined")


class UserSanction(db.Model):
    """A warning, suspension (until ``ends_at``) or ban (no end) given to a member."""

    __tablename__ = "forum_user_sanctions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))  # SANCTION_KINDS
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    ends_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lifted_at: Mapped[datetime | None]


class WatchedWord(db.Model):
    """A word or pattern that blocks a post, holds it for approval, or flags it."""

    __tablename__ = "forum_watched_words"

    id: Mapped[int] = mapped_column(primary_key=True)
    pattern: Mapped[str] = mapped_column(sa.String(200), unique=True)
    is_regex: Mapped[bool] = mapped_column(default=False)
    action: Mapped[str] = mapped_column(sa.String(10))  # WATCHED_WORD_ACTIONS
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ForumSetting(db.Model):
    """A moderation setting changed from its default (forum.settings.DEFAULTS)."""

    __tablename__ = "forum_settings"

    key: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    value: Mapped[Any] = mapped_column(sa.JSON)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
