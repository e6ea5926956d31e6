"""Notifications: written by the capabilities that have news, read by the nav and /notifications."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.models import Notification

PER_PAGE = 30


def notify(user_ids: Iterable[int], kind: str, text: str, url: str, actor_id: int | None = None) -> int:
    """Add one notification per person (in the caller's transaction); returns how many."""
    now = utcnow()
    rows = [{"user_id": uid, "kind": kind, "text": text[:300], "url": url[:300], "actor_id": actor_id,
             "created_at": now} for uid in dict.fromkeys(user_ids)]
    if rows:
        db.session.execute(sa.insert(Notification), rows)
    return len(rows)


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    ) or 0


def page_of(user_id: int, page: int = 1):
    return db.paginate(
        sa.select(Notification).where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        page=page, per_page=PER_PAGE, error_out=False,
    )


def mark_read(user_id: int, ids: Iterable[int] | None = None) -> int:
    """Mark the person's unread notifications read (only ``ids``, when given); returns how many changed."""
    query = sa.update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if ids is not None:
        query = query.where(Notification.id.in_(list(ids)))
    changed = db.session.execute(query.values(read_at=utcnow())).rowcount
    db.session.commit()
    return changed
