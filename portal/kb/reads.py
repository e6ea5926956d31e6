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
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.kb.models import Article

log = logging.getLogger(__name__)
FLUSH_SECONDS = 10.0
_lock = threading.Lock()
_pending: Counter[int] = Counter()
_last_flush = time.monotonic()


def count_read(article_id: int, now: float | None = None) -> None:
    """One view of the article; writes the batch when it is due."""
    global _last_flush
    now = time.monotonic() if now is None else now
    with _lock:
        _pending[article_id] += 1
        if now - _last_flush < FLUSH_SECONDS:
            return
        batch = dict(_pending)
        _pending.clear()
        _last_flush = now
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
    with _lock:
        batch = dict(_pending)
        _pending.clear()
    if batch:
        write_counts(batch)
