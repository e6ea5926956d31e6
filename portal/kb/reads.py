"""How often each article is read, for the chat widget's "popular questions".

A page view must not wait on a write, and a hot article must not make every reader queue
on one row: views are added up in the worker and written in one batch at most every
FLUSH_SECONDS. A worker that dies loses its last few seconds of counts, which a
popularity signal can afford.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.kb.models import Article

log = logging.getLogger(__name__)
FLUSH_SECONDS = 10.0


class _Pending:
    """One app's counts not yet written (one per app, so two apps in a process never mix)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts: Counter[int] = Counter()
        self.last_flush = time.monotonic()

    def take(self) -> dict[int, int]:
        batch = dict(self.counts)
        self.counts.clear()
        return batch


def _pending() -> _Pending:
    return current_app.extensions.setdefault("kb_reads", _Pending())


def count_read(article_id: int, now: float | None = None) -> None:
    """One view of the article; writes the batch when it is due."""
    pending = _pending()
    now = time.monotonic() if now is None else now
    with pending.lock:
        pending.counts[article_id] += 1
        if now - pending.last_flush < FLUSH_SECONDS:
            return
        batch = pending.take()
        pending.last_flush = now
    write_counts(batch)


def write_counts(batch: dict[int, int]) -> None:
    try:
        for article_id, n in batch.items():
            db.session.execute(sa.update(Article).where(Article.id == article_id)
                               .values(read_count=Article.read_count + n))
        db.session.commit()
    except SQLAlchemyError as exc:  # a busy database costs a few counts, never a page
        db.session.rollback()
        log.info("article read counts not written: %s", exc.__class__.__name__)


def flush() -> None:
    """Write whatever is pending now (tests, shutdown)."""
    pending = _pending()
    with pending.lock:
        batch = pending.take()
    if batch:
        write_counts(batch)
