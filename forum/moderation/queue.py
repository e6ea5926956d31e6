"""What moderators read: the flag queue (one entry per post), the approval queue, the
log, and a member's record. Reads only; the changes are in actions.py and members.py.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import selectinload

from forum.models import Flag, ForumCategory, ModerationLog, Post
from portal.auth.models import User
from portal.extensions import db

PER_PAGE = 20
QUEUE_SORTS = {"most": "Most flagged first", "newest": "Newest flag first"}
LOG_ACTIONS = (
    "hide", "unhide", "auto_hide", "dismiss_flags", "approve", "reject", "delete", "edit",
    "lock", "unlock", "pin", "unpin", "move", "merge",
    "warn", "suspend", "ban", "lift", "settings", "word_add", "word_edit", "word_delete",
)


@dataclass
class FlaggedPost:
    post: Post
    flags: list[Flag]  # open ones, newest first
    reporters: dict[int, User]  # who sent them (system flags have no user)

    @property
    def count(self) -> int:
        return len(self.flags)

    @property
    def reasons(self) -> list[tuple[str, int]]:
        return Counter(flag.reason for flag in self.flags).most_common()

    @property
    def last_flagged_at(self) -> datetime:
        return max(flag.created_at for flag in self.flags)


def flagged_posts(page: int = 1, sort: str = "most") -> tuple[Pagination, list[FlaggedPost]]:
    """Posts with open flags, grouped: the most-flagged (or the most recently flagged) first."""
    count, newest = sa.func.count(Flag.id), sa.func.max(Flag.created_at)
    order = (newest.desc(), count.desc()) if sort == "newest" else (count.desc(), newest.desc())
    query = (sa.select(Flag.post_id).join(Post, Post.id == Flag.post_id)
             .where(Flag.resolved_at.is_(None), Post.status != "deleted")
             .group_by(Flag.post_id).order_by(*order, Flag.post_id.desc()))
    pagination = db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)
    ids = list(pagination.items)
    if not ids:
        return pagination, []
    posts = {p.id: p for p in db.session.scalars(
        sa.select(Post).where(Post.id.in_(ids)).options(selectinload(Post.thread)))}
    flags: dict[int, list[Flag]] = {pid: [] for pid in ids}
    for flag in db.session.scalars(sa.select(Flag).where(Flag.post_id.in_(ids), Flag.resolved_at.is_(None))
                                   .order_by(Flag.created_at.desc(), Flag.id.desc())):
        flags[flag.post_id].append(flag)
    reporter_ids = {f.user_id for group in flags.values() for f in group if f.user_id is not None}
    reporters = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(reporter_ids)))}
    return pagination, [FlaggedPost(posts[pid], flags[pid], reporters) for pid in ids if pid in posts]


def pending_posts(page: int = 1) -> Pagination:
    """Posts waiting for approval, oldest first: whoever has waited longest is answered first."""
    query = (sa.select(Post).where(Post.status == "pending").options(selectinload(Post.thread))
             .order_by(Post.created_at, Post.id))
    return db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)


def opening_ids(posts: list[Post]) -> set[int]:
    """Which of ``posts`` open their thread (approving or hiding one of those acts on the whole thread)."""
    thread_ids = {p.thread_id for p in posts}
    if not thread_ids:
        return set()
    return set(db.session.scalars(
        sa.select(sa.func.min(Post.id)).where(Post.thread_id.in_(thread_ids)).group_by(Post.thread_id)))


def queue_sizes() -> dict[str, int]:
    flagged = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Flag.post_id))).join(Post, Post.id == Flag.post_id)
        .where(Flag.resolved_at.is_(None), Post.status != "deleted"))
    pending = db.session.scalar(sa.select(sa.func.count(Post.id)).where(Post.status == "pending"))
    return {"flagged": flagged or 0, "pending": pending or 0}


def log_page(page: int = 1, action: str = "", target_type: str = "", target_id: int | None = None) -> Pagination:
    query = sa.select(ModerationLog).order_by(ModerationLog.id.desc())
    if action:
        query = query.where(ModerationLog.action == action)
    if target_type:
        query = query.where(ModerationLog.target_type == target_type)
        if target_id is not None:
            query = query.where(ModerationLog.target_id == target_id)
    return db.paginate(query, page=page, per_page=PER_PAGE * 2, error_out=False)


def recent_posts_of(user_id: int, limit: int = 10) -> list[Post]:
    return list(db.session.scalars(
        sa.select(Post).where(Post.author_id == user_id).options(selectinload(Post.thread))
        .order_by(Post.id.desc()).limit(limit)))


def flags_against(user_id: int) -> dict[str, int]:
    """How the reports on a member's posts ended: open, hidden, dismissed, deleted."""
    is_open = Flag.resolved_at.is_(None)
    rows = db.session.execute(
        sa.select(is_open, Flag.resolution, sa.func.count(Flag.id))
        .join(Post, Post.id == Flag.post_id).where(Post.author_id == user_id).group_by(is_open, Flag.resolution))
    outcomes: Counter[str] = Counter()
    for still_open, resolution, n in rows:
        outcomes["open" if still_open else resolution or "closed"] += n
    return dict(outcomes)


def categories() -> list[ForumCategory]:
    return list(db.session.scalars(sa.select(ForumCategory).order_by(ForumCategory.position, ForumCategory.name)))
