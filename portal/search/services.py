"""Search rules shared by the results page, the JSON API and the bot."""

from __future__ import annotations

import logging

from flask import current_app

from portal.errors import DomainError
from portal.extensions import db
from portal.metrics import timed_search
from portal.search.backend import SearchHit, SearchResults
from portal.search.models import SearchMiss

log = logging.getLogger(__name__)


def doc_types() -> tuple[str, ...]:
    """The document types in the index: every capability that registered one (article, thread)."""
    from portal.search.indexing import registered_types

    return registered_types()


class SearchInputError(DomainError):
    status = 400


def backend():
    return current_app.extensions["search"]


def clean_query(raw: str | None) -> str:
    text = " ".join((raw or "").split())
    if not text:
        raise SearchInputError("Type a few words to search for.")
    limit = current_app.config["SEARCH_MAX_QUERY_LENGTH"]
    if len(text) > limit:
        raise SearchInputError(f"Search text is limited to {limit} characters.")
    return text


def search(raw: str | None, *, page: int = 1, per_page: int = 10, doc_type: str | None = None,
           category: str | None = None, answered: bool = False, source: str = "web",
           note_miss: bool = True) -> SearchResults:
    """Validate the query, ask the engine, and note a search that found nothing (content gaps).

    A narrowed search (a category, answered threads only) finding nothing is not a gap, and
    lookups made while someone types (``note_miss=False``) would only fill the log with halves.
    """
    text = clean_query(raw)
    types = doc_types()
    if doc_type is not None and doc_type not in types:
        raise SearchInputError(f"type must be one of: {', '.join(types)}.")
    with timed_search():
        results = backend().query(text, page=page, per_page=per_page, doc_type=doc_type, category=category,
                                  answered=answered)
    if note_miss and results.total == 0 and page == 1 and not category and not answered:
        record_miss(text, source)
    return results


def record_miss(text: str, source: str) -> None:
    try:
        db.session.add(SearchMiss(query=text[:200].lower(), source=source))
        db.session.commit()
    except Exception:  # a failed note must not fail the search the customer is doing
        db.session.rollback()
        log.exception("could not record a zero-result search")


def suggest(raw: str | None, limit: int = 8) -> list[SearchHit]:
    text = " ".join((raw or "").split())
    if len(text) < 2:
        return []
    if len(text) > current_app.config["SEARCH_MAX_QUERY_LENGTH"]:
        raise SearchInputError("Search text is too long.")
    return backend().suggest(text, limit=limit)


def content_gaps(limit: int = 20) -> list[tuple[str, int]]:
    import sqlalchemy as sa

    rows = db.session.execute(
        sa.select(SearchMiss.query, sa.func.count().label("n"))
        .group_by(SearchMiss.query)
        .order_by(sa.text("n DESC"), SearchMiss.query)
        .limit(limit)
    )
    return [(q, n) for q, n in rows]
