"""Ask before you post: which suggestions people opened while writing a thread title, and
whether they went on to post anyway.

A suggestion opened and not followed by a new thread from the same person within
DEFLECTION_WINDOW counts as deflected: the question was answered without a post.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import sqlalchemy as sa

from forum.models import ForumDeflection
from portal.clock import utcnow
from portal.errors import DomainError
from portal.extensions import db

DEFLECTION_WINDOW = timedelta(minutes=30)
# Only the pages suggestions point at: a help article or a community thread.
DOC_URL_RE = re.compile(r"^/(kb|forum/t)/[A-Za-z0-9-]{1,200}$")


class DeflectionError(DomainError):
    status = 400


def record_opened(query, doc_url, user_id: int | None, visitor_id: str | None) -> ForumDeflection:
    if not isinstance(query, str) or not isinstance(doc_url, str):
        raise DeflectionError("Send 'query' and 'url' as text.")
    query = " ".join(query.split())
    if not 1 <= len(query) <= 200:
        raise DeflectionError("'query' must be 1 to 200 characters.")
    match = DOC_URL_RE.match(doc_url)
    if match is None:
        raise DeflectionError("'url' must be the path of a suggested article or thread.")
    if user_id is None and not visitor_id:
        raise DeflectionError("No one to record this for.")
    now = utcnow()
    who = ForumDeflection.user_id == user_id if user_id is not None else ForumDeflection.visitor_id == visitor_id
    again = db.session.scalar(sa.select(ForumDeflection).where(
        who, ForumDeflection.doc_url == doc_url, ForumDeflection.posted_after.is_(False),
        ForumDeflection.opened_at >= now - DEFLECTION_WINDOW).limit(1))
    if again is not None:  # the same suggestion opened twice while writing counts once
        return again
    row = ForumDeflection(user_id=user_id, visitor_id=visitor_id, query=query, doc_url=doc_url,
                          doc_type="article" if match.group(1) == "kb" else "thread", opened_at=now)
    db.session.add(row)
    db.session.commit()
    return row


def mark_posted(user_id: int | None, visitor_id: str | None, thread_id: int, now: datetime | None = None) -> int:
    """The person posted a thread: suggestions they opened in the window did not deflect it (caller commits)."""
    now = now or utcnow()
    who = []
    if user_id is not None:
        who.append(ForumDeflection.user_id == user_id)
    if visitor_id:
        who.append(ForumDeflection.visitor_id == visitor_id)
    if not who:
        return 0
    return db.session.execute(
        sa.update(ForumDeflection)
        .where(sa.or_(*who), ForumDeflection.posted_after.is_(False),
               ForumDeflection.opened_at >= now - DEFLECTION_WINDOW)
        .values(posted_after=True, thread_id=thread_id)
        .execution_options(synchronize_session=False)
    ).rowcount


def deflection_stats(now: datetime | None = None, top: int = 10) -> dict:
    """opened: suggestions opened; posted_after: then posted anyway; pending: still inside the window;
    deflected: opened, window over, no post. rate = deflected / (deflected + posted_after)."""
    now = now or utcnow()
    open_window = sa.and_(ForumDeflection.posted_after.is_(False), ForumDeflection.opened_at >= now - DEFLECTION_WINDOW)
    deflected = sa.and_(ForumDeflection.posted_after.is_(False), ForumDeflection.opened_at < now - DEFLECTION_WINDOW)
    opened, posted_after, pending, deflected_n = db.session.execute(sa.select(
        sa.func.count(ForumDeflection.id),
        sa.func.count(ForumDeflection.id).filter(ForumDeflection.posted_after.is_(True)),
        sa.func.count(ForumDeflection.id).filter(open_window),
        sa.func.count(ForumDeflection.id).filter(deflected),
    )).one()
    decided = deflected_n + posted_after
    top_docs = db.session.execute(
        sa.select(ForumDeflection.doc_url, ForumDeflection.doc_type, sa.func.count(ForumDeflection.id).label("n"))
        .where(deflected).group_by(ForumDeflection.doc_url, ForumDeflection.doc_type)
        .order_by(sa.desc("n"), ForumDeflection.doc_url).limit(top)
    ).all()
    return {
        "opened": opened,
        "deflected": deflected_n,
        "posted_after": posted_after,
        "pending": pending,
        "rate": round(deflected_n / decided, 3) if decided else None,
        "window_minutes": int(DEFLECTION_WINDOW.total_seconds() // 60),
        "top_documents": [{"url": url, "type": type_, "deflected": n} for url, type_, n in top_docs],
    }
